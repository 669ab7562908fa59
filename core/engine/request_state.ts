/**
 * Per-request state: parameters, the stream of deltas its caller iterates, and timings.
 *
 * @module
 */
import type { LoomError } from "../errors.ts";
import type { TokenLogprob } from "./sampler.ts";
import type { ResolvedSamplingParams } from "./sampling_params.ts";
import type { FinishReason } from "./sequence.ts";

/** Token counts of a finished (or running) request. */
export interface Usage {
  /** Prompt tokens. */
  readonly promptTokens: number;
  /** Generated tokens over all choices. */
  readonly completionTokens: number;
  /** Prompt tokens served from the prefix cache. */
  readonly cachedTokens: number;
}

/** Timings of a request, engine-clock milliseconds. */
export interface RequestTimings {
  /** Arrival. */
  readonly arrivalMs: number;
  /** First scheduled (queue time = this − arrival). */
  readonly scheduledMs: number | undefined;
  /** First token (TTFT = this − arrival). */
  readonly firstTokenMs: number | undefined;
  /** End. */
  readonly finishedMs: number | undefined;
  /** Gaps between consecutive tokens of choice 0 (inter-token latencies). */
  readonly interTokenMs: readonly number[];
}

/** One step's output for one choice of a request. */
export interface GenerationDelta {
  /** Choice index (0 unless `n` > 1). */
  readonly index: number;
  /** New text (may be empty while text is held back). */
  readonly text: string;
  /** New token ids. */
  readonly tokenIds: readonly number[];
  /** Log-probabilities of the new tokens, when asked. */
  readonly logprobs?: readonly { id: number; logprob: number; top: readonly TokenLogprob[] }[];
  /** Set on the choice's last delta. */
  readonly finishReason?: FinishReason;
  /** Set on the request's very last delta. */
  readonly usage?: Usage;
  /** Set on the request's very last delta. */
  readonly timings?: RequestTimings;
}

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
