/**
 * The Scheduler contract: policy only. Given a read-only view of the waiting, running and
 * swapped sequences, the cache's answers, a clock and the step budget, a scheduler returns
 * a plain-data plan. The engine validates and applies it.
 *
 * @module
 */

/** Where a sequence is. */
export type SequenceStatus = "waiting" | "running" | "swapped";

/** What a scheduler may read about a sequence. */
export interface SequenceView {
  /** Engine-wide sequence id. */
  readonly id: number;
  /** The request it belongs to (n > 1 choices share it). */
  readonly requestId: string;
  /** Where it is. */
  readonly status: SequenceStatus;
  /** When the request arrived (engine clock, ms). */
  readonly arrivalMs: number;
  /** Priority: higher runs first under priority-aware schedulers (default 0). */
  readonly priority: number;
  /** Time-to-first-token target, when the request set one. */
  readonly ttftMs: number | undefined;
  /** Time-per-output-token target, when the request set one. */
  readonly tpotMs: number | undefined;
  /** Prompt tokens. */
  readonly numPromptTokens: number;
  /** Prompt plus generated tokens. */
  readonly numTokens: number;
  /** Tokens whose K/V are in the cache (a preempted-by-recompute sequence restarts at 0). */
  readonly numComputedTokens: number;
  /** Tokens generated so far. */
  readonly numGeneratedTokens: number;
  /** Most tokens it may generate. */
  readonly maxTokens: number;
  /** When its first token was produced, if it was. */
  readonly firstTokenMs: number | undefined;
  /** When its latest token was produced, if any. */
  readonly lastTokenMs: number | undefined;
  /** Times it was preempted. */
  readonly numPreemptions: number;
  /** Device blocks it holds now. */
  readonly numBlocks: number;
}

/** What a scheduler may ask the cache (answers only; nothing changes). */
export interface CacheView {
  /** Tokens per block. */
  readonly blockSize: number;
  /** Blocks allocatable now (free plus evictable cached). */
  readonly numFreeBlocks: number;
  /** Host blocks free for swapping. */
  readonly numFreeHostBlocks: number;
  /** Blocks needed to run the next `numTokens` tokens of a sequence (any status). */
  numBlocksNeeded(seq: SequenceView, numTokens: number): number;
  /** Prompt tokens of a waiting sequence already in the prefix cache. */
  numCachedTokens(seq: SequenceView): number;
  /** Whether a running sequence could be swapped out now (host capacity). */
  canSwapOut(seq: SequenceView): boolean;
}

/** Everything a scheduler sees at one step. */
export interface SchedulerContext {
  /** Engine clock, ms. */
  readonly nowMs: number;
  /** Waiting sequences, in arrival order. */
  readonly waiting: readonly SequenceView[];
  /** Running sequences, in the order they started running. */
  readonly running: readonly SequenceView[];
  /** Swapped-out sequences, in the order they were swapped. */
  readonly swapped: readonly SequenceView[];
  /** The cache's answers. */
  readonly cache: CacheView;
  /** Most tokens in one step. */
  readonly maxBatchTokens: number;
  /** Most sequences in one step. */
  readonly maxBatchSeqs: number;
}

/** Run `numTokens` new tokens of a sequence this step (a prefill chunk, or 1 to decode). */
export interface ScheduledChunk {
  /** Sequence id. */
  readonly seqId: number;
  /** Tokens to run. */
  readonly numTokens: number;
}

/** Take a running sequence off the device. */
export interface Preemption {
  /** Sequence id. */
  readonly seqId: number;
  /** `swap` keeps its K/V in host memory; `recompute` drops them (prefill again later). */
  readonly mode: "swap" | "recompute";
}

/** Refuse a waiting sequence. */
export interface Rejection {
  /** Sequence id. */
  readonly seqId: number;
  /** Why (reaches the client). */
  readonly reason: string;
  /** When a retry might succeed. */
  readonly retryAfterMs?: number;
}

/** A scheduler's answer for one step. Preemptions apply first, then runs. */
export interface SchedulePlan {
  /** What runs, in batch order. Swapped sequences listed here are swapped in first. */
  readonly run: readonly ScheduledChunk[];
  /** Running sequences to preempt. */
  readonly preempt: readonly Preemption[];
  /** Waiting sequences to reject. */
  readonly reject: readonly Rejection[];
}

/**
 * A scheduling policy. One class; the engine calls `schedule` once per step.
 *
 * @example
 * ```ts
 * import type { Scheduler, SchedulerContext, SchedulePlan } from "@loom/core";
 * // Runs only decodes of already-running sequences (a toy policy).
 * class DecodeOnly implements Scheduler {
 *   readonly name = "decode-only";
 *   schedule(ctx: SchedulerContext): SchedulePlan {
 *     const run = ctx.running.slice(0, ctx.maxBatchSeqs).map((s) => ({ seqId: s.id, numTokens: 1 }));
 *     return { run, preempt: [], reject: [] };
 *   }
 * }
 * console.log(new DecodeOnly().name); // "decode-only"
 * ```
 */
export interface Scheduler {
  /** Short name for logs and metrics. */
  readonly name: string;
  /** Decides one step. Must not mutate the context. */
  schedule(ctx: SchedulerContext): SchedulePlan;
}

/** An empty plan. */
export const EMPTY_PLAN: SchedulePlan = Object.freeze({ run: [], preempt: [], reject: [] });
