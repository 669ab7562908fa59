/**
 * The Backend / Ops contract. A backend turns weights into device tensors, allocates the
 * paged KV pool, and implements Ops: the few primitives the transformer in `core/model/`
 * is written over. Backends know nothing about requests, schedulers or tokenizers.
 *
 * Ops use destination passing over buffers allocated once (llama2.c style): activation
 * tensors are `[maxRows, cols]` f32 buffers and every op says how many rows are live.
 * Ops may run eagerly (reference, WASM) or be recorded and submitted at {@linkcode
 * Backend.read} (WebGPU: one command buffer per step).
 *
 * @module
 */
import type { DType } from "./dtype.ts";
import type { RopeConfig } from "./model/config.ts";
import type { ForwardBatch } from "./model/forward_batch.ts";
import type { TensorInfo } from "./model/weights.ts";

/** An f32 activation buffer on a backend's device, `[maxRows, cols]`. */
export interface Tensor {
  /** Rows allocated. */
  readonly maxRows: number;
  /** Values per row. */
  readonly cols: number;
}

/** A weight resident on a backend's device, in its stored dtype. */
export interface Weight {
  /** Tensor name. */
  readonly name: string;
  /** Stored dtype. */
  readonly dtype: DType;
  /** Row-major shape (`[out, in]` for matrices, `[n]` for vectors). */
  readonly shape: readonly number[];
}

/** KV cache element type. */
export type KvDType = "f32" | "f16";

/** Shape of the paged KV pool: `[numBlocks, blockSize, numKvHeads, headDim]` per layer, K and V. */
export interface KvPoolSpec {
  /** Layers. */
  readonly numLayers: number;
  /** Blocks in the pool. */
  readonly numBlocks: number;
  /** Tokens per block. */
  readonly blockSize: number;
  /** KV heads. */
  readonly numKvHeads: number;
  /** Head dimension. */
  readonly headDim: number;
  /** Element type. */
  readonly dtype: KvDType;
}

/** The paged KV pool on a device. */
export interface KvPool {
  /** Its shape. */
  readonly spec: KvPoolSpec;
}

/** Block contents copied to host memory by {@linkcode Backend.swapOut}. */
export interface HostKvBlocks {
  /** Blocks held. */
  readonly numBlocks: number;
  /** Host bytes held. */
  readonly byteLength: number;
}

/** Precomputed rotary tables for one model. */
export interface RopeTable {
  /** The settings it was built from. */
  readonly config: RopeConfig;
}

/** A batch's metadata uploaded to the device for one step. */
export interface StepContext {
  /** Tokens in the step. */
  readonly numTokens: number;
  /** Sequences in the step. */
  readonly numSeqs: number;
  /** Rows of logits wanted. */
  readonly numLogitRows: number;
}

/** Attention geometry. */
export interface AttentionSpec {
  /** Query heads. */
  readonly numHeads: number;
  /** KV heads (query head h uses KV head `h / (numHeads / numKvHeads)`). */
  readonly numKvHeads: number;
  /** Head dimension. */
  readonly headDim: number;
  /** Score scale, usually `1 / sqrt(headDim)`. */
  readonly scale: number;
}

/**
 * The compute primitives. Shapes in comments: T = step tokens, n = `numRows`.
 */
export interface Ops {
  /** `out [T, d] ← table [vocab, d][tokens]` (dequantizing rows of quantized tables). */
  embed(step: StepContext, out: Tensor, table: Weight): void;
  /** `out [n, N] ← x [n, K] · Wᵀ (+ bias [N])` for `W [N, K]` in any supported dtype. */
  matmul(out: Tensor, x: Tensor, w: Weight, numRows: number, bias?: Weight): void;
  /**
   * RMSNorm over rows of `weight.shape[0]` values: `x` is viewed as `[numRows, d]` (so a
   * `[T, heads·headDim]` buffer normed per head passes `numRows = T · heads`).
   */
  rmsNorm(out: Tensor, x: Tensor, weight: Weight, eps: number, numRows: number): void;
  /** Rotates `x [T, numHeads·headDim]` in place by each token's position. */
  rope(step: StepContext, x: Tensor, numHeads: number, headDim: number, table: RopeTable): void;
  /**
   * Writes `k, v [T, numKvHeads·headDim]` to the pool through the slot mapping, then
   * `out [T, numHeads·headDim] ← softmax(q·Kᵀ·scale, causal) · V` over each sequence's
   * paged context.
   */
  attention(
    step: StepContext,
    out: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    pool: KvPool,
    layer: number,
    spec: AttentionSpec,
  ): void;
  /** `out [n, d] ← silu(gate) ⊙ up`. */
  siluMul(out: Tensor, gate: Tensor, up: Tensor, numRows: number): void;
  /** `out [n, d] ← a + b`. */
  add(out: Tensor, a: Tensor, b: Tensor, numRows: number): void;
  /** `out [numLogitRows, d] ← x[logitRows]`. */
  gatherRows(step: StepContext, out: Tensor, x: Tensor): void;
}

/**
 * A compute backend: device memory and {@linkcode Ops}.
 *
 * @example
 * ```ts
 * import type { Backend } from "@loom/core";
 * function describe(b: Backend): string {
 *   return `${b.name} backend`;
 * }
 * console.log(typeof describe); // "function"
 * ```
 */
export interface Backend {
  /** Short name (`reference`, `wasm`, `webgpu`, `sim`). */
  readonly name: string;
  /** The compute primitives. */
  readonly ops: Ops;
  /** Dtypes `matmul` and `embed` accept. */
  readonly supportedDTypes: readonly DType[];
  /** Uploads one weight in its stored dtype. `bytes` may be kept or copied. */
  loadWeight(info: TensorInfo, bytes: Uint8Array): Promise<Weight>;
  /** Allocates an f32 activation buffer `[maxRows, cols]` (once, at load). */
  alloc(maxRows: number, cols: number): Tensor;
  /** Precomputes rotary tables up to `maxPositions`. */
  createRope(config: RopeConfig, maxPositions: number): RopeTable;
  /** Allocates the paged KV pool (once). */
  createKvPool(spec: KvPoolSpec): KvPool;
  /** Uploads a batch's metadata for one step. */
  beginStep(batch: ForwardBatch): StepContext;
  /** Writes host values into the first rows of `t` (inputs of tests and benchmarks). */
  write(t: Tensor, values: Float32Array): void;
  /** Runs queued work and returns the first `numRows` rows of `t`. */
  read(t: Tensor, numRows: number): Promise<Float32Array>;
  /** Copies whole KV blocks `src → dst` in every layer (copy-on-write). */
  copyBlocks(pool: KvPool, pairs: readonly (readonly [src: number, dst: number])[]): void;
  /** Copies blocks to host memory (preemption by swap). */
  swapOut(pool: KvPool, blockIds: readonly number[]): Promise<HostKvBlocks>;
  /** Copies host blocks back into (possibly different) device blocks, in order. */
  swapIn(pool: KvPool, host: HostKvBlocks, blockIds: readonly number[]): void;
  /** Frees device resources. */
  dispose(): void;
}
