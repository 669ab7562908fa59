import type {
  Preemption,
  Rejection,
  ScheduledChunk,
  SchedulePlan,
  SchedulerContext,
  SequenceView,
} from "@loom/core";

/** How sequences are taken off the device: `swap` falls back to recompute without host room. */
export type PreemptionMode = "swap" | "recompute";

/**
 * A plan under construction: what runs, what is preempted or rejected, and what is left of
 * the step's token budget, sequence slots, free device blocks and free host blocks.
 */
export class PlanBuilder {
  readonly run: ScheduledChunk[] = [];
  /** The sequences of `run`, in the same order. */
  readonly runSeqs: SequenceView[] = [];
  readonly preempt: Preemption[] = [];
  readonly reject: Rejection[] = [];
  /** Tokens left in the step. */
  budget: number;
  /** Device blocks left. */
  free: number;
  /** Host blocks left for swaps. */
  hostFree: number;
  readonly #ctx: SchedulerContext;
  readonly #mode: PreemptionMode;
  readonly #taken = new Set<number>();
  readonly #cached = new Map<number, number>();

  constructor(ctx: SchedulerContext, mode: PreemptionMode) {
    this.#ctx = ctx;
    this.#mode = mode;
    this.budget = ctx.maxBatchTokens;
    this.free = ctx.cache.numFreeBlocks;
    this.hostFree = ctx.cache.numFreeHostBlocks;
  }

  /** No token or sequence slot left. */
  get full(): boolean {
    return this.budget <= 0 || this.run.length >= this.#ctx.maxBatchSeqs;
  }

  /** Whether the sequence is already in the plan (run, preempted or rejected). */
  has(seqId: number): boolean {
    return this.#taken.has(seqId);
  }

  /** Tokens the sequence must run before its next token can be sampled. */
  pending(seq: SequenceView): number {
    if (seq.status !== "waiting") return seq.numTokens - seq.numComputedTokens;
    let cached = this.#cached.get(seq.id);
    if (cached === undefined) {
      cached = this.#ctx.cache.numCachedTokens(seq);
      this.#cached.set(seq.id, cached);
    }
    return seq.numTokens - cached;
  }

  /** Tokens the sequence would run now: pending, capped by the budget and `maxTokens`. */
  chunk(seq: SequenceView, maxTokens = Infinity): number {
    return Math.max(0, Math.min(this.pending(seq), this.budget, maxTokens));
  }

  /** Blocks `numTokens` more tokens of the sequence take. */
  blocksNeeded(seq: SequenceView, numTokens: number): number {
    return this.#ctx.cache.numBlocksNeeded(seq, numTokens);
  }

  /**
   * The largest chunk up to `numTokens` whose blocks fit now; a running sequence's prefill
   * shrinks to the room left, others keep the whole chunk (0 when it does not fit).
   */
  fit(seq: SequenceView, numTokens: number): number {
    if (numTokens <= 0 || this.blocksNeeded(seq, numTokens) <= this.free) return numTokens;
    if (seq.status !== "running" || numTokens === 1) return 0;
    const bs = this.#ctx.cache.blockSize;
    let n = Math.min(numTokens - 1, (seq.numBlocks + this.free) * bs - seq.numComputedTokens);
    while (n > 0 && this.blocksNeeded(seq, n) > this.free) n -= bs;
    return Math.max(0, n);
  }

  /**
   * Runs `numTokens` tokens of the sequence when they fit; returns whether they did.
   * `need` is their block count when the caller has it.
   */
  add(seq: SequenceView, numTokens: number, need?: number): boolean {
    if (numTokens <= 0 || this.full || this.has(seq.id) || numTokens > this.budget) return false;
    need ??= this.blocksNeeded(seq, numTokens);
    if (need > this.free) return false;
    this.run.push({ seqId: seq.id, numTokens });
    this.runSeqs.push(seq);
    this.#taken.add(seq.id);
    this.budget -= numTokens;
    this.free -= need;
    return true;
  }

  /**
   * Preempts victims, in the order given, until `numBlocks` are free and at least
   * `minVictims` are preempted; preempts nothing when even all of them would not do.
   * Returns how many were preempted, or -1 when it could not make the room.
   */
  makeRoom(numBlocks: number, victims: Iterable<SequenceView>, minVictims = 0): number {
    if (numBlocks <= this.free && minVictims === 0) return 0;
    const chosen: SequenceView[] = [];
    let free = this.free;
    for (const v of victims) {
      if (free >= numBlocks && chosen.length >= minVictims) break;
      if (v.status !== "running" || this.has(v.id)) continue;
      chosen.push(v);
      free += v.numBlocks;
    }
    if (free < numBlocks || chosen.length < minVictims) return -1;
    for (const v of chosen) this.evict(v);
    return chosen.length;
  }

  /** Preempts a running sequence: by swap when configured and host room allows. */
  evict(seq: SequenceView): void {
    const swap = this.#mode === "swap" && seq.numBlocks <= this.hostFree &&
      this.#ctx.cache.canSwapOut(seq);
    this.preempt.push({ seqId: seq.id, mode: swap ? "swap" : "recompute" });
    this.#taken.add(seq.id);
    this.free += seq.numBlocks;
    if (swap) this.hostFree -= seq.numBlocks;
  }

  /** Rejects a waiting sequence. */
  refuse(seq: SequenceView, reason: string, retryAfterMs?: number): void {
    this.reject.push(
      retryAfterMs === undefined
        ? { seqId: seq.id, reason }
        : { seqId: seq.id, reason, retryAfterMs: Math.ceil(retryAfterMs) },
    );
    this.#taken.add(seq.id);
  }

  /** The plan. */
  plan(): SchedulePlan {
    return { run: this.run, preempt: this.preempt, reject: this.reject };
  }
}
