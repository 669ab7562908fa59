import assert from "node:assert/strict";
import {
  computeMetrics,
  meetsSlo,
  percentile,
  type RequestRecord,
  summarize,
  tpotMs,
} from "./_stats.ts";

const rec = (
  ttftMs: number,
  e2eMs: number,
  outputTokens: number,
  itlMs: number[] = [],
): RequestRecord => ({
  success: true,
  promptTokens: 10,
  outputTokens,
  ttftMs,
  itlMs,
  e2eMs,
});

Deno.test("percentiles interpolate linearly between ranks, as numpy does", () => {
  const xs = [15, 20, 35, 40, 50];
  assert.deepEqual(percentile(xs, 0), 15);
  assert.deepEqual(percentile(xs, 100), 50);
  assert.deepEqual(percentile(xs, 50), 35);
  assert.ok(Math.abs(percentile(xs, 90) - 46) < 1e-9); // rank 3.6 → 40 + 0.6·10
  assert.ok(Math.abs(percentile(xs, 99) - 49.6) < 1e-9);
  assert.deepEqual(percentile([50, 15, 40, 35, 20], 90), percentile(xs, 90)); // any order
  assert.deepEqual(percentile([], 50), 0);
  assert.deepEqual(summarize([7]), { mean: 7, median: 7, p90: 7, p99: 7 });
});

Deno.test("TPOT excludes the first token; one-token outputs count 0", () => {
  assert.deepEqual(tpotMs(rec(100, 1000, 10)), 100);
  assert.deepEqual(tpotMs(rec(100, 100, 1)), 0);
});

Deno.test("goodput counts only completed requests meeting every SLO", () => {
  const records = [
    rec(100, 1000, 10), // tpot 100
    rec(300, 1200, 10), // ttft too slow
    rec(100, 2000, 10), // tpot 211
    { ...rec(10, 20, 2), success: false },
  ];
  assert.ok(meetsSlo(records[0]!, { ttftMs: 200, tpotMs: 150 }));
  const m = computeMetrics(records, 2000, { ttftMs: 200, tpotMs: 150 });
  assert.deepEqual(m.numCompleted, 3);
  assert.deepEqual(m.numFailed, 1);
  assert.deepEqual(m.goodput, 0.5);
  assert.deepEqual(m.requestThroughput, 1.5);
  assert.deepEqual(m.outputThroughput, 15);
  assert.deepEqual(m.totalTokenThroughput, 30);
  assert.deepEqual(m.ttft.median, 100);
  assert.deepEqual(computeMetrics(records, 2000).goodput, 1.5); // no SLO: every completed one
  assert.deepEqual(computeMetrics(records, 2000, { e2eMs: 1100 }).goodput, 0.5);
});

Deno.test("ITL pools the gaps of every request", () => {
  const m = computeMetrics([rec(5, 35, 3, [10, 20]), rec(5, 45, 3, [30, 10])], 1000);
  assert.deepEqual(m.itl.mean, 17.5);
  assert.deepEqual(m.itl.median, 15);
});
