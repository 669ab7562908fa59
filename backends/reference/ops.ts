/**
 * Reference Ops: each primitive written as plainly as possible, in f32 storage with f64
 * accumulation. Slow and obviously correct — the oracle for every other backend.
 *
 * @module
 */
import { type AttentionSpec, LoomError, type Ops, type StepContext } from "@loom/core";
import type { KvPool, RopeTable, Tensor, Weight } from "@loom/core";
import { f16ToF32, f32ToF16 } from "@loom/core";
import type { RefKvPool, RefRope, RefStep, RefTensor, RefWeight } from "./_tensors.ts";

const t = (x: Tensor) => x as RefTensor;
const w = (x: Weight) => x as RefWeight;

/** Rounds through f16 when the pool stores f16, so the reference sees what a real f16 pool holds. */
function store(pool: RefKvPool, value: number): number {
  return pool.spec.dtype === "f16" ? f16ToF32(f32ToF16(value)) : value;
}

/**
 * The reference implementation of {@linkcode Ops}.
 *
 * @example
 * ```ts
 * import { ReferenceBackend } from "@loom/reference";
 * const b = new ReferenceBackend();
 * const x = b.alloc(1, 2), y = b.alloc(1, 2);
 * b.write(x, Float32Array.of(1, 2));
 * b.ops.add(y, x, x, 1);
 * console.log(await b.read(y, 1)); // Float32Array(2) [ 2, 4 ]
 * ```
 */
export const referenceOps: Ops = {
  embed(step: StepContext, out: Tensor, table: Weight): void {
    const { batch } = step as RefStep;
    const [vocab = 0, d = 0] = table.shape;
    for (let i = 0; i < batch.tokens.length; i++) {
      const id = batch.tokens[i]!;
      if (id < 0 || id >= vocab) throw new LoomError(`token id ${id} outside vocabulary`);
      t(out).data.set(w(table).values.subarray(id * d, (id + 1) * d), i * d);
    }
  },

  matmul(out: Tensor, x: Tensor, weight: Weight, numRows: number, bias?: Weight): void {
    const W = w(weight).values, X = t(x).data, O = t(out).data;
    const [n = 0, k = 0] = weight.shape;
    const B = bias ? w(bias).values : undefined;
    for (let r = 0; r < numRows; r++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < k; i++) acc += X[r * x.cols + i]! * W[j * k + i]!;
        O[r * out.cols + j] = acc + (B ? B[j]! : 0);
      }
    }
  },

  rmsNorm(out: Tensor, x: Tensor, weight: Weight, eps: number, numRows: number): void {
    const d = weight.shape[0]!, W = w(weight).values, X = t(x).data, O = t(out).data;
    for (let r = 0; r < numRows; r++) {
      let ss = 0;
      for (let i = 0; i < d; i++) ss += X[r * d + i]! ** 2;
      const inv = 1 / Math.sqrt(ss / d + eps);
      for (let i = 0; i < d; i++) O[r * d + i] = X[r * d + i]! * inv * W[i]!;
    }
  },

  rope(step: StepContext, x: Tensor, numHeads: number, headDim: number, table: RopeTable): void {
    const { batch } = step as RefStep;
    const rope = table as RefRope, X = t(x).data;
    const half = rope.config.dim / 2;
    const neox = rope.config.style === "neox";
    for (let i = 0; i < batch.tokens.length; i++) {
      const p = batch.positions[i]!;
      if (p >= rope.maxPositions) throw new LoomError(`position ${p} beyond the rope table`);
      for (let h = 0; h < numHeads; h++) {
        const base = i * x.cols + h * headDim;
        for (let j = 0; j < half; j++) {
          // normal: pairs (2j, 2j+1); neox: pairs (j, j + dim/2)
          const a = base + (neox ? j : 2 * j), b = base + (neox ? j + half : 2 * j + 1);
          const c = rope.cos[p * half + j]!, s = rope.sin[p * half + j]!;
          const x0 = X[a]!, x1 = X[b]!;
          X[a] = x0 * c - x1 * s;
          X[b] = x0 * s + x1 * c;
        }
      }
    }
  },

  attention(
    step: StepContext,
    out: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    kvPool: KvPool,
    layer: number,
    spec: AttentionSpec,
  ): void {
    const { batch } = step as RefStep;
    const pool = kvPool as RefKvPool;
    const K = pool.k[layer]!, V = pool.v[layer]!, S = pool.slotSize;
    const { numHeads, numKvHeads, headDim, scale } = spec;
    // 1. write this step's K/V through the slot mapping
    for (let i = 0; i < batch.tokens.length; i++) {
      const slot = batch.slotMapping[i]!;
      for (let c = 0; c < S; c++) {
        K[slot * S + c] = store(pool, t(k).data[i * k.cols + c]!);
        V[slot * S + c] = store(pool, t(v).data[i * v.cols + c]!);
      }
    }
    // 2. each token attends causally over its sequence's paged context
    const group = numHeads / numKvHeads;
    const bs = batch.blockSize;
    const scores = new Float64Array(Math.max(...batch.contextLens));
    for (let s = 0; s < batch.seqStarts.length - 1; s++) {
      const table = batch.blockTables.subarray(
        s * batch.maxBlocksPerSeq,
        (s + 1) * batch.maxBlocksPerSeq,
      );
      for (let i = batch.seqStarts[s]!; i < batch.seqStarts[s + 1]!; i++) {
        const numCtx = batch.positions[i]! + 1;
        for (let h = 0; h < numHeads; h++) {
          const kvh = Math.floor(h / group);
          const qOff = i * q.cols + h * headDim;
          let max = -Infinity;
          for (let j = 0; j < numCtx; j++) {
            const slot = table[Math.floor(j / bs)]! * bs + (j % bs);
            let dot = 0;
            for (let d = 0; d < headDim; d++) {
              dot += t(q).data[qOff + d]! * K[slot * S + kvh * headDim + d]!;
            }
            scores[j] = dot * scale;
            if (scores[j]! > max) max = scores[j]!;
          }
          let sum = 0;
          for (let j = 0; j < numCtx; j++) sum += scores[j] = Math.exp(scores[j]! - max);
          const oOff = i * out.cols + h * headDim;
          for (let d = 0; d < headDim; d++) {
            let acc = 0;
            for (let j = 0; j < numCtx; j++) {
              const slot = table[Math.floor(j / bs)]! * bs + (j % bs);
              acc += scores[j]! * V[slot * S + kvh * headDim + d]!;
            }
            t(out).data[oOff + d] = acc / sum;
          }
        }
      }
    }
  },

  siluMul(out: Tensor, gate: Tensor, up: Tensor, numRows: number): void {
    const G = t(gate).data, U = t(up).data, O = t(out).data;
    for (let i = 0; i < numRows * out.cols; i++) {
      const g = G[i]!;
      O[i] = (g / (1 + Math.exp(-g))) * U[i]!;
    }
  },

  add(out: Tensor, a: Tensor, b: Tensor, numRows: number): void {
    const A = t(a).data, B = t(b).data, O = t(out).data;
    for (let i = 0; i < numRows * out.cols; i++) O[i] = A[i]! + B[i]!;
  },

  gatherRows(step: StepContext, out: Tensor, x: Tensor): void {
    const { batch } = step as RefStep;
    batch.logitRows.forEach((row, i) => {
      t(out).data.set(t(x).data.subarray(row * x.cols, (row + 1) * x.cols), i * out.cols);
    });
  },
};
