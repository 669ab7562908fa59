/**
 * First-come-first-served scheduling with chunked prefill: running sequences first (decodes
 * and unfinished prefill chunks), then new sequences in arrival order within the remaining
 * token budget. When blocks run out, the most recently arrived running sequence is
 * preempted — by swap when configured and host memory allows, else by recompute.
 *
 * @module
 */
import {
  InvalidParameterError,
  type Preemption,
  type ScheduledChunk,
  type SchedulePlan,
  type Scheduler,
  type SchedulerContext,
  type SequenceView,
} from "@loom/core";

/** Options of {@linkcode FcfsScheduler}. */
export interface FcfsOptions {
  /** How to preempt when blocks run out (default `recompute`). */
  readonly preemption?: "recompute" | "swap";
  /** Longest prefill chunk per sequence per step (default: the whole budget). */
  readonly maxPrefillChunk?: number;
  /**
   * How new prompts share a step's budget with a prompt already prefilling in it. `chunk`
   * (default) fills the budget, splitting the last prompt; `whole` lets another prompt join
   * only when all of it fits, so under a burst prompts finish one after another and the first
   * ones get their first token sooner (the last one no later). A prompt alone in a step is
   * still split to the budget.
   */
  readonly packPrefills?: "chunk" | "whole";
}

/**
 * The default scheduler.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * const s = new FcfsScheduler({ preemption: "swap", packPrefills: "whole" });
 * console.log(s.name, s.packPrefills); // "fcfs" "whole"
 * ```
 */
export class FcfsScheduler implements Scheduler {
  readonly name = "fcfs";
  readonly #preemption: "recompute" | "swap";
  readonly #maxChunk: number;
  readonly #whole: boolean;

  /**
   * Creates the scheduler.
   *
   * @param options Preemption mode, prefill chunk limit and prompt packing.
   */
  constructor(options: FcfsOptions = {}) {
    this.#preemption = options.preemption ?? "recompute";
    this.#maxChunk = options.maxPrefillChunk ?? Infinity;
    if (options.packPrefills !== undefined && !["chunk", "whole"].includes(options.packPrefills)) {
      throw new InvalidParameterError(
        "packPrefills",
        `chunk or whole, not ${options.packPrefills}`,
      );
    }
    this.#whole = options.packPrefills === "whole";
  }

  /** How new prompts share a step with one already prefilling (see {@linkcode FcfsOptions}). */
  get packPrefills(): "chunk" | "whole" {
    return this.#whole ? "whole" : "chunk";
  }

  schedule(ctx: SchedulerContext): SchedulePlan {
    const run: ScheduledChunk[] = [];
    const preempt: Preemption[] = [];
    let budget = ctx.maxBatchTokens;
    let free = ctx.cache.numFreeBlocks;
    let prefilling = false; // a prompt chunk is in this step
    const running = [...ctx.running]; // in start order; victims come from the end
    const gone = new Set<number>();
    const victimMode = (s: SequenceView): Preemption["mode"] =>
      this.#preemption === "swap" && ctx.cache.canSwapOut(s) ? "swap" : "recompute";

    // 1. running sequences: decode 1 token, or continue a prefill chunk
    for (let i = 0; i < running.length; i++) {
      const seq = running[i]!;
      if (gone.has(seq.id)) continue;
      if (budget === 0 || run.length === ctx.maxBatchSeqs) break;
      const n = Math.min(seq.numTokens - seq.numComputedTokens, budget, this.#maxChunk);
      let need = ctx.cache.numBlocksNeeded(seq, n);
      // free blocks by preempting the most recently started sequences
      while (need > free) {
        const victim = running.findLast((s) => !gone.has(s.id) && s.id !== seq.id);
        if (!victim || running.indexOf(victim) < i) break;
        gone.add(victim.id);
        preempt.push({ seqId: victim.id, mode: victimMode(victim) });
        free += victim.numBlocks;
      }
      if (need > free) {
        gone.add(seq.id);
        preempt.push({ seqId: seq.id, mode: victimMode(seq) });
        free += seq.numBlocks;
        continue;
      }
      run.push({ seqId: seq.id, numTokens: n });
      budget -= n;
      free -= need;
      need = 0;
      prefilling ||= n > 1;
    }
    // 2. swapped sequences come back first, in order, when nothing was preempted now
    if (preempt.length === 0) {
      for (const seq of ctx.swapped) {
        if (budget === 0 || run.length === ctx.maxBatchSeqs) break;
        const n = Math.min(seq.numTokens - seq.numComputedTokens, budget, this.#maxChunk);
        const need = ctx.cache.numBlocksNeeded(seq, n);
        if (need > free) break;
        run.push({ seqId: seq.id, numTokens: n });
        budget -= n;
        free -= need;
        prefilling ||= n > 1;
      }
    }
    // 3. waiting sequences in arrival order (head-of-line: stop at the first that does not fit)
    if (preempt.length === 0 && ctx.swapped.every((s) => run.some((r) => r.seqId === s.id))) {
      for (const seq of ctx.waiting) {
        if (budget === 0 || run.length === ctx.maxBatchSeqs) break;
        const cached = ctx.cache.numCachedTokens(seq);
        const n = Math.min(seq.numTokens - cached, budget, this.#maxChunk);
        if (this.#whole && prefilling && n < seq.numTokens - cached) break;
        const need = ctx.cache.numBlocksNeeded(seq, n);
        if (need > free) break;
        run.push({ seqId: seq.id, numTokens: n });
        budget -= n;
        free -= need;
        prefilling = true;
      }
    }
    return { run, preempt, reject: [] };
  }
}
