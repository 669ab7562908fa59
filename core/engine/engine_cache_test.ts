import assert from "node:assert/strict";
import { buildDemoModel, Engine, type GenerationDelta, PagedCacheManager, Rng } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

const model = await buildDemoModel(new ReferenceBackend());

async function run(it: AsyncIterable<GenerationDelta>) {
  const ids: number[] = [];
  let last: GenerationDelta | undefined;
  for await (const d of it) {
    ids.push(...d.tokenIds);
    last = d;
  }
  return { ids, last };
}

Deno.test("prefix caching: a shared 1,000-token prefix skips its prefill", async () => {
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks: 512, blockSize: 16 }),
    scheduler: new FcfsScheduler(),
  });
  const rng = new Rng(4);
  const prefix = Array.from({ length: 1000 }, () => 3 + Math.floor(rng.next() * 250));
  const params = { temperature: 0, maxTokens: 4, ignoreEos: true };
  const first = await run(engine.generate([...prefix, 40, 41], params));
  const second = await run(engine.generate([...prefix, 40, 41], params));
  const third = await run(engine.generate([...prefix, 50], params));
  assert.deepEqual(second.ids, first.ids, "cached prefix gives identical output");
  assert.equal(first.last?.usage?.cachedTokens, 0);
  assert.equal(second.last?.usage?.cachedTokens, 992, "62 full blocks of 16");
  assert.equal(third.last?.usage?.cachedTokens, 992);
  const ttft = (d: GenerationDelta | undefined) =>
    d!.timings!.firstTokenMs! - d!.timings!.arrivalMs;
  const ratio = ttft(first.last) / ttft(second.last);
  assert.ok(ratio >= 5, `TTFT ${ttft(first.last)} ms vs ${ttft(second.last)} ms (${ratio}×)`);
  assert.ok(engine.metrics().prefixHitRate > 0.6);
});

Deno.test("copy-on-write: n = 4 choices share the prompt's blocks", async () => {
  const cache = new PagedCacheManager({ numBlocks: 256, blockSize: 16 });
  const engine = new Engine({ model, cache, scheduler: new FcfsScheduler() });
  const prompt = Array.from({ length: 160 }, (_, i) => 3 + (i % 200)); // 10 full blocks
  let peak = 0;
  const seen = new Set<number>();
  for await (
    const d of engine.generate(prompt, {
      n: 4,
      maxTokens: 8,
      temperature: 1,
      seed: 1,
      ignoreEos: true,
    })
  ) {
    seen.add(d.index);
    peak = Math.max(peak, cache.usage().numUsedBlocks);
  }
  assert.equal(seen.size, 4);
  // prompt blocks once, plus one private tail block per choice — not 4 copies of the prompt
  assert.ok(peak <= 10 + 4, `peak ${peak} blocks`);
  assert.equal(cache.usage().numUsedBlocks, 0);
});

Deno.test("invariant: 1,000 random requests with aborts, stops and preemptions leave nothing behind", async () => {
  const cache = new PagedCacheManager({ numBlocks: 48, blockSize: 8, numHostBlocks: 64 });
  const engine = new Engine({
    model,
    cache,
    scheduler: new FcfsScheduler({ preemption: "swap", maxPrefillChunk: 24 }),
    maxBatchSeqs: 32,
  });
  const rng = new Rng(11);
  const pick = (n: number) => Math.floor(rng.next() * n);
  const outcomes = { done: 0, aborted: 0 };
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    const ctrl = new AbortController();
    const prompt = Array.from({ length: 1 + pick(60) }, () => 3 + pick(250));
    const it = engine.generate(prompt, {
      temperature: rng.next() < 0.5 ? 0 : 0.8,
      seed: i,
      maxTokens: 1 + pick(12),
      ...(rng.next() < 0.3 ? { stop: ["e", "th"] } : {}),
      ...(rng.next() < 0.1 ? { n: 2 } : {}),
      signal: ctrl.signal,
    });
    const abortAfter = rng.next() < 0.2 ? pick(4) : -1;
    tasks.push((async () => {
      let k = 0;
      try {
        for await (const _ of it) if (k++ === abortAfter) ctrl.abort();
        outcomes.done++;
      } catch {
        outcomes.aborted++;
      }
    })());
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(tasks);
  await engine.drain();
  assert.equal(outcomes.done + outcomes.aborted, 1000);
  assert.ok(outcomes.aborted > 50 && outcomes.done > 500, JSON.stringify(outcomes));
  assert.ok(engine.stats.numPreemptions > 0, "the small cache forced preemptions");
  const u = cache.usage();
  assert.equal(u.numUsedBlocks, 0);
  assert.equal(u.numUsedHostBlocks, 0);
  assert.equal(engine.numWaiting + engine.numRunning + engine.numSwapped, 0);
  assert.equal(engine.numRequests, 0);
});
