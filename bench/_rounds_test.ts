import assert from "node:assert/strict";
import { type DecodeResult, rate } from "./_loom_decode.ts";
import { mergeRounds, pairedRatio } from "./_rounds.ts";

const result = (decode: number[], prefill: number[], b8?: number[]): DecodeResult => ({
  engine: "e",
  numThreads: 2,
  prefill: rate(prefill),
  decode: rate(decode),
  batched: b8 ? { 8: rate(b8) } : {},
});

Deno.test("mergeRounds pools every round's runs", () => {
  const m = mergeRounds([result([10, 20], [100], [50]), result([30], [300, 200], [70, 90])]);
  assert.deepEqual(m.decode.runs, [10, 20, 30]);
  assert.equal(m.decode.median, 20);
  assert.equal(m.prefill.best, 300);
  assert.deepEqual(m.batched[8]?.runs, [50, 70, 90]);
  assert.throws(() => mergeRounds([]), /no rounds/);
});

Deno.test("pairedRatio divides within each round and skips rounds a peer missed", () => {
  const loom = [result([40], [1]), result([45], [1]), result([60], [1])];
  const peer = [result([50], [1]), undefined, result([50], [1])];
  const p = pairedRatio(loom, peer, (r) => r.decode.median)!;
  assert.deepEqual(p.rounds, [0.8, 1.2]);
  assert.equal(p.min, 0.8);
  assert.equal(p.max, 1.2);
  assert.ok(Math.abs(p.median - 1.0) < 1e-12);
  assert.equal(
    pairedRatio(loom, [undefined, undefined, undefined], (r) => r.decode.median),
    undefined,
  );
});
