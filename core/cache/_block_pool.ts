/**
 * The device block pool behind {@linkcode PagedCacheManager}: reference counts, a free list
 * and an LRU list of unreferenced blocks that still hold a cached prefix. Every operation is
 * O(1); nothing scans the pool except {@linkcode BlockPool.inspect} (tests, debugging).
 *
 * A block is in exactly one state: free (on the free stack), used (refcount > 0) or cached
 * (refcount 0, on the LRU list, still registered in the prefix index).
 *
 * @module
 */
import { LoomError } from "../errors.ts";

const FREE = 0;
const USED = 1;
const CACHED = 2;
const NIL = -1;

/** The pool's state, copied out for tests and debugging. */
export interface BlockPoolSnapshot {
  /** Reference count of every block, indexed by block id. */
  readonly refCounts: readonly number[];
  /** Free blocks, in the order they will be taken. */
  readonly freeBlocks: readonly number[];
  /** Cached unreferenced blocks, least recently used (next evicted) first. */
  readonly cachedBlocks: readonly number[];
}

/** Fixed pool of block ids `0..numBlocks-1`. */
export class BlockPool {
  /** Blocks in the pool. */
  readonly numBlocks: number;
  readonly #refCounts: Int32Array;
  readonly #states: Uint8Array;
  readonly #freeStack: Int32Array;
  #numFree: number;
  // Intrusive doubly linked LRU list over block ids: head = least recently used.
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  #head = NIL;
  #tail = NIL;
  #numCached = 0;
  #numUsed = 0;
  readonly #onEvict: (block: number) => void;

  /**
   * @param numBlocks Blocks in the pool.
   * @param onEvict Called when a cached block is evicted (to drop its prefix key).
   */
  constructor(numBlocks: number, onEvict: (block: number) => void) {
    this.numBlocks = numBlocks;
    this.#refCounts = new Int32Array(numBlocks);
    this.#states = new Uint8Array(numBlocks); // all FREE
    this.#freeStack = new Int32Array(numBlocks);
    // Top of the stack is the end: block 0 is taken first.
    for (let i = 0; i < numBlocks; i++) this.#freeStack[i] = numBlocks - 1 - i;
    this.#numFree = numBlocks;
    this.#prev = new Int32Array(numBlocks).fill(NIL);
    this.#next = new Int32Array(numBlocks).fill(NIL);
    this.#onEvict = onEvict;
  }

  /** Blocks that can be taken now: free plus evictable cached. */
  get numAvailable(): number {
    return this.#numFree + this.#numCached;
  }

  /** Unreferenced blocks still holding a cached prefix. */
  get numCached(): number {
    return this.#numCached;
  }

  /** Blocks with at least one reference. */
  get numUsed(): number {
    return this.#numUsed;
  }

  /** The block's reference count. */
  refCount(block: number): number {
    return this.#refCounts[block]!;
  }

  /** Whether the block is unreferenced and cached (on the LRU list). */
  isCached(block: number): boolean {
    return this.#states[block] === CACHED;
  }

  /**
   * Takes an unreferenced block with refcount 1: a free one, else the least recently used
   * cached one (evicting it). Callers check {@linkcode numAvailable} first.
   */
  take(): number {
    let block: number;
    if (this.#numFree > 0) {
      block = this.#freeStack[--this.#numFree]!;
    } else if (this.#head !== NIL) {
      block = this.#head;
      this.#unlink(block);
      this.#onEvict(block);
    } else {
      throw new LoomError("block pool: no block available (check numAvailable first)", "internal");
    }
    this.#states[block] = USED;
    this.#refCounts[block] = 1;
    this.#numUsed++;
    return block;
  }

  /** Adds a reference; a cached unreferenced block is revived (leaves the LRU list). */
  ref(block: number): void {
    if (this.#states[block] === CACHED) {
      this.#unlink(block);
      this.#states[block] = USED;
      this.#numUsed++;
    } else if (this.#states[block] === FREE) {
      throw new LoomError(`block pool: ref of free block ${block}`, "internal");
    }
    this.#refCounts[block]!++;
  }

  /**
   * Drops a reference. At zero the block goes to the LRU tail when `keepCached` (it holds a
   * registered prefix), else back to the free list.
   */
  unref(block: number, keepCached: boolean): void {
    if (this.#states[block] !== USED) {
      throw new LoomError(`block pool: unref of unreferenced block ${block}`, "internal");
    }
    if (--this.#refCounts[block]! > 0) return;
    this.#numUsed--;
    if (keepCached) {
      this.#states[block] = CACHED;
      this.#prev[block] = this.#tail;
      this.#next[block] = NIL;
      if (this.#tail === NIL) this.#head = block;
      else this.#next[this.#tail] = block;
      this.#tail = block;
      this.#numCached++;
    } else {
      this.#states[block] = FREE;
      this.#freeStack[this.#numFree++] = block;
    }
  }

  /** Copies the pool's state out. O(numBlocks): for tests and debugging only. */
  inspect(): BlockPoolSnapshot {
    const cachedBlocks: number[] = [];
    for (let b = this.#head; b !== NIL; b = this.#next[b]!) cachedBlocks.push(b);
    const freeBlocks = Array.from(this.#freeStack.subarray(0, this.#numFree)).reverse();
    return { refCounts: Array.from(this.#refCounts), freeBlocks, cachedBlocks };
  }

  #unlink(block: number): void {
    const p = this.#prev[block]!;
    const n = this.#next[block]!;
    if (p === NIL) this.#head = n;
    else this.#next[p] = n;
    if (n === NIL) this.#tail = p;
    else this.#prev[n] = p;
    this.#prev[block] = NIL;
    this.#next[block] = NIL;
    this.#numCached--;
  }
}
