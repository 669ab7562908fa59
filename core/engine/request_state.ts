/**
 * What a request's caller receives: deltas, usage and timings.
 *
 * @module
 */
import type { TokenLogprob } from "./sampler.ts";

/** Why a choice ended. */
export type FinishReason = "stop" | "length" | "abort" | "rejected" | "error";

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
