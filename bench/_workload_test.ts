import assert from "node:assert/strict";
import { Rng } from "@loom/core";
import { arrivalTimesMs, buildWorkload, sampleGamma, sampleLength } from "./_workload.ts";

const meanVar = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length] as const;
};

Deno.test("gamma samples have mean k·θ and variance k·θ², also for k < 1", () => {
  for (const [k, theta] of [[1, 2], [4, 0.25], [0.5, 2]] as const) {
    const rng = new Rng(11);
    const [m, v] = meanVar(Array.from({ length: 40000 }, () => sampleGamma(rng, k, theta)));
    assert.ok(Math.abs(m / (k * theta) - 1) < 0.04, `mean ${m} for k=${k}`);
    assert.ok(Math.abs(v / (k * theta * theta) - 1) < 0.1, `variance ${v} for k=${k}`);
  }
});

Deno.test("arrivals: mean gap 1/rate; burstiness < 1 spreads gaps, > 1 evens them", () => {
  const gaps = (burstiness: number) => {
    const t = arrivalTimesMs(20000, 4, burstiness, new Rng(3));
    return t.map((x, i) => x - (t[i - 1] ?? 0));
  };
  const [m1, v1] = meanVar(gaps(1)),
    [, vBursty] = meanVar(gaps(0.25)),
    [, vEven] = meanVar(gaps(4));
  assert.ok(Math.abs(m1 - 250) < 8, `mean gap ${m1} ms at 4 req/s`);
  assert.ok(Math.abs(v1 / 250 ** 2 - 1) < 0.1); // Poisson: exponential gaps, cv 1
  assert.ok(vBursty > 3 * v1 && vEven < v1 / 3);
  assert.deepEqual(arrivalTimesMs(2, Infinity, 1, new Rng(1)), [0, 0]);
});

Deno.test("lengths are uniform over the range ratio, prefixes shared, loads deterministic", () => {
  const rng = new Rng(5);
  const lens = Array.from({ length: 5000 }, () => sampleLength(rng, 100, 0.5));
  assert.equal(Math.min(...lens), 50);
  assert.equal(Math.max(...lens), 150);
  const o = {
    numRequests: 20,
    requestRate: 2,
    burstiness: 1,
    inputLen: 30,
    outputLen: 16,
    rangeRatio: 0.2,
    prefixLen: 10,
    seed: 9,
  };
  const w = buildWorkload(o);
  assert.deepEqual(w, buildWorkload(o));
  const prefix = w[0]!.prompt.split(" ").slice(0, 10).join(" ");
  for (const r of w) {
    const words = r.prompt.split(" ");
    assert.equal(words.length, r.promptWords);
    assert.ok(r.promptWords >= 24 && r.promptWords <= 36);
    assert.ok(r.maxTokens >= 12 && r.maxTokens <= 19);
    assert.equal(words.slice(0, 10).join(" "), prefix);
  }
  assert.notEqual(w[0]!.prompt, w[1]!.prompt);
  assert.ok(w.every((r, i) => i === 0 || r.sendAtMs >= w[i - 1]!.sendAtMs));
});
