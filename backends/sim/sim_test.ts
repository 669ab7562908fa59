import assert from "node:assert/strict";
import {
  buildSingleSequenceBatch,
  Engine,
  type GenerationDelta,
  InvalidParameterError,
  PagedCacheManager,
} from "@loom/core";
import { FcfsScheduler, PreemptiveScheduler, SloAwareScheduler } from "@loom/schedulers";
import {
  checkPrediction,
  fitCostModel,
  formatTable,
  generateTrace,
  latencyCdfSvg,
  peakToken,
  replayTrace,
  SimBackend,
  SimClock,
  SimModel,
  summarize,
} from "./mod.ts";

Deno.test("sim clock: timers run in time order, each at its own time", () => {
  const clock = new SimClock();
  const seen: [string, number][] = [];
  clock.at(30, () => seen.push(["c", clock.nowMs]));
  clock.at(10, () => seen.push(["a", clock.nowMs]));
  clock.at(10, () => seen.push(["b", clock.nowMs]));
  clock.advance(20);
  assert.deepEqual(seen, [["a", 10], ["b", 10]]);
  assert.equal(clock.nowMs, 20);
  clock.advanceTo(5); // never back
  assert.equal(clock.nowMs, 20);
  assert.equal(clock.runNext(), true);
  assert.deepEqual(seen.at(-1), ["c", 30]);
  assert.equal(clock.runNext(), false);
  assert.throws(() => clock.advance(-1), InvalidParameterError);
});

Deno.test("sim backend: steps, swaps and copies cost virtual time", async () => {
  const sim = new SimBackend({
    costModel: {
      stepMs: 1,
      prefillTokenMs: 0.5,
      decodeSeqMs: 0.25,
      contextTokenMs: 0.01,
      swapBlockMs: 2,
      copyBlockMs: 3,
    },
  });
  sim.beginStep(buildSingleSequenceBatch([1, 2, 3, 4], [0], 16)); // 1 + 4·0.5 + 4·0.01
  assert.equal(sim.clock.nowMs.toFixed(2), "3.04");
  sim.beginStep(buildSingleSequenceBatch([5], [0], 16, { startPos: 4 })); // decode, 5 context
  assert.equal(sim.clock.nowMs.toFixed(2), "4.34");
  const pool = sim.createKvPool({
    numLayers: 1,
    numBlocks: 4,
    blockSize: 16,
    numKvHeads: 1,
    headDim: 8,
    dtype: "f16",
  });
  const host = await sim.swapOut(pool, [0, 1]);
  sim.swapIn(pool, host, [2, 3]);
  sim.copyBlocks(pool, [[0, 1]]);
  assert.equal(sim.clock.nowMs.toFixed(2), "15.34");
  assert.equal(sim.numSteps, 2);
  assert.throws(() => new SimBackend({ costModel: "nope" }));
  assert.throws(
    () => new SimBackend({ costModel: { ...sim.costModel, stepMs: -1 } }),
    InvalidParameterError,
  );
});

Deno.test("sim model: greedy output is deterministic and independent of batching", async () => {
  const prompts = [[1, 2, 3], [9, 8, 7, 6, 5, 4, 3, 2, 1], [42]];
  const run = async (together: boolean) => {
    const out: number[][] = [];
    for (const group of together ? [prompts] : prompts.map((p) => [p])) {
      const engine = new Engine({
        model: new SimModel(),
        cache: new PagedCacheManager({ numBlocks: 64, blockSize: 4 }),
        scheduler: new FcfsScheduler(),
      });
      const ids = await Promise.all(group.map(async (p) => {
        const got: number[] = [];
        const it = engine.generate(p, { temperature: 0, maxTokens: 6, ignoreEos: true });
        for await (const d of it as AsyncIterable<GenerationDelta>) got.push(...d.tokenIds);
        return got;
      }));
      out.push(...ids);
    }
    return out;
  };
  const alone = await run(false);
  assert.deepEqual(await run(true), alone);
  assert.equal(alone[0]![0], peakToken(3, 2));
  assert.ok(alone.flat().every((t) => t >= 32 && t <= 126));
});

Deno.test("trace: seeded, with the asked rate, burstiness, mix and heavy tails", () => {
  const o = {
    numRequests: 20_000,
    ratePerS: 50,
    burstiness: 3,
    seed: 9,
    promptTokens: { median: 100, sigma: 1, min: 2, max: 8000 },
    classes: [{ name: "a", share: 1, priority: 1 }, { name: "b", share: 3 }],
    sharedPrefix: { share: 0.25, numPrefixes: 4, numTokens: 32 },
  };
  const t = generateTrace(o);
  assert.deepEqual(generateTrace(o), t);
  assert.notDeepEqual(generateTrace({ ...o, seed: 10 }), t);
  const gaps = t.map((r, i) => r.arrivalMs - (i === 0 ? 0 : t[i - 1]!.arrivalMs));
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  assert.ok(Math.abs(mean / 20 - 1) < 0.1, `mean gap ${mean} ms`);
  assert.ok(Math.abs(sd / mean / 3 - 1) < 0.15, `cv ${sd / mean}`);
  const share = (f: (r: (typeof t)[number]) => boolean) => t.filter(f).length / t.length;
  assert.ok(Math.abs(share((r) => r.className === "a") - 0.25) < 0.02);
  assert.ok(share((r) => r.className === "a" && r.priority !== 1) === 0);
  assert.ok(Math.abs(share((r) => r.prefixId >= 0) - 0.25) < 0.02);
  const own = t.map((r) => r.numPromptTokens - r.numPrefixTokens).sort((a, b) => a - b);
  const q = (p: number) => own[Math.floor(p * own.length)]!;
  assert.ok(Math.abs(q(0.5) / 100 - 1) < 0.05);
  assert.ok(q(0.99) / q(0.5) > 8, `p99/p50 = ${q(0.99) / q(0.5)}`); // e^(2.33·σ) ≈ 10
  assert.ok(own[0]! >= 2 && own.at(-1)! <= 8000);
  assert.throws(() => generateTrace({ numRequests: 1, ratePerS: 0 }), InvalidParameterError);
});

Deno.test("replay: the same trace gives the same records, under every scheduler", async () => {
  const trace = generateTrace({
    numRequests: 300,
    ratePerS: 40,
    burstiness: 2,
    classes: [
      { name: "hi", share: 1, priority: 1, ttftMs: 300, tpotMs: 40 },
      { name: "lo", share: 3, ttftMs: 2000 },
    ],
    sharedPrefix: { share: 0.5, numPrefixes: 3, numTokens: 48 },
  });
  const opts = { numBlocks: 256, numHostBlocks: 64, costModel: "reference-demo" };
  for (
    const make of [
      () => new FcfsScheduler(),
      () => new PreemptiveScheduler(),
      () => new SloAwareScheduler(),
    ]
  ) {
    const a = await replayTrace(trace, { scheduler: make(), ...opts });
    const b = await replayTrace(trace, { scheduler: make(), ...opts });
    assert.deepEqual(a.records, b.records, a.scheduler);
    assert.equal(a.numSteps, b.numSteps);
    assert.ok(a.prefixHitRate > 0.03, `${a.scheduler}: prefix hits ${a.prefixHitRate}`);
    const s = summarize(a);
    assert.equal(s.numRequests + s.numRejected, trace.length);
    for (const r of a.records) {
      if (r.rejected === undefined) assert.equal(r.numOutputTokens, r.request.maxTokens);
      else assert.match(r.rejected, /cannot be met/);
    }
  }
});

Deno.test("calibration: a fit recovers the coefficients; tables and plots render", () => {
  const truth = { stepMs: 2.5, prefillTokenMs: 0.18, decodeSeqMs: 0.15, contextTokenMs: 0.001 };
  const samples = Array.from({ length: 400 }, (_, i) => {
    const shape = {
      numPrefillTokens: (i * 53) % 300,
      numDecodeSeqs: (i * 7) % 40,
      numContextTokens: (i * 977) % 5000,
    };
    const ms = truth.stepMs + truth.prefillTokenMs * shape.numPrefillTokens +
      truth.decodeSeqMs * shape.numDecodeSeqs + truth.contextTokenMs * shape.numContextTokens;
    return { ...shape, ms };
  });
  const m = fitCostModel(samples);
  for (const k of Object.keys(truth) as (keyof typeof truth)[]) {
    assert.ok(Math.abs(m[k] - truth[k]) < 1e-6 * (1 + truth[k]), k);
  }
  assert.ok(Math.abs(checkPrediction(m, samples).relativeError) < 1e-9);
  // a negative least-squares coefficient is dropped, not kept
  const flat = samples.map((s) => ({ ...s, ms: 5 - 1e-4 * s.numContextTokens }));
  assert.equal(fitCostModel(flat).contextTokenMs, 0);
  const svg = latencyCdfSvg([{ title: "t", series: [{ name: "x", valuesMs: [1, 2, 3e5] }] }]);
  assert.equal(svg.match(/<polyline/g)?.length, 1);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.throws(() => fitCostModel(samples.slice(0, 2)), InvalidParameterError);
  assert.equal(formatTable([]).split("\n").length, 2);
});
