/**
 * Builds {@linkcode ForwardBatch}es from per-sequence chunks: the engine's way of
 * flattening prefill chunks and decode tokens of many sequences into one step.
 *
 * @module
 */
import type { ForwardBatch } from "./forward_batch.ts";

/** One sequence's share of a step. */
export interface SequenceChunk {
  /** The new tokens to run. */
  readonly tokens: readonly number[];
  /** Position of the first new token (= tokens already in the KV cache). */
  readonly startPos: number;
  /** The sequence's block table, covering at least `startPos + tokens.length` slots. */
  readonly blockTable: readonly number[];
  /** Which rows need logits: the last new token, every new token, or none. */
  readonly logits: "last" | "all" | "none";
}

/**
 * Flattens chunks of several sequences into one batch.
 *
 * @example
 * ```ts
 * import { buildForwardBatch } from "@loom/core";
 * const b = buildForwardBatch([
 *   { tokens: [1, 2, 3], startPos: 0, blockTable: [0], logits: "last" }, // prefill
 *   { tokens: [7], startPos: 20, blockTable: [1, 2], logits: "last" }, // decode
 * ], 16);
 * console.log(Array.from(b.slotMapping), Array.from(b.logitRows)); // [ 0, 1, 2, 36 ] [ 2, 3 ]
 * ```
 */
export function buildForwardBatch(
  chunks: readonly SequenceChunk[],
  blockSize: number,
): ForwardBatch {
  const numTokens = chunks.reduce((a, c) => a + c.tokens.length, 0);
  const maxBlocksPerSeq = Math.max(1, ...chunks.map((c) => c.blockTable.length));
  const tokens = new Int32Array(numTokens);
  const positions = new Int32Array(numTokens);
  const slotMapping = new Int32Array(numTokens);
  const seqStarts = new Int32Array(chunks.length + 1);
  const contextLens = new Int32Array(chunks.length);
  const blockTables = new Int32Array(chunks.length * maxBlocksPerSeq).fill(-1);
  const logitRows: number[] = [];
  let row = 0;
  chunks.forEach((c, s) => {
    seqStarts[s] = row;
    contextLens[s] = c.startPos + c.tokens.length;
    blockTables.set(c.blockTable, s * maxBlocksPerSeq);
    c.tokens.forEach((tok, i) => {
      const pos = c.startPos + i;
      tokens[row] = tok;
      positions[row] = pos;
      slotMapping[row] = (c.blockTable[Math.floor(pos / blockSize)] ?? -1) * blockSize +
        (pos % blockSize);
      if (c.logits === "all" || (c.logits === "last" && i === c.tokens.length - 1)) {
        logitRows.push(row);
      }
      row++;
    });
  });
  seqStarts[chunks.length] = row;
  return {
    tokens,
    positions,
    seqStarts,
    contextLens,
    blockTables,
    maxBlocksPerSeq,
    blockSize,
    slotMapping,
    logitRows: Int32Array.from(logitRows),
  };
}

/**
 * A batch of one sequence (handy in tests and scripts).
 *
 * @example
 * ```ts
 * import { buildSingleSequenceBatch } from "@loom/core";
 * const b = buildSingleSequenceBatch([1, 2, 3], [5], 16, { logits: "all" });
 * console.log(Array.from(b.slotMapping)); // [ 80, 81, 82 ]
 * ```
 */
export function buildSingleSequenceBatch(
  tokens: readonly number[],
  blockTable: readonly number[],
  blockSize: number,
  options: { startPos?: number; logits?: "last" | "all" | "none" } = {},
): ForwardBatch {
  return buildForwardBatch([{
    tokens,
    startPos: options.startPos ?? 0,
    blockTable,
    logits: options.logits ?? "last",
  }], blockSize);
}
