import assert from "node:assert/strict";
import { resolveSamplingParams, Rng, sampleToken, StopMatcher } from "@loom/core";

const V = 6;
const ROW = Float32Array.of(1, 3, 2, 0.5, -1, 2.9);
const none = new Map<number, number>();
const sample = (o: Record<string, unknown>, row = ROW, rng = new Rng(1), out = none) =>
  sampleToken(row.slice(), resolveSamplingParams(o, V), rng, none, out);

function histogram(o: Record<string, unknown>, n = 4000): number[] {
  const rng = new Rng(3), h = new Array(V).fill(0);
  for (let i = 0; i < n; i++) h[sample(o, ROW, rng).id]++;
  return h;
}

Deno.test("sampler: greedy picks the argmax", () => {
  assert.equal(sample({ temperature: 0 }).id, 1);
});

Deno.test("sampler: top-k, top-p and min-p restrict the candidates", () => {
  const k2 = histogram({ topK: 2 });
  assert.deepEqual(k2.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0), [1, 5]);
  // probabilities ∝ e^logit: ids 1 (e^3) and 5 (e^2.9) hold ~0.6 of the mass
  const p = histogram({ topP: 0.5 });
  assert.deepEqual(p.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0), [1, 5]);
  const m = histogram({ minP: 0.5 }); // keeps p >= 0.5 · p(top): ids 1, 5 (e^-0.1), 2 (e^-1 < 0.5? no)
  assert.deepEqual(m.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0), [1, 5]);
  const all = histogram({});
  assert.ok(all.every((c) => c > 0), "plain sampling reaches every token");
  // frequencies follow the softmax: token 1 vs token 2 ≈ e^(3-2)
  assert.ok(Math.abs(all[1]! / all[2]! - Math.E) < 0.5);
});

Deno.test("sampler: temperature sharpens, penalties and bias move logits", () => {
  const cold = histogram({ temperature: 0.02 }); // 3 vs 2.9 → odds e^5
  assert.ok(cold[1]! > 3500, "near-greedy at low temperature");
  assert.equal(sample({ temperature: 0, logitBias: { 4: 10 } }).id, 4);
  const seen = new Map([[1, 3]]);
  assert.equal(sample({ temperature: 0, frequencyPenalty: 0.1 }, ROW, new Rng(1), seen).id, 5);
  assert.equal(sample({ temperature: 0, presencePenalty: 0.2 }, ROW, new Rng(1), seen).id, 5);
  assert.equal(sample({ temperature: 0, repetitionPenalty: 1.2 }, ROW, new Rng(1), seen).id, 5);
});

Deno.test("sampler: logprobs are the model's log-softmax with top alternatives", () => {
  const t = sample({ temperature: 0, logprobs: 3 });
  const lse = Math.log(Array.from(ROW).reduce((a, x) => a + Math.exp(x), 0));
  assert.ok(Math.abs(t.logprob! - (3 - lse)) < 1e-6);
  assert.deepEqual(t.top!.map((x) => x.id), [1, 5, 2]);
});

Deno.test("sampler: the same seed gives the same draws", () => {
  const a = new Rng(9), b = new Rng(9);
  for (let i = 0; i < 50; i++) assert.equal(sample({}, ROW, a).id, sample({}, ROW, b).id);
});

Deno.test("stop matcher holds back text that may start a stop string", () => {
  const m = new StopMatcher(["</end>", "STOP"]);
  assert.deepEqual(m.push("abc</"), { text: "abc", stopped: false });
  assert.deepEqual(m.push("en"), { text: "", stopped: false });
  assert.deepEqual(m.push("x S"), { text: "</enx ", stopped: false });
  assert.deepEqual(m.push("TOP tail"), { text: "", stopped: true });
  const n = new StopMatcher(["zz"]);
  assert.deepEqual(n.push("az"), { text: "a", stopped: false });
  assert.equal(n.flush(), "z");
});
