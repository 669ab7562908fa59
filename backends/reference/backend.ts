/**
 * The reference backend: plain TypeScript, weights dequantized to f32 at load.
 *
 * @module
 */
import {
  type Backend,
  dequantize,
  type DType,
  DTYPES,
  type ForwardBatch,
  type HostKvBlocks,
  type KvPool,
  type KvPoolSpec,
  type Ops,
  type RopeConfig,
  type RopeTable,
  type StepContext,
  type Tensor,
  type TensorInfo,
  type Weight,
} from "@loom/core";
import { RefHostBlocks, RefKvPool, RefRope, RefStep, RefTensor, RefWeight } from "./_tensors.ts";
import { referenceOps } from "./ops.ts";

/**
 * A {@linkcode Backend} in plain TypeScript: slow, obviously correct, the oracle of the
 * conformance suite.
 *
 * @example
 * ```ts
 * import { ReferenceBackend } from "@loom/reference";
 * const backend = new ReferenceBackend();
 * const w = await backend.loadWeight(
 *   { name: "w", dtype: "f32", shape: [1, 2], byteLength: 8 },
 *   new Uint8Array(new Float32Array([2, 3]).buffer),
 * );
 * const x = backend.alloc(1, 2), y = backend.alloc(1, 1);
 * backend.write(x, Float32Array.of(1, 10));
 * backend.ops.matmul(y, x, w, 1); // y = x · wᵀ
 * console.log(await backend.read(y, 1)); // Float32Array(1) [ 32 ]
 * ```
 */
export class ReferenceBackend implements Backend {
  readonly name = "reference";
  readonly ops: Ops = referenceOps;
  readonly supportedDTypes: readonly DType[] = DTYPES;

  /** Dequantizes the weight to f32. */
  loadWeight(info: TensorInfo, bytes: Uint8Array): Promise<Weight> {
    const n = info.shape.reduce((a, b) => a * b, 1);
    return Promise.resolve(
      new RefWeight(info.name, info.dtype, info.shape, dequantize(info.dtype, bytes, n)),
    );
  }

  /** Allocates a zeroed f32 buffer. */
  alloc(maxRows: number, cols: number): Tensor {
    return new RefTensor(maxRows, cols);
  }

  /** Precomputes cos/sin tables. */
  createRope(config: RopeConfig, maxPositions: number): RopeTable {
    return new RefRope(config, maxPositions);
  }

  /** Allocates K and V arrays for every layer. */
  createKvPool(spec: KvPoolSpec): KvPool {
    return new RefKvPool(spec);
  }

  /** Keeps the batch's host arrays. */
  beginStep(batch: ForwardBatch): StepContext {
    return new RefStep(batch);
  }

  /** Copies values into the buffer. */
  write(t: Tensor, values: Float32Array): void {
    (t as RefTensor).data.set(values);
  }

  /** Returns a copy of the first rows (work already ran eagerly). */
  read(t: Tensor, numRows: number): Promise<Float32Array> {
    return Promise.resolve((t as RefTensor).data.slice(0, numRows * t.cols));
  }

  /** Copies blocks in every layer. */
  copyBlocks(pool: KvPool, pairs: readonly (readonly [number, number])[]): void {
    const p = pool as RefKvPool, n = p.spec.blockSize * p.slotSize;
    for (const [src, dst] of pairs) {
      for (const arr of [...p.k, ...p.v]) arr.copyWithin(dst * n, src * n, (src + 1) * n);
    }
  }

  /** Copies blocks to host arrays. */
  swapOut(pool: KvPool, blockIds: readonly number[]): Promise<HostKvBlocks> {
    const p = pool as RefKvPool, n = p.spec.blockSize * p.slotSize;
    const gather = (arr: Float32Array) => {
      const out = new Float32Array(blockIds.length * n);
      blockIds.forEach((b, i) => out.set(arr.subarray(b * n, (b + 1) * n), i * n));
      return out;
    };
    return Promise.resolve(new RefHostBlocks(blockIds.length, p.k.map(gather), p.v.map(gather)));
  }

  /** Copies host blocks back. */
  swapIn(pool: KvPool, host: HostKvBlocks, blockIds: readonly number[]): void {
    const p = pool as RefKvPool, h = host as RefHostBlocks, n = p.spec.blockSize * p.slotSize;
    for (let l = 0; l < p.spec.numLayers; l++) {
      blockIds.forEach((b, i) => {
        p.k[l]!.set(h.k[l]!.subarray(i * n, (i + 1) * n), b * n);
        p.v[l]!.set(h.v[l]!.subarray(i * n, (i + 1) * n), b * n);
      });
    }
  }

  /** Nothing to free beyond garbage collection. */
  dispose(): void {}
}
