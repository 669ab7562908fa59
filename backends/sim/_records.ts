import { type GenerationDelta, RequestRejectedError } from "@loom/core";
import type { TraceRequest } from "./trace.ts";

/** What happened to one request. */
export interface RequestRecord {
  /** The trace request. */
  readonly request: TraceRequest;
  /** Arrival on the engine clock, ms. */
  readonly arrivalMs: number;
  /** First token, ms (undefined when rejected). */
  readonly firstTokenMs: number | undefined;
  /** Last token, ms (undefined when rejected). */
  readonly finishedMs: number | undefined;
  /** Tokens generated. */
  readonly numOutputTokens: number;
  /** Mean gap between output tokens, ms (0 for a single token). */
  readonly meanTpotMs: number;
  /** Prompt tokens served from the prefix cache. */
  readonly numCachedTokens: number;
  /** The scheduler's reason, when it rejected the request. */
  readonly rejected: string | undefined;
}

/** Reads a request's stream to its end and stores its record at `records[i]`. */
export async function consume(
  r: TraceRequest,
  i: number,
  stream: AsyncIterable<GenerationDelta>,
  records: RequestRecord[],
  arrivalMs: number,
): Promise<void> {
  let last: GenerationDelta | undefined, rejected: string | undefined;
  try {
    for await (const d of stream) if (d.timings) last = d;
  } catch (e) {
    if (!(e instanceof RequestRejectedError)) throw e;
    rejected = e.reason;
  }
  const t = last?.timings, gaps = t?.interTokenMs ?? [];
  let sum = 0;
  for (const g of gaps) sum += g;
  records[i] = {
    request: r,
    arrivalMs: t?.arrivalMs ?? arrivalMs,
    firstTokenMs: t?.firstTokenMs,
    finishedMs: t?.finishedMs,
    numOutputTokens: last?.usage?.completionTokens ?? 0,
    meanTpotMs: gaps.length > 0 ? sum / gaps.length : 0,
    numCachedTokens: last?.usage?.cachedTokens ?? 0,
    rejected,
  };
}
