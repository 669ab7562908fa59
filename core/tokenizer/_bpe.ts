/**
 * Byte-level BPE over one pre-tokenized word: start from its characters and keep merging the
 * adjacent pair with the lowest merge rank (leftmost on ties), as llama.cpp does. Results are
 * cached per word.
 *
 * @module
 */
import { MergeHeap } from "./_heap.ts";

const MAX_CACHE_ENTRIES = 1 << 16;

/** BPE merges and vocabulary. */
export class BpeModel {
  readonly #ranks = new Map<string, number>();
  readonly #idOf: ReadonlyMap<string, number>;
  readonly #ignoreMerges: boolean;
  readonly #cache = new Map<string, readonly number[]>();

  /**
   * @param merges `"left right"` strings in rank order.
   * @param idOf Piece → id.
   * @param ignoreMerges A word that is itself a token is emitted whole (llama3 vocabularies).
   */
  constructor(merges: readonly string[], idOf: ReadonlyMap<string, number>, ignoreMerges: boolean) {
    merges.forEach((m, rank) => {
      if (m.indexOf(" ", 1) > 0 && !this.#ranks.has(m)) this.#ranks.set(m, rank);
    });
    this.#idOf = idOf;
    this.#ignoreMerges = ignoreMerges;
  }

  /** Encodes one byte-level word and appends its ids to `out`. */
  encodeWord(word: string, out: number[]): void {
    let ids = this.#cache.get(word);
    if (ids === undefined) {
      ids = this.#encode(word);
      if (this.#cache.size >= MAX_CACHE_ENTRIES) this.#cache.clear();
      this.#cache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  #encode(word: string): number[] {
    const whole = this.#ignoreMerges ? this.#idOf.get(word) : undefined;
    if (whole !== undefined) return [whole];
    // Symbols are code points, as [start, start + len) in UTF-16 units, in a linked list.
    const start: number[] = [];
    const len: number[] = [];
    for (let i = 0; i < word.length;) {
      const step = word.codePointAt(i)! > 0xffff ? 2 : 1;
      start.push(i);
      len.push(step);
      i += step;
    }
    const n = start.length;
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const heap = new MergeHeap();
    const piece = (i: number) => word.slice(start[i]!, start[i]! + len[i]!);
    const tryAdd = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const rank = this.#ranks.get(`${piece(left)} ${piece(right)}`);
      if (rank === undefined) return;
      heap.push({ priority: rank, left, right, size: len[left]! + len[right]! });
    };

    for (let i = 1; i < n; i++) tryAdd(i - 1, i);
    for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
      const { left, right } = c;
      if (len[left] === 0 || len[right] === 0 || len[left]! + len[right]! !== c.size) continue;
      len[left] = c.size;
      len[right] = 0;
      next[left] = next[right]!;
      if (next[right]! >= 0) prev[next[right]!] = left;
      tryAdd(prev[left]!, left);
      tryAdd(left, next[left]!);
    }

    const ids: number[] = [];
    for (let i = 0; i !== -1 && n > 0; i = next[i]!) {
      const text = piece(i);
      const id = this.#idOf.get(text);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // As llama.cpp: a piece missing from the vocabulary falls back to its one-byte characters.
      for (const ch of text) {
        const single = ch.charCodeAt(0) < 0x80 ? this.#idOf.get(ch) : undefined;
        if (single !== undefined) ids.push(single);
      }
    }
    return ids;
  }
}
