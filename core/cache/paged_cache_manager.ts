/**
 * The paged KV-cache manager: a fixed pool of blocks, per-sequence block tables, reference
 * counts, copy-on-write for forked sequences, automatic prefix caching with LRU eviction, and
 * swap bookkeeping. Every operation costs O(blocks or tokens it touches); nothing scans the
 * pool.
 *
 * @module
 */
import type { BlockCopy, CacheManager, CacheUsage } from "./cache_manager.ts";
import { CacheExhaustedError, InvalidParameterError, LoomError } from "../errors.ts";
import { BlockPool } from "./_block_pool.ts";
import { PrefixIndex, type PrefixMatch, ROOT_PREFIX_ID } from "./_prefix_index.ts";

/** Options of {@linkcode PagedCacheManager}. */
export interface PagedCacheManagerOptions {
  /** Device blocks in the pool (block ids `0..numBlocks-1`). */
  readonly numBlocks: number;
  /** Tokens per block. Default 16. */
  readonly blockSize?: number;
  /** Host blocks for swapped-out sequences. Default 0 (no swapping). */
  readonly numHostBlocks?: number;
  /** Reuse full blocks of identical prompt prefixes across sequences. Default true. */
  readonly enablePrefixCaching?: boolean;
}

/** The manager's block state, copied out by {@linkcode PagedCacheManager.inspect}. */
export interface PagedCacheSnapshot {
  /** Reference count of every block, indexed by block id. */
  readonly refCounts: readonly number[];
  /** Free blocks, in the order they will be taken. */
  readonly freeBlocks: readonly number[];
  /** Cached unreferenced blocks, least recently used (next evicted) first. */
  readonly cachedBlocks: readonly number[];
  /** Blocks registered in the prefix index (referenced or not). */
  readonly registeredBlocks: readonly number[];
}

interface Sequence {
  /** Device blocks, in order (empty while swapped out). */
  table: number[];
  numTokens: number;
  /** Tokens of the partially filled last block (prefix caching only). */
  tail: number[];
  /** Prefix id of every full block (prefix caching only). */
  prefixIds: number[];
  /** Host blocks held while swapped out; -1 while on the device. */
  numHostBlocks: number;
}

function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new InvalidParameterError(name, `must be an integer, got ${v}`);
  }
  if (v < min || v > 0x7fffffff) {
    throw new InvalidParameterError(name, `must be in [${min}, ${0x7fffffff}], got ${v}`);
  }
  return v;
}

/**
 * {@linkcode CacheManager} over a fixed pool of paged KV blocks, as in vLLM.
 *
 * - Prefix caching: a full block is identified exactly by (its parent's prefix, its tokens)
 *   and registered when `append` fills it. `allocate` reuses the longest chain of cached full
 *   blocks of the prompt, but always leaves at least one token to compute. Unreferenced
 *   cached blocks stay allocatable and are evicted least recently used first, only when no
 *   free block is left. A sequence's blocks are released last-first, so a chain's tail is
 *   evicted before its head.
 * - Copy-on-write: after `fork`, an `append` into a shared, partially filled last block
 *   moves the writer to a new block and returns the copy to run.
 * - Swap: `swapOut` releases a sequence's device blocks (returned for the engine to copy
 *   out before anything writes them) and holds host blocks; `swapIn` gives it fresh private
 *   device blocks.
 *
 * `blockTable` returns a live view: copy it to keep it across calls.
 *
 * @example
 * ```ts
 * import { PagedCacheManager } from "@loom/core";
 * const cache = new PagedCacheManager({ numBlocks: 8, blockSize: 4 });
 * const prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9];
 * cache.allocate(0, prompt); // 0 cached tokens
 * cache.append(0, prompt); // reserves 3 blocks; the 2 full ones become cached prefixes
 * console.log(cache.blockTable(0)); // [ 0, 1, 2 ]
 * console.log(cache.allocate(1, prompt)); // 8: two blocks shared, one token left to run
 * console.log(cache.blockTable(1)); // [ 0, 1 ]
 * cache.free(0);
 * cache.free(1);
 * console.log(cache.usage().numCachedBlocks); // 2
 * ```
 */
export class PagedCacheManager implements CacheManager {
  /** Tokens per block. */
  readonly blockSize: number;
  /** Blocks in the device pool. */
  readonly numBlocks: number;
  /** Host blocks for swapped-out sequences. */
  readonly numHostBlocks: number;
  /** Whether prefix caching is on. */
  readonly enablePrefixCaching: boolean;
  readonly #pool: BlockPool;
  readonly #index = new PrefixIndex();
  readonly #seqs = new Map<number, Sequence>();
  #numUsedHostBlocks = 0;
  #numPrefixQueryTokens = 0;
  #numPrefixHitTokens = 0;

  /**
   * Creates an instance.
   *
   * @param options Pool size, block size, host capacity and prefix caching.
   */
  constructor(options: PagedCacheManagerOptions) {
    this.numBlocks = checkInt("numBlocks", options.numBlocks, 1);
    this.blockSize = checkInt("blockSize", options.blockSize ?? 16, 1);
    this.numHostBlocks = checkInt("numHostBlocks", options.numHostBlocks ?? 0, 0);
    const caching = options.enablePrefixCaching ?? true;
    if (typeof caching !== "boolean") {
      throw new InvalidParameterError("enablePrefixCaching", `must be a boolean, got ${caching}`);
    }
    this.enablePrefixCaching = caching;
    this.#pool = new BlockPool(this.numBlocks, (block) => this.#index.remove(block));
  }

  /** Cached tokens `allocate(tokens)` would reuse now (at most `tokens.length - 1`). */
  lookupPrefix(tokens: readonly number[]): number {
    return this.#match(tokens).blocks.length * this.blockSize;
  }

  /**
   * Blocks that `allocate(tokens)` followed by `append` of the next `numNewTokens` tokens
   * would take from the free count now (new blocks plus cached blocks it revives).
   */
  numBlocksToAdmit(tokens: readonly number[], numNewTokens: number): number {
    checkInt("numNewTokens", numNewTokens, 0);
    const { blocks } = this.#match(tokens);
    let numRevived = 0;
    for (const b of blocks) if (this.#pool.isCached(b)) numRevived++;
    const numCached = blocks.length * this.blockSize;
    return numRevived + Math.ceil((numCached + numNewTokens) / this.blockSize) - blocks.length;
  }

  /** Registers `seqId`, sharing its cached prefix blocks; returns the cached token count. */
  allocate(seqId: number, tokens: readonly number[]): number {
    if (this.#seqs.has(seqId)) {
      throw new LoomError(`sequence ${seqId} is already allocated`, "duplicate_sequence");
    }
    const { blocks, ids } = this.#match(tokens);
    for (const b of blocks) this.#pool.ref(b);
    const numCached = blocks.length * this.blockSize;
    this.#numPrefixQueryTokens += tokens.length;
    this.#numPrefixHitTokens += numCached;
    this.#seqs.set(seqId, {
      table: blocks,
      numTokens: numCached,
      tail: [],
      prefixIds: ids,
      numHostBlocks: -1,
    });
    return numCached;
  }

  /** Blocks `append` of `numNewTokens` tokens would take (new blocks plus copy-on-write). */
  numBlocksToAppend(seqId: number, numNewTokens: number): number {
    checkInt("numNewTokens", numNewTokens, 0);
    return this.#blocksToAppend(this.#onDevice(seqId), numNewTokens);
  }

  /** Whether `append` of `numNewTokens` tokens fits now. */
  canAppend(seqId: number, numNewTokens: number): boolean {
    return this.numBlocksToAppend(seqId, numNewTokens) <= this.#pool.numAvailable;
  }

  /**
   * Reserves slots for `tokens` after the sequence's current ones; returns the block copies
   * (copy-on-write) to run before the step. Throws {@linkcode CacheExhaustedError}, changing
   * nothing, when the blocks are not there.
   */
  append(seqId: number, tokens: readonly number[]): BlockCopy[] {
    const seq = this.#onDevice(seqId);
    const numNeeded = this.#blocksToAppend(seq, tokens.length);
    if (numNeeded > this.#pool.numAvailable) {
      throw new CacheExhaustedError(numNeeded, this.#pool.numAvailable);
    }
    if (tokens.length === 0) return [];
    const copies: BlockCopy[] = [];
    if (this.#lastBlockIsSharedPartial(seq)) {
      const last = seq.table.length - 1;
      const src = seq.table[last]!;
      const dst = this.#pool.take();
      seq.table[last] = dst;
      this.#pool.unref(src, this.#index.has(src));
      copies.push([src, dst]);
    }
    const numBlocksAfter = Math.ceil((seq.numTokens + tokens.length) / this.blockSize);
    while (seq.table.length < numBlocksAfter) seq.table.push(this.#pool.take());
    if (this.enablePrefixCaching) this.#commit(seq, tokens);
    seq.numTokens += tokens.length;
    return copies;
  }

  /** The sequence's device blocks (a live view; empty while swapped out). */
  blockTable(seqId: number): readonly number[] {
    return this.#get(seqId).table;
  }

  /** Tokens whose slots the sequence holds (kept while swapped out). */
  numTokens(seqId: number): number {
    return this.#get(seqId).numTokens;
  }

  /** Device blocks the sequence references (0 while swapped out). */
  numBlocksOf(seqId: number): number {
    return this.#get(seqId).table.length;
  }

  /** Shares `parentId`'s blocks and tokens with a new sequence `childId`. */
  fork(parentId: number, childId: number): void {
    const parent = this.#onDevice(parentId);
    if (this.#seqs.has(childId)) {
      throw new LoomError(`sequence ${childId} is already allocated`, "duplicate_sequence");
    }
    for (const b of parent.table) this.#pool.ref(b);
    this.#seqs.set(childId, {
      table: [...parent.table],
      numTokens: parent.numTokens,
      tail: [...parent.tail],
      prefixIds: [...parent.prefixIds],
      numHostBlocks: -1,
    });
  }

  /** Releases the sequence's blocks (cached prefixes stay cached). Unknown ids are ignored. */
  free(seqId: number): void {
    const seq = this.#seqs.get(seqId);
    if (seq === undefined) return;
    if (seq.numHostBlocks >= 0) this.#numUsedHostBlocks -= seq.numHostBlocks;
    else this.#release(seq.table);
    this.#seqs.delete(seqId);
  }

  /** Whether host memory can take the sequence's blocks (false if already swapped out). */
  canSwapOut(seqId: number): boolean {
    const seq = this.#get(seqId);
    return seq.numHostBlocks < 0 && seq.table.length <= this.#numFreeHostBlocks();
  }

  /**
   * Releases the sequence's device blocks and holds host blocks for them; returns the device
   * blocks in order, which the engine must copy out before any write into the pool.
   */
  swapOut(seqId: number): number[] {
    const seq = this.#onDevice(seqId);
    const numNeeded = seq.table.length;
    if (numNeeded > this.#numFreeHostBlocks()) {
      throw new CacheExhaustedError(numNeeded, this.#numFreeHostBlocks());
    }
    const blocks = seq.table;
    this.#release(blocks);
    seq.table = [];
    seq.numHostBlocks = numNeeded;
    this.#numUsedHostBlocks += numNeeded;
    return blocks;
  }

  /** Whether the device has blocks for the swapped-out sequence (false if not swapped). */
  canSwapIn(seqId: number): boolean {
    const seq = this.#get(seqId);
    return seq.numHostBlocks >= 0 && seq.numHostBlocks <= this.#pool.numAvailable;
  }

  /** Gives the swapped-out sequence fresh private device blocks; returns them, to copy into. */
  swapIn(seqId: number): number[] {
    const seq = this.#get(seqId);
    if (seq.numHostBlocks < 0) {
      throw new LoomError(`sequence ${seqId} is not swapped out`, "sequence_not_swapped");
    }
    const numNeeded = seq.numHostBlocks;
    if (numNeeded > this.#pool.numAvailable) {
      throw new CacheExhaustedError(numNeeded, this.#pool.numAvailable);
    }
    for (let i = 0; i < numNeeded; i++) seq.table.push(this.#pool.take());
    this.#numUsedHostBlocks -= numNeeded;
    seq.numHostBlocks = -1;
    return [...seq.table];
  }

  /** Usage figures (O(1)). */
  usage(): CacheUsage {
    return {
      numBlocks: this.numBlocks,
      numUsedBlocks: this.#pool.numUsed,
      numFreeBlocks: this.#pool.numAvailable,
      numCachedBlocks: this.#pool.numCached,
      numHostBlocks: this.numHostBlocks,
      numUsedHostBlocks: this.#numUsedHostBlocks,
      numPrefixQueryTokens: this.#numPrefixQueryTokens,
      numPrefixHitTokens: this.#numPrefixHitTokens,
    };
  }

  /** Copies the block state out. O(numBlocks): for tests and debugging, not the step loop. */
  inspect(): PagedCacheSnapshot {
    const pool = this.#pool.inspect();
    return { ...pool, registeredBlocks: this.#index.blocks().sort((a, b) => a - b) };
  }

  /** The longest cached chain of full blocks of `tokens`, leaving at least one token. */
  #match(tokens: readonly number[]): PrefixMatch {
    if (!this.enablePrefixCaching) return { blocks: [], ids: [] };
    const maxBlocks = Math.max(0, Math.floor((tokens.length - 1) / this.blockSize));
    return this.#index.match(tokens, this.blockSize, maxBlocks);
  }

  /** Remembers appended tokens; gives every block they fill its prefix id. */
  #commit(seq: Sequence, tokens: readonly number[]): void {
    for (const t of tokens) {
      seq.tail.push(t);
      if (seq.tail.length < this.blockSize) continue;
      const i = seq.prefixIds.length; // the block just filled
      const parentId = i === 0 ? ROOT_PREFIX_ID : seq.prefixIds[i - 1]!;
      seq.prefixIds.push(this.#index.commit(parentId, seq.tail, seq.table[i]!));
      seq.tail = [];
    }
  }

  #blocksToAppend(seq: Sequence, numNewTokens: number): number {
    if (numNewTokens === 0) return 0;
    const grow = Math.ceil((seq.numTokens + numNewTokens) / this.blockSize) - seq.table.length;
    return grow + (this.#lastBlockIsSharedPartial(seq) ? 1 : 0);
  }

  #lastBlockIsSharedPartial(seq: Sequence): boolean {
    return seq.numTokens % this.blockSize !== 0 &&
      this.#pool.refCount(seq.table[seq.table.length - 1]!) > 1;
  }

  /** Drops one reference on each block, last first (so a chain's tail is evicted first). */
  #release(table: readonly number[]): void {
    for (let i = table.length - 1; i >= 0; i--) {
      const b = table[i]!;
      this.#pool.unref(b, this.#index.has(b));
    }
  }

  #numFreeHostBlocks(): number {
    return this.numHostBlocks - this.#numUsedHostBlocks;
  }

  #get(seqId: number): Sequence {
    const seq = this.#seqs.get(seqId);
    if (seq === undefined) throw new LoomError(`unknown sequence ${seqId}`, "unknown_sequence");
    return seq;
  }

  #onDevice(seqId: number): Sequence {
    const seq = this.#get(seqId);
    if (seq.numHostBlocks >= 0) {
      throw new LoomError(`sequence ${seqId} is swapped out`, "sequence_swapped");
    }
    return seq;
  }
}
