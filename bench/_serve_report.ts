/**
 * Text tables of `bench:serve`: one run's metrics (as vLLM prints them, in Markdown), and
 * several runs side by side with the first run's ratio to each other.
 *
 * @module
 */
import type { RequestRecord, ServeMetrics, Slo, Summary } from "./_stats.ts";

const f = (x: number, d = 1) => x.toFixed(d);
const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;

/**
 * Lines of one run's metrics.
 *
 * @example
 * ```ts
 * import { computeMetrics } from "./_stats.ts";
 * import { metricsLines } from "./_serve_report.ts";
 * const m = computeMetrics([], 1000);
 * console.log(metricsLines("x", m, {})[0]); // "### x"
 * ```
 */
export function metricsLines(name: string, m: ServeMetrics, slo: Slo): string[] {
  const lat = (label: string, s: Summary) =>
    row([label, f(s.mean), f(s.median), f(s.p90), f(s.p99)]);
  const sloText = Object.entries(slo).map(([k, v]) => `${k} ≤ ${v}`).join(", ");
  return [
    `### ${name}`,
    "",
    `${m.numCompleted} requests completed, ${m.numFailed} failed in ${f(m.durationS, 2)} s; ` +
    `${m.totalInputTokens} input, ${m.totalOutputTokens} output tokens`,
    `request throughput ${f(m.requestThroughput, 3)} req/s, goodput ${f(m.goodput, 3)} req/s` +
    (sloText ? ` (SLO ${sloText})` : " (no SLO given)") +
    `, output ${f(m.outputThroughput)} tok/s, total ${f(m.totalTokenThroughput)} tok/s`,
    "",
    row(["ms", "mean", "median", "p90", "p99"]),
    row(["---", "---:", "---:", "---:", "---:"]),
    lat("TTFT", m.ttft),
    lat("TPOT", m.tpot),
    lat("ITL", m.itl),
    lat("E2E", m.e2e),
    "",
  ];
}

/** Prints one run's metrics. */
export function printMetrics(name: string, m: ServeMetrics, slo: Slo): void {
  console.log(["", ...metricsLines(name, m, slo)].join("\n"));
}

/**
 * Lines of a side-by-side comparison: each figure per run, and run 0 ÷ run 1 (for
 * throughputs, higher is better for run 0; for latencies, lower is).
 *
 * @example
 * ```ts
 * import { computeMetrics } from "./_stats.ts";
 * import { comparisonLines } from "./_serve_report.ts";
 * const m = computeMetrics([], 1000);
 * console.log(comparisonLines([{ name: "a", metrics: m }, { name: "b", metrics: m }])[0]);
 * // "| figure | a | b | a ÷ b |"
 * ```
 */
export function comparisonLines(
  runs: readonly { name: string; metrics: ServeMetrics }[],
): string[] {
  const figures: [string, (m: ServeMetrics) => number][] = [
    ["output tok/s", (m) => m.outputThroughput],
    ["requests/s", (m) => m.requestThroughput],
    ["goodput req/s", (m) => m.goodput],
    ["TTFT median ms", (m) => m.ttft.median],
    ["TTFT p90 ms", (m) => m.ttft.p90],
    ["TPOT median ms", (m) => m.tpot.median],
    ["TPOT p90 ms", (m) => m.tpot.p90],
    ["ITL p99 ms", (m) => m.itl.p99],
    ["E2E median ms", (m) => m.e2e.median],
  ];
  const [first, second] = runs;
  return [
    row(["figure", ...runs.map((r) => r.name), `${first!.name} ÷ ${second!.name}`]),
    row(["---", ...runs.map(() => "---:"), "---:"]),
    ...figures.map(([label, get]) => {
      const ratio = get(second!.metrics) === 0
        ? "-"
        : `${f(get(first!.metrics) / get(second!.metrics), 2)}×`;
      return row([
        label,
        ...runs.map((r) => f(get(r.metrics), label.includes("req") ? 3 : 1)),
        ratio,
      ]);
    }),
  ];
}

/** Prints the comparison. */
export function printComparison(runs: readonly { name: string; metrics: ServeMetrics }[]): void {
  console.log(["", "### comparison", "", ...comparisonLines(runs), ""].join("\n"));
}

/**
 * Lines of a per-request timeline, in send order: when each request was sent (ms from the
 * start of the load), its TTFT and when its first and last tokens came.
 *
 * @example
 * ```ts
 * import { timelineLines } from "./_serve_report.ts";
 * const r = { success: true, promptTokens: 3, outputTokens: 2, ttftMs: 5, itlMs: [1], e2eMs: 6 };
 * console.log(timelineLines([{ ...r, sentAtMs: 10 }])[2]); // "| 0 | 10 | 5 | 15 | 16 |"
 * ```
 */
export function timelineLines(records: readonly RequestRecord[]): string[] {
  const order = records.map((r, i) => ({ r, i })).filter((x) => x.r.sentAtMs !== undefined)
    .sort((x, y) => x.r.sentAtMs! - y.r.sentAtMs!);
  return [
    row(["request", "sent ms", "TTFT ms", "first token ms", "done ms"]),
    row(["---:", "---:", "---:", "---:", "---:"]),
    ...order.map(({ r, i }) =>
      row([
        String(i),
        f(r.sentAtMs!, 0),
        f(r.ttftMs, 0),
        f(r.sentAtMs! + r.ttftMs, 0),
        f(r.sentAtMs! + r.e2eMs, 0),
      ])
    ),
  ];
}

/** Prints a per-request timeline (`bench:serve --timeline`). */
export function printTimeline(records: readonly RequestRecord[]): void {
  console.log(["", ...timelineLines(records), ""].join("\n"));
}
