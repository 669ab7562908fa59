import assert from "node:assert/strict";
import {
  buildDemoModel,
  Engine,
  type GenerationDelta,
  type Model,
  PagedCacheManager,
  RequestRejectedError,
  type Scheduler,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler, PreemptiveScheduler, SloAwareScheduler } from "@loom/schedulers";
import { ShortestFirstScheduler } from "../examples/custom_scheduler.ts";

const model: Model = await buildDemoModel(new ReferenceBackend());
const WORDS = "Once upon a time the little model said hello world to the loom story day".split(" ");
// 24 prompts of 1–30 words; every third is high priority and arrives late
const PROMPTS = Array.from(
  { length: 24 },
  (_, i) =>
    Array.from({ length: 1 + ((i * 11) % 30) }, (_, j) => WORDS[(i + j * 3) % 14]).join(" "),
);
const MAX_TOKENS = 10;

function engineWith(scheduler: Scheduler, numBlocks = 256, numHostBlocks = 0): Engine {
  return new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks, blockSize: 4, numHostBlocks }),
    scheduler,
    maxBatchTokens: 64,
  });
}

async function ids(it: AsyncIterable<GenerationDelta>): Promise<number[] | "rejected"> {
  const out: number[] = [];
  try {
    for await (const d of it) out.push(...d.tokenIds);
  } catch (e) {
    if (e instanceof RequestRejectedError) return "rejected";
    throw e;
  }
  return out;
}

/** Low-priority requests first; after a few steps the high-priority ones arrive. */
async function runAll(engine: Engine): Promise<(number[] | "rejected")[]> {
  const params = { temperature: 0, maxTokens: MAX_TOKENS, ignoreEos: true };
  const out: Promise<number[] | "rejected">[] = [];
  const isHigh = (i: number) => i % 3 === 0;
  PROMPTS.forEach((p, i) => {
    if (!isHigh(i)) out[i] = ids(engine.generate(p, { ...params, priority: 0, ttftMs: 5000 }));
  });
  while (engine.stats.numSteps < 6 && engine.numRequests > 0) {
    await new Promise((r) => setTimeout(r, 0));
  }
  PROMPTS.forEach((p, i) => {
    if (isHigh(i)) out[i] = ids(engine.generate(p, { ...params, priority: 1, ttftMs: 100 }));
  });
  return await Promise.all(out);
}

const alone = await Promise.all(
  PROMPTS.map((p) =>
    ids(
      engineWith(new FcfsScheduler()).generate(p, {
        temperature: 0,
        maxTokens: MAX_TOKENS,
        ignoreEos: true,
      }),
    )
  ),
);

Deno.test("schedulers: greedy output is the same under any scheduler or preemption", async (t) => {
  const cases: [string, () => Engine, boolean][] = [
    ["fcfs", () => engineWith(new FcfsScheduler()), false],
    ["fcfs, recompute", () => engineWith(new FcfsScheduler(), 40), true],
    ["preemptive", () => engineWith(new PreemptiveScheduler()), false],
    [
      "preemptive, recompute",
      () => engineWith(new PreemptiveScheduler({ preemption: "recompute" }), 40),
      true,
    ],
    ["preemptive, swap", () => engineWith(new PreemptiveScheduler(), 40, 256), true],
    [
      "preemptive, chunked",
      () => engineWith(new PreemptiveScheduler({ maxPrefillChunk: 3, baseQuantum: 2 }), 48),
      true,
    ],
    ["slo-aware", () => engineWith(new SloAwareScheduler({ admission: "deprioritize" })), false],
    [
      "slo-aware, recompute",
      () =>
        engineWith(new SloAwareScheduler({ admission: "deprioritize", minPrefillChunk: 5 }), 40),
      true,
    ],
    ["slo-aware, swap", () =>
      engineWith(
        new SloAwareScheduler({ admission: "deprioritize", preemption: "swap" }),
        40,
        256,
      ), true],
    ["custom shortest-first", () => engineWith(new ShortestFirstScheduler(), 40), true],
  ];
  for (const [name, make, preempts] of cases) {
    await t.step(name, async () => {
      const engine = make();
      const got = await runAll(engine);
      assert.deepEqual(got, alone);
      if (preempts) {
        assert.ok(engine.stats.numPreemptions > 0, "the small cache forced preemptions");
      }
      assert.equal(engine.cache.usage().numUsedBlocks, 0);
      assert.equal(engine.cache.usage().numUsedHostBlocks, 0);
    });
  }
  await t.step("slo-aware with admission control: served requests are unchanged", async () => {
    const engine = engineWith(new SloAwareScheduler({ defaultTpotMs: 1e6 }), 40);
    const got = await runAll(engine);
    got.forEach((g, i) => {
      if (g !== "rejected") assert.deepEqual(g, alone[i]);
    });
  });
});
