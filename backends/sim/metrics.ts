/**
 * Serving metrics of a replay: throughput, TTFT / TPOT / end-to-end percentiles, goodput
 * (requests meeting all their SLO targets per second), short vs long request latency, prefix
 * hit rate and preemptions, overall and per request class.
 *
 * @module
 */
import type { ReplayResult, RequestRecord } from "./replay.ts";

/** Latency figures of a set of requests, ms. */
export interface LatencyStats {
  /** Requests counted. */
  readonly numRequests: number;
  /** Time to first token, median and 99th percentile. */
  readonly ttftP50: number;
  readonly ttftP99: number;
  /** Mean time per output token of each request, median and 99th percentile. */
  readonly tpotP50: number;
  readonly tpotP99: number;
  /** Arrival to last token, median, 99th percentile and mean. */
  readonly e2eP50: number;
  readonly e2eP99: number;
  readonly e2eMean: number;
}

/** A replay summarised. */
export interface ReplaySummary extends LatencyStats {
  /** Scheduler name. */
  readonly scheduler: string;
  /** Requests rejected by the scheduler. */
  readonly numRejected: number;
  /** Completed requests per second of the replay's span. */
  readonly throughputRps: number;
  /** Generated tokens per second. */
  readonly tokensPerS: number;
  /** Requests that met every target they set, per second (rejected ones never do). */
  readonly goodputRps: number;
  /** Share of requests with targets that met them all. */
  readonly sloAttainment: number;
  /** Mean end-to-end latency of short requests (size up to the median), ms. */
  readonly shortMeanMs: number;
  /** Mean end-to-end latency of long requests (size from the 90th percentile), ms. */
  readonly longMeanMs: number;
  /** Prompt tokens served from the prefix cache / looked up. */
  readonly prefixHitRate: number;
  /** Preemptions. */
  readonly numPreemptions: number;
  /** Latency per request class. */
  readonly byClass: Readonly<Record<string, LatencyStats>>;
}

/**
 * The q-quantile (0–1) of ascending values (nearest rank); NaN when empty.
 *
 * @example
 * ```ts
 * import { quantile } from "./mod.ts";
 * console.log(quantile([1, 2, 3, 4], 0.5), quantile([1, 2, 3, 4], 0.99)); // 2 4
 * ```
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Whether a request completed within every target it set.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { generateTrace, meetsSlo, replayTrace } from "./mod.ts";
 * const r = await replayTrace(generateTrace({ numRequests: 3, ratePerS: 5 }), {
 *   scheduler: new FcfsScheduler(),
 * });
 * console.log(r.records.every(meetsSlo)); // true: no targets were set
 * ```
 */
export function meetsSlo(r: RequestRecord): boolean {
  if (r.rejected !== undefined || r.firstTokenMs === undefined) return false;
  const { ttftMs, tpotMs } = r.request;
  if (ttftMs !== undefined && r.firstTokenMs - r.arrivalMs > ttftMs) return false;
  return tpotMs === undefined || r.meanTpotMs <= tpotMs;
}

/**
 * End-to-end latency of a completed request, ms.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { e2eMs, generateTrace, replayTrace } from "./mod.ts";
 * const r = await replayTrace(generateTrace({ numRequests: 3, ratePerS: 5 }), {
 *   scheduler: new FcfsScheduler(),
 * });
 * console.log(r.records.every((x) => e2eMs(x) > 0)); // true
 * ```
 */
export function e2eMs(r: RequestRecord): number {
  return (r.finishedMs ?? NaN) - r.arrivalMs;
}

/**
 * Latency figures of completed requests.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { generateTrace, latencyStats, replayTrace } from "./mod.ts";
 * const r = await replayTrace(generateTrace({ numRequests: 10, ratePerS: 5 }), {
 *   scheduler: new FcfsScheduler(),
 * });
 * const s = latencyStats(r.records);
 * console.log(s.numRequests, s.e2eP50 <= s.e2eP99); // 10 true
 * ```
 */
export function latencyStats(records: readonly RequestRecord[]): LatencyStats {
  const done = records.filter((r) => r.rejected === undefined && r.finishedMs !== undefined);
  const sorted = (f: (r: RequestRecord) => number) => done.map(f).sort((a, b) => a - b);
  const ttft = sorted((r) => r.firstTokenMs! - r.arrivalMs);
  const tpot = sorted((r) => r.meanTpotMs);
  const e2e = sorted(e2eMs);
  return {
    numRequests: done.length,
    ttftP50: quantile(ttft, 0.5),
    ttftP99: quantile(ttft, 0.99),
    tpotP50: quantile(tpot, 0.5),
    tpotP99: quantile(tpot, 0.99),
    e2eP50: quantile(e2e, 0.5),
    e2eP99: quantile(e2e, 0.99),
    e2eMean: e2e.reduce((a, b) => a + b, 0) / Math.max(1, e2e.length),
  };
}

/**
 * Summarises a replay.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { generateTrace, replayTrace, summarize } from "./mod.ts";
 * const r = await replayTrace(generateTrace({ numRequests: 10, ratePerS: 5 }), {
 *   scheduler: new FcfsScheduler(),
 * });
 * const s = summarize(r);
 * console.log(s.scheduler, s.numRejected, s.goodputRps === s.throughputRps); // "fcfs" 0 true
 * ```
 */
export function summarize(result: ReplayResult): ReplaySummary {
  const recs = result.records;
  const spanS = Math.max(1e-9, result.spanMs / 1000);
  const done = recs.filter((r) => r.rejected === undefined);
  const withSlo = recs.filter((r) =>
    r.request.ttftMs !== undefined || r.request.tpotMs !== undefined
  );
  const sizeOf = (r: RequestRecord) => r.request.numPromptTokens + r.request.maxTokens;
  const sizes = recs.map(sizeOf).sort((a, b) => a - b);
  const p50 = quantile(sizes, 0.5), p90 = quantile(sizes, 0.9);
  const meanE2e = (rs: RequestRecord[]) => {
    const v = rs.filter((r) => r.rejected === undefined).map(e2eMs);
    return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  };
  const classes = [...new Set(recs.map((r) => r.request.className))].sort();
  const byClass: Record<string, LatencyStats> = {};
  for (const c of classes) byClass[c] = latencyStats(recs.filter((r) => r.request.className === c));
  return {
    scheduler: result.scheduler,
    ...latencyStats(recs),
    numRejected: recs.length - done.length,
    throughputRps: done.length / spanS,
    tokensPerS: done.reduce((a, r) => a + r.numOutputTokens, 0) / spanS,
    goodputRps: recs.filter(meetsSlo).length / spanS,
    sloAttainment: withSlo.length === 0 ? 1 : withSlo.filter(meetsSlo).length / withSlo.length,
    shortMeanMs: meanE2e(recs.filter((r) => sizeOf(r) <= p50)),
    longMeanMs: meanE2e(recs.filter((r) => sizeOf(r) >= p90)),
    prefixHitRate: result.prefixHitRate,
    numPreemptions: result.numPreemptions,
    byClass,
  };
}
