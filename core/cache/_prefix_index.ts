/**
 * The exact prefix index behind {@linkcode PagedCacheManager}'s automatic prefix caching.
 *
 * A full block's identity is (identity of its parent's prefix, the block's tokens), written as
 * the key `${parentId}|${tokens}`. Every key registered gets a fresh prefix id (never reused),
 * so by induction equal keys mean equal whole prefixes: there are no hash collisions. When a
 * block is evicted its key and id go; keys of its descendants that named its id become
 * unreachable and leave in their turn through LRU eviction, and no block is registered under
 * a parent id that is gone.
 *
 * @module
 */

/** Prefix id of the empty prefix (the parent of a sequence's first block). */
export const ROOT_PREFIX_ID = 0;

/** Stands for a prefix that can never be cached again (its head was evicted). */
export const NO_PREFIX_ID = -1;

/** A chain of registered blocks matching a prompt's first full blocks. */
export interface PrefixMatch {
  /** The blocks, in order. */
  readonly blocks: number[];
  /** The prefix id of each. */
  readonly ids: number[];
}

/** Map from prefix keys to the cached blocks that hold them. */
export class PrefixIndex {
  readonly #entries = new Map<string, { id: number; block: number }>();
  readonly #keyOfBlock = new Map<number, string>();
  readonly #liveIds = new Set<number>();
  #nextId = ROOT_PREFIX_ID + 1;

  /** Whether `block` is registered (holds a cached prefix). */
  has(block: number): boolean {
    return this.#keyOfBlock.has(block);
  }

  /** The longest chain of registered blocks holding `tokens`' first (up to) `maxBlocks` blocks. */
  match(tokens: readonly number[], blockSize: number, maxBlocks: number): PrefixMatch {
    const blocks: number[] = [];
    const ids: number[] = [];
    let parentId = ROOT_PREFIX_ID;
    for (let i = 0; i < maxBlocks; i++) {
      const key = `${parentId}|${tokens.slice(i * blockSize, (i + 1) * blockSize).join(",")}`;
      const entry = this.#entries.get(key);
      if (entry === undefined) break;
      blocks.push(entry.block);
      ids.push(entry.id);
      parentId = entry.id;
    }
    return { blocks, ids };
  }

  /**
   * Gives `block`, just filled with `tokens` after the prefix `parentId`, its prefix id and
   * registers it — unless a twin (same prefix, filled by another sequence) is registered
   * already, whose id it shares, or the parent's prefix is gone (after a swap-in), when
   * nothing could reach it from the root and it gets {@linkcode NO_PREFIX_ID}.
   */
  commit(parentId: number, tokens: readonly number[], block: number): number {
    if (parentId !== ROOT_PREFIX_ID && !this.#liveIds.has(parentId)) return NO_PREFIX_ID;
    const key = `${parentId}|${tokens.join(",")}`;
    const twin = this.#entries.get(key);
    if (twin !== undefined) return twin.id;
    const id = this.#nextId++;
    this.#entries.set(key, { id, block });
    this.#keyOfBlock.set(block, key);
    this.#liveIds.add(id);
    return id;
  }

  /** Drops `block`'s key (on eviction). */
  remove(block: number): void {
    const key = this.#keyOfBlock.get(block);
    if (key === undefined) return;
    this.#liveIds.delete(this.#entries.get(key)!.id);
    this.#keyOfBlock.delete(block);
    this.#entries.delete(key);
  }

  /** Registered blocks, for tests and debugging. */
  blocks(): number[] {
    return [...this.#keyOfBlock.keys()];
  }
}
