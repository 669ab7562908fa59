/**
 * A user's own scheduler: shortest prompt first. Running sequences keep going (one that
 * cannot get a block steps back to be recomputed later), then waiting ones are admitted,
 * shortest prompt first. Run it: `deno run -A examples/custom_scheduler.ts`.
 *
 * @module
 */
import {
  buildDemoModel,
  Engine,
  PagedCacheManager,
  type Preemption,
  type ScheduledChunk,
  type SchedulePlan,
  type Scheduler,
  type SchedulerContext,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";

/** Shortest-prompt-first admission over continuous batching. */
export class ShortestFirstScheduler implements Scheduler {
  readonly name = "shortest-first";

  schedule(ctx: SchedulerContext): SchedulePlan {
    const run: ScheduledChunk[] = [], preempt: Preemption[] = [];
    let budget = ctx.maxBatchTokens, free = ctx.cache.numFreeBlocks;
    for (const s of ctx.running) {
      if (budget === 0 || run.length === ctx.maxBatchSeqs) break;
      const n = Math.min(s.numTokens - s.numComputedTokens, budget);
      const need = ctx.cache.numBlocksNeeded(s, n);
      if (need > free) {
        preempt.push({ seqId: s.id, mode: "recompute" });
        free += s.numBlocks;
        continue;
      }
      run.push({ seqId: s.id, numTokens: n });
      [budget, free] = [budget - n, free - need];
    }
    const waiting = [...ctx.waiting].sort((a, b) => a.numTokens - b.numTokens || a.id - b.id);
    for (const s of waiting) {
      if (budget === 0 || run.length === ctx.maxBatchSeqs) break;
      const n = Math.min(s.numTokens - ctx.cache.numCachedTokens(s), budget);
      const need = ctx.cache.numBlocksNeeded(s, n);
      if (need > free) break;
      run.push({ seqId: s.id, numTokens: n });
      [budget, free] = [budget - n, free - need];
    }
    return { run, preempt, reject: [] };
  }
}

if (import.meta.main) {
  const model = await buildDemoModel(new ReferenceBackend());
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks: 64, blockSize: 8 }),
    scheduler: new ShortestFirstScheduler(),
  });
  const prompts = ["Once upon a time there was a little model", "Hello", "The loom wove a story"];
  const texts = await Promise.all(prompts.map(async (p) => {
    let text = "";
    for await (const d of engine.generate(p, { maxTokens: 12, temperature: 0 })) text += d.text;
    return text;
  }));
  prompts.forEach((p, i) => console.log(`${JSON.stringify(p)} → ${JSON.stringify(texts[i])}`));
  console.log(`steps: ${engine.stats.numSteps}, preemptions: ${engine.stats.numPreemptions}`);
}
