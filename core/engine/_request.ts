import type { LoomError } from "../errors.ts";
import type { ResolvedSamplingParams } from "./sampling_params.ts";
import type { GenerationDelta, RequestTimings, Usage } from "./request_state.ts";

/** Engine-internal request record. */
export class RequestState {
  readonly #queue: GenerationDelta[] = [];
  #wake: (() => void) | undefined;
  #error: LoomError | undefined;
  #done = false;
  scheduledMs: number | undefined;
  firstTokenMs: number | undefined;
  finishedMs: number | undefined;
  readonly interTokenMs: number[] = [];
  lastTokenMs: number | undefined;
  numCompletionTokens = 0;
  numCachedTokens = 0;
  numOpenChoices: number;

  constructor(
    readonly id: string,
    readonly params: ResolvedSamplingParams,
    readonly arrivalMs: number,
    readonly priority: number,
    readonly ttftMs: number | undefined,
    readonly tpotMs: number | undefined,
    readonly numPromptTokens: number,
  ) {
    this.numOpenChoices = params.n;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Queues a delta for the caller. */
  emit(d: GenerationDelta): void {
    if (this.#done) return;
    this.#queue.push(d);
    this.#wake?.();
  }

  /** Ends the stream, with an error or normally. */
  end(error?: LoomError): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#wake?.();
  }

  usage(): Usage {
    return {
      promptTokens: this.numPromptTokens,
      completionTokens: this.numCompletionTokens,
      cachedTokens: this.numCachedTokens,
    };
  }

  timings(): RequestTimings {
    return {
      arrivalMs: this.arrivalMs,
      scheduledMs: this.scheduledMs,
      firstTokenMs: this.firstTokenMs,
      finishedMs: this.finishedMs,
      interTokenMs: this.interTokenMs,
    };
  }

  /** The caller's view: deltas until the end, then the error if there was one. */
  async *stream(): AsyncGenerator<GenerationDelta> {
    for (;;) {
      const d = this.#queue.shift();
      if (d) {
        yield d;
        continue;
      }
      if (this.#done) {
        if (this.#error) throw this.#error;
        return;
      }
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }
}
