/**
 * ForwardBatch: one flattened, variable-length step, as in vLLM. Prefill chunks and decode
 * tokens of many sequences share one batch; every new token's K/V goes to a slot of the
 * paged KV pool.
 *
 * @module
 */
import { LoomError } from "../errors.ts";

/**
 * One step's inputs. `numTokens` = tokens.length; sequence `s` owns tokens
 * `seqStarts[s] .. seqStarts[s + 1]`, which are the last `seqStarts[s+1] - seqStarts[s]`
 * of its `contextLens[s]` positions; its earlier K/V are already in the pool.
 *
 * @example
 * ```ts
 * import { validateForwardBatch, type ForwardBatch } from "@loom/core";
 * // one sequence, prefill of 3 tokens into block 0 (block size 16)
 * const b: ForwardBatch = {
 *   tokens: Int32Array.of(1, 5, 9), positions: Int32Array.of(0, 1, 2),
 *   seqStarts: Int32Array.of(0, 3), contextLens: Int32Array.of(3),
 *   blockTables: Int32Array.of(0), maxBlocksPerSeq: 1, blockSize: 16,
 *   slotMapping: Int32Array.of(0, 1, 2), logitRows: Int32Array.of(2),
 * };
 * validateForwardBatch(b);
 * ```
 */
export interface ForwardBatch {
  /** Token ids, `[numTokens]`. */
  readonly tokens: Int32Array;
  /** Position of each token in its sequence, `[numTokens]`. */
  readonly positions: Int32Array;
  /** Offsets of each sequence's tokens, `[numSeqs + 1]`. */
  readonly seqStarts: Int32Array;
  /** Total context length of each sequence including this step's tokens, `[numSeqs]`. */
  readonly contextLens: Int32Array;
  /** Block tables, `[numSeqs, maxBlocksPerSeq]` row-major, unused entries -1. */
  readonly blockTables: Int32Array;
  /** Row length of `blockTables`. */
  readonly maxBlocksPerSeq: number;
  /** Tokens per KV block. */
  readonly blockSize: number;
  /** KV slot (`block * blockSize + offset`) each token's K/V is written to, `[numTokens]`. */
  readonly slotMapping: Int32Array;
  /** Token rows whose logits are wanted, in output order, `[numLogitRows]`. */
  readonly logitRows: Int32Array;
}

/** Number of sequences in a batch. */
export function numSeqsOf(b: ForwardBatch): number {
  return b.seqStarts.length - 1;
}

/**
 * Checks a batch's internal consistency; throws a {@linkcode LoomError} naming the field.
 * Backends may assume a validated batch.
 *
 * @example
 * ```ts
 * import { validateForwardBatch } from "@loom/core";
 * try {
 *   validateForwardBatch({
 *     tokens: Int32Array.of(1), positions: Int32Array.of(0), seqStarts: Int32Array.of(0, 2),
 *     contextLens: Int32Array.of(1), blockTables: Int32Array.of(0), maxBlocksPerSeq: 1,
 *     blockSize: 16, slotMapping: Int32Array.of(0), logitRows: Int32Array.of(0),
 *   });
 * } catch (e) {
 *   console.log((e as Error).message.includes("seqStarts")); // true
 * }
 * ```
 */
export function validateForwardBatch(b: ForwardBatch): void {
  const n = b.tokens.length;
  const fail = (m: string): never => {
    throw new LoomError(`invalid ForwardBatch: ${m}`, "invalid_batch");
  };
  if (b.positions.length !== n) fail("positions length differs from tokens");
  if (b.slotMapping.length !== n) fail("slotMapping length differs from tokens");
  const numSeqs = b.seqStarts.length - 1;
  if (numSeqs < 1) fail("no sequences");
  if (b.contextLens.length !== numSeqs) fail("contextLens length differs from numSeqs");
  if (b.blockTables.length !== numSeqs * b.maxBlocksPerSeq) fail("blockTables size");
  if (b.seqStarts[0] !== 0 || b.seqStarts[numSeqs] !== n) fail("seqStarts must span tokens");
  for (let s = 0; s < numSeqs; s++) {
    const start = b.seqStarts[s]!, end = b.seqStarts[s + 1]!;
    const ctx = b.contextLens[s]!;
    if (end <= start) fail(`sequence ${s} has no tokens (seqStarts not increasing)`);
    if (ctx < end - start) fail(`sequence ${s}: contextLens below its new tokens`);
    if (ctx > b.maxBlocksPerSeq * b.blockSize) fail(`sequence ${s}: context exceeds block table`);
    for (let i = start; i < end; i++) {
      if (b.positions[i] !== ctx - (end - i)) {
        fail(`token ${i}: position must be ${ctx - (end - i)}`);
      }
      const slot = b.slotMapping[i]!;
      const blk = b.blockTables[s * b.maxBlocksPerSeq + Math.floor(b.positions[i]! / b.blockSize)];
      if (blk === undefined || blk < 0 || Math.floor(slot / b.blockSize) !== blk) {
        fail(`token ${i}: slot ${slot} is not in its block table`);
      }
    }
  }
  for (const r of b.logitRows) if (r < 0 || r >= n) fail(`logit row ${r} out of range`);
}
