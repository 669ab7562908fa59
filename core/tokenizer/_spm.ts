/**
 * SentencePiece-style (llama.cpp "SPM") encoding: start from single characters and keep
 * merging the adjacent pair whose concatenation is the highest-scoring vocabulary piece
 * (leftmost on ties); characters left without a piece fall back to `<0xXX>` byte tokens.
 *
 * @module
 */
import { MergeHeap } from "./_heap.ts";

/** What SPM encoding needs from the vocabulary. */
export interface SpmVocab {
  readonly idOf: ReadonlyMap<string, number>;
  readonly scores: Float64Array;
  /** Byte → token id (`<0xXX>`, else the byte as a one-character piece), -1 when absent. */
  readonly byteIds: Int32Array;
  readonly unkId: number | undefined;
}

const encoder = new TextEncoder();

/** Builds the byte → id table for byte fallback. */
export function spmByteIds(idOf: ReadonlyMap<string, number>): Int32Array {
  const out = new Int32Array(256).fill(-1);
  for (let b = 0; b < 256; b++) {
    const hex = b.toString(16).toUpperCase().padStart(2, "0");
    out[b] = idOf.get(`<0x${hex}>`) ?? (b < 128 ? idOf.get(String.fromCharCode(b)) : undefined) ??
      -1;
  }
  return out;
}

/**
 * Encodes `text` (spaces already escaped as `▁`) and appends the ids to `out`.
 *
 * @example
 * ```ts ignore
 * spmEncode("▁Hello", vocab, ids);
 * ```
 */
export function spmEncode(text: string, vocab: SpmVocab, out: number[]): void {
  // Symbols are code points of `text`, as [start, start + len) in UTF-16 units, in a linked list.
  const start: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < text.length;) {
    const step = text.codePointAt(i)! > 0xffff ? 2 : 1;
    start.push(i);
    len.push(step);
    i += step;
  }
  const n = start.length;
  if (n === 0) return;
  const prev = Array.from({ length: n }, (_, i) => i - 1);
  const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const heap = new MergeHeap();

  const tryAdd = (left: number, right: number): void => {
    if (left < 0 || right < 0) return;
    const size = len[left]! + len[right]!;
    const id = vocab.idOf.get(text.slice(start[left]!, start[left]! + size));
    if (id === undefined) return;
    heap.push({ priority: -vocab.scores[id]!, left, right, size });
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

  for (let i = 0; i !== -1; i = next[i]!) {
    const piece = text.slice(start[i]!, start[i]! + len[i]!);
    const id = vocab.idOf.get(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (const b of encoder.encode(piece)) {
      const byteId = vocab.byteIds[b]!;
      if (byteId >= 0) out.push(byteId);
      else if (vocab.unkId !== undefined) out.push(vocab.unkId);
    }
  }
}
