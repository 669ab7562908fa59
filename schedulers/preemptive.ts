/**
 * Preemptive scheduling: priority classes, and within a class a skip-join multi-level
 * feedback queue in the manner of FastServe. A request joins the level whose quantum covers
 * its prompt (long prompts skip the top levels) and moves one level down each time it has
 * generated its level's quantum of tokens. Every step runs the best sequences first — higher
 * priority, then lower level, then earlier arrival — so a new high-priority or short request
 * overtakes running ones at the next step boundary. When a new or swapped sequence needs
 * device blocks or a batch slot, running sequences of a lower priority class (with
 * `preemptWithinClass`, also those at a worse level) are preempted, worst first: by swap
 * when host room allows (and swap is configured), else by recompute. Running sequences take
 * blocks they need from any running sequence ranked below them.
 *
 * @module
 */
import type { SchedulePlan, Scheduler, SchedulerContext, SequenceView } from "@loom/core";
import { InvalidParameterError } from "@loom/core";
import { PlanBuilder, type PreemptionMode } from "./_plan_builder.ts";
import { mlfqLevel, type MlfqOptions, type Ranked, rankSequences } from "./_mlfq.ts";

/** Options of {@linkcode PreemptiveScheduler}. */
export interface PreemptiveOptions extends MlfqOptions {
  /** How to preempt: `swap` when host room allows, else recompute (default `swap`). */
  readonly preemption?: PreemptionMode;
  /** Longest prefill chunk per sequence per step (default: the whole budget). */
  readonly maxPrefillChunk?: number;
  /**
   * Whether a waiting sequence may preempt running ones of the same priority class at a
   * lower (worse) level, not only those of lower classes (default false: the swap churn it
   * causes under overload costs more than it gains).
   */
  readonly preemptWithinClass?: boolean;
}

/**
 * Priority classes plus skip-join MLFQ, with preemption at step boundaries.
 *
 * @example
 * ```ts
 * import { PreemptiveScheduler } from "@loom/schedulers";
 * const s = new PreemptiveScheduler({ numLevels: 4, baseQuantum: 32, preemption: "swap" });
 * console.log(s.name); // "preemptive"
 * console.log(s.levelOf({ numPromptTokens: 8000, numGeneratedTokens: 0 })); // 3
 * ```
 */
export class PreemptiveScheduler implements Scheduler {
  readonly name = "preemptive";
  readonly #mlfq: Required<MlfqOptions>;
  readonly #mode: PreemptionMode;
  readonly #maxChunk: number;
  readonly #withinClass: boolean;

  /**
   * Creates the scheduler.
   *
   * @param options Levels, quanta, preemption mode.
   */
  constructor(options: PreemptiveOptions = {}) {
    const numLevels = options.numLevels ?? 4;
    const baseQuantum = options.baseQuantum ?? 32;
    const quantumGrowth = options.quantumGrowth ?? 2;
    const promptTokenWeight = options.promptTokenWeight ?? 1 / 32;
    const starvationMs = options.starvationMs ?? Infinity;
    if (!Number.isInteger(numLevels) || numLevels < 1) {
      throw new InvalidParameterError("numLevels", `must be an integer >= 1, got ${numLevels}`);
    }
    if (!(baseQuantum > 0)) throw new InvalidParameterError("baseQuantum", "must be > 0");
    if (!(quantumGrowth >= 1)) throw new InvalidParameterError("quantumGrowth", "must be >= 1");
    if (!(promptTokenWeight >= 0)) {
      throw new InvalidParameterError("promptTokenWeight", "must be >= 0");
    }
    if (!(starvationMs > 0)) throw new InvalidParameterError("starvationMs", "must be > 0");
    this.#mlfq = { numLevels, baseQuantum, quantumGrowth, promptTokenWeight, starvationMs };
    this.#mode = options.preemption ?? "swap";
    this.#maxChunk = options.maxPrefillChunk ?? Infinity;
    this.#withinClass = options.preemptWithinClass ?? false;
  }

  /** The MLFQ level (0 = first served) of a sequence with these counts. */
  levelOf(seq: Pick<SequenceView, "numPromptTokens" | "numGeneratedTokens">): number {
    return mlfqLevel(seq, this.#mlfq);
  }

  schedule(ctx: SchedulerContext): SchedulePlan {
    const b = new PlanBuilder(ctx, this.#mode);
    if (this.#allDecodesFit(ctx, b)) return b.plan();
    const ranked = rankSequences(ctx, this.#mlfq);
    // one token per running decode is kept back from prefill chunks: prefills of better
    // ranked sequences go first, but do not starve decodes of the step's token budget
    let numDecodesLeft = 0;
    for (const s of ctx.running) if (s.numTokens - s.numComputedTokens === 1) numDecodesLeft++;
    numDecodesLeft = Math.min(numDecodesLeft, ctx.maxBatchSeqs);
    // at most maxBatchSeqs sequences stay on the device; a better one displaces the worst
    let numResident = ctx.running.length;
    let admitting = true;
    let victims: Ranked[] | undefined; // running sequences, worst first
    for (const r of ranked) {
      if (b.full) break;
      const seq = r.seq, running = seq.status === "running";
      const decode = running && seq.numTokens - seq.numComputedTokens === 1;
      if (decode) numDecodesLeft--;
      if ((!running && !admitting) || b.has(seq.id)) continue;
      const cap = decode ? 1 : Math.min(this.#maxChunk, b.budget - numDecodesLeft);
      let n = b.chunk(seq, cap);
      if (n === 0) continue;
      const cap0 = n, need = b.blocksNeeded(seq, n);
      const numSlotVictims = !running && numResident >= ctx.maxBatchSeqs ? 1 : 0;
      if (need > b.free || numSlotVictims > 0) {
        victims ??= ranked.filter((v) => v.seq.status === "running").reverse();
        const eligible = this.#eligible(victims, r, b);
        const evicted = b.makeRoom(need, eligible, numSlotVictims);
        if (running && evicted < 0) n = b.fit(seq, n);
        else if (evicted < 0) {
          admitting = false; // keep its place: admit nothing ranked below it until it fits
          continue;
        } else numResident -= evicted;
      }
      if (b.add(seq, n, n === cap0 ? need : undefined)) {
        if (!running) numResident++;
      } else if (!running) admitting = false;
    }
    return b.plan();
  }

  /**
   * The common case needs no ranking: nothing waits, every running sequence decodes, and
   * all fit. Then all of them run.
   */
  #allDecodesFit(ctx: SchedulerContext, b: PlanBuilder): boolean {
    if (ctx.waiting.length > 0 || ctx.swapped.length > 0) return false;
    if (ctx.running.length > Math.min(ctx.maxBatchSeqs, ctx.maxBatchTokens)) return false;
    const needs: number[] = [];
    let total = 0;
    for (const s of ctx.running) {
      if (s.numTokens - s.numComputedTokens !== 1) return false;
      total += needs[needs.length] = b.blocksNeeded(s, 1);
    }
    if (total > b.free) return false;
    ctx.running.forEach((s, i) => b.add(s, 1, needs[i]));
    return true;
  }

  /**
   * Running sequences `r` may preempt, worst first: a running sequence may take blocks from
   * any ranked after it; a new or swapped one only from those of a lower class (or of a
   * worse level, when allowed).
   */
  #eligible(victims: readonly Ranked[], r: Ranked, b: PlanBuilder): SequenceView[] {
    const out: SequenceView[] = [];
    const running = r.seq.status === "running";
    for (const v of victims) {
      if (v.rank <= r.rank || (!running && !this.#outranks(r, v))) break;
      if (!b.has(v.seq.id)) out.push(v.seq);
    }
    return out;
  }

  #outranks(a: { priority: number; level: number }, b: { priority: number; level: number }) {
    if (a.priority !== b.priority) return a.priority > b.priority;
    return this.#withinClass && a.level < b.level;
  }
}
