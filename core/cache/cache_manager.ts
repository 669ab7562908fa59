/**
 * The CacheManager contract: owns KV blocks (never tensors). It answers yes/no before it
 * changes anything; the engine turns its answers into backend block copies and swaps.
 *
 * @module
 */

/** Usage figures for metrics and schedulers. */
export interface CacheUsage {
  /** Blocks in the device pool. */
  readonly numBlocks: number;
  /** Blocks referenced by at least one sequence. */
  readonly numUsedBlocks: number;
  /** Blocks immediately allocatable (free plus evictable cached). */
  readonly numFreeBlocks: number;
  /** Unreferenced blocks that still hold a cached prefix (evictable, LRU). */
  readonly numCachedBlocks: number;
  /** Host blocks available for swapping. */
  readonly numHostBlocks: number;
  /** Host blocks holding swapped-out sequences. */
  readonly numUsedHostBlocks: number;
  /** Prompt tokens looked up in the prefix cache so far. */
  readonly numPrefixQueryTokens: number;
  /** Of those, tokens found cached. */
  readonly numPrefixHitTokens: number;
}

/** A device block copy the engine must run before the step's forward pass. */
export type BlockCopy = readonly [src: number, dst: number];

/**
 * Paged KV bookkeeping. Sequence ids are the engine's numeric ids.
 *
 * Lifecycle: `allocate` (admission, prefix-cache lookup) → `append` before every step that
 * runs new tokens of the sequence → `free`. `fork` shares a sequence's blocks with a new one
 * (copy-on-write on the next `append` into a shared block). `swapOut`/`swapIn` move a
 * sequence's blocks to host memory and back.
 *
 * @example
 * ```ts
 * import type { CacheManager } from "@loom/core";
 * function fits(cache: CacheManager, seqId: number, numTokens: number): boolean {
 *   return cache.canAppend(seqId, numTokens);
 * }
 * console.log(typeof fits); // "function"
 * ```
 */
export interface CacheManager {
  /** Tokens per block. */
  readonly blockSize: number;
  /** Blocks in the device pool. */
  readonly numBlocks: number;
  /** Tokens of `tokens` that the prefix cache holds (full blocks only). Changes nothing. */
  lookupPrefix(tokens: readonly number[]): number;
  /** Blocks a new sequence with `tokens` needs to run its first `numNewTokens` tokens. */
  numBlocksToAdmit(tokens: readonly number[], numNewTokens: number): number;
  /**
   * Registers a new sequence and takes references on its cached prefix blocks (keeping at
   * least one token to compute). Returns the number of cached tokens.
   */
  allocate(seqId: number, tokens: readonly number[]): number;
  /** Blocks `append(seqId, numNewTokens tokens)` would take (including copy-on-write). */
  numBlocksToAppend(seqId: number, numNewTokens: number): number;
  /** Whether `append` of `numNewTokens` can succeed now. */
  canAppend(seqId: number, numNewTokens: number): boolean;
  /**
   * Reserves slots for `tokens` after the sequence's current ones; returns the block copies
   * (copy-on-write) to run first. Throws `CacheExhaustedError` when it cannot.
   */
  append(seqId: number, tokens: readonly number[]): BlockCopy[];
  /** The sequence's block table. */
  blockTable(seqId: number): readonly number[];
  /** Tokens whose slots the sequence holds. */
  numTokens(seqId: number): number;
  /** Device blocks the sequence references. */
  numBlocksOf(seqId: number): number;
  /** Shares `parentId`'s blocks with a new sequence `childId`. */
  fork(parentId: number, childId: number): void;
  /** Releases the sequence's blocks (cached prefix blocks stay cached). */
  free(seqId: number): void;
  /** Whether host memory can take the sequence's blocks. */
  canSwapOut(seqId: number): boolean;
  /** Frees the sequence's device blocks; returns them in order, for the engine to copy out. */
  swapOut(seqId: number): number[];
  /** Whether the device has blocks for the swapped sequence. */
  canSwapIn(seqId: number): boolean;
  /** Allocates device blocks for a swapped sequence; returns them in order, to copy into. */
  swapIn(seqId: number): number[];
  /** Usage figures. */
  usage(): CacheUsage;
}
