/**
 * Serving-benchmark metrics with vLLM's definitions (`benchmark_serving.py`), so figures
 * compare: TTFT, TPOT = (E2E − TTFT) / (output tokens − 1) (0 for one-token outputs),
 * inter-token latencies pooled over requests, end-to-end latency; mean / median / p90 / p99
 * with numpy's linear interpolation; request and token throughput over the benchmark's
 * duration; goodput = requests meeting every given SLO per second.
 *
 * @module
 */

/** What the load generator records for one request. */
export interface RequestRecord {
  /** Whether the request completed (HTTP 200 and a finished stream). */
  readonly success: boolean;
  /** Prompt tokens (the server's usage, else the generator's count). */
  readonly promptTokens: number;
  /** Output tokens (the server's usage, else the number of content chunks). */
  readonly outputTokens: number;
  /** Time to first token, ms from sending the request. */
  readonly ttftMs: number;
  /** Gaps between consecutive content chunks, ms. */
  readonly itlMs: readonly number[];
  /** Send to last byte, ms. */
  readonly e2eMs: number;
  /** When it was sent, ms from the start of the load (set by the load runner). */
  readonly sentAtMs?: number;
  /** Why it failed. */
  readonly error?: string;
}

/** Service-level objectives: a request is good when it meets every one given. */
export interface Slo {
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly e2eMs?: number;
}

/** Mean, median and tail percentiles of one latency, ms. */
export interface Summary {
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
}

/** The metrics of one benchmark run. */
export interface ServeMetrics {
  readonly numCompleted: number;
  readonly numFailed: number;
  readonly durationS: number;
  readonly totalInputTokens: number;
  readonly totalOutputTokens: number;
  /** Completed requests per second. */
  readonly requestThroughput: number;
  /** Requests meeting every SLO per second (equals requestThroughput without SLOs). */
  readonly goodput: number;
  readonly outputThroughput: number;
  readonly totalTokenThroughput: number;
  readonly ttft: Summary;
  readonly tpot: Summary;
  readonly itl: Summary;
  readonly e2e: Summary;
}

/**
 * The p-th percentile (0–100) with linear interpolation between closest ranks (numpy's
 * default); 0 for no values.
 *
 * @example
 * ```ts
 * import { percentile } from "./_stats.ts";
 * console.log(percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 90)); // 2.5 3.7
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank), hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/**
 * Mean, median, p90, p99 (all 0 for no values).
 *
 * @example
 * ```ts
 * import { summarize } from "./_stats.ts";
 * console.log(summarize([10, 20, 30]).mean, summarize([]).p99); // 20 0
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  const mean = values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  return {
    mean,
    median: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
  };
}

/**
 * A request's time per output token after the first, ms (0 with fewer than two tokens).
 *
 * @example
 * ```ts
 * import { tpotMs } from "./_stats.ts";
 * console.log(tpotMs({ ttftMs: 100, e2eMs: 400, outputTokens: 4 })); // 100
 * ```
 */
export function tpotMs(r: Pick<RequestRecord, "ttftMs" | "e2eMs" | "outputTokens">): number {
  return r.outputTokens > 1 ? (r.e2eMs - r.ttftMs) / (r.outputTokens - 1) : 0;
}

/**
 * Whether a completed request meets every SLO given.
 *
 * @example
 * ```ts
 * import { meetsSlo } from "./_stats.ts";
 * const r = { success: true, ttftMs: 100, e2eMs: 400, outputTokens: 4 };
 * console.log(meetsSlo(r, { ttftMs: 200 }), meetsSlo(r, { tpotMs: 50 })); // true false
 * ```
 */
export function meetsSlo(
  r: Pick<RequestRecord, "success" | "ttftMs" | "e2eMs" | "outputTokens">,
  slo: Slo,
): boolean {
  return r.success && (slo.ttftMs === undefined || r.ttftMs <= slo.ttftMs) &&
    (slo.tpotMs === undefined || tpotMs(r) <= slo.tpotMs) &&
    (slo.e2eMs === undefined || r.e2eMs <= slo.e2eMs);
}

/**
 * Metrics of a run from its records and its wall-clock duration.
 *
 * @example
 * ```ts
 * import { computeMetrics } from "./_stats.ts";
 * const ok = { success: true, promptTokens: 10, outputTokens: 3, itlMs: [5, 5] };
 * const m = computeMetrics([
 *   { ...ok, ttftMs: 50, e2eMs: 60 },
 *   { ...ok, ttftMs: 150, e2eMs: 160 },
 * ], 2000, { ttftMs: 100 });
 * console.log(m.requestThroughput, m.goodput, m.outputThroughput, m.tpot.mean); // 1 0.5 3 5
 * ```
 */
export function computeMetrics(
  records: readonly RequestRecord[],
  durationMs: number,
  slo: Slo = {},
): ServeMetrics {
  const ok = records.filter((r) => r.success);
  const durationS = durationMs / 1000;
  const totalInputTokens = ok.reduce((a, r) => a + r.promptTokens, 0);
  const totalOutputTokens = ok.reduce((a, r) => a + r.outputTokens, 0);
  const perS = (n: number) => (durationS > 0 ? n / durationS : 0);
  return {
    numCompleted: ok.length,
    numFailed: records.length - ok.length,
    durationS,
    totalInputTokens,
    totalOutputTokens,
    requestThroughput: perS(ok.length),
    goodput: perS(ok.filter((r) => meetsSlo(r, slo)).length),
    outputThroughput: perS(totalOutputTokens),
    totalTokenThroughput: perS(totalInputTokens + totalOutputTokens),
    ttft: summarize(ok.map((r) => r.ttftMs)),
    tpot: summarize(ok.map(tpotMs)),
    itl: summarize(ok.flatMap((r) => r.itlMs)),
    e2e: summarize(ok.map((r) => r.e2eMs)),
  };
}
