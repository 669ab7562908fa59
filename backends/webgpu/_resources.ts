/**
 * The WebGPU backend's device-side objects: activation tensors, weights in their file format,
 * the paged KV pool, rotary tables, step metadata and swapped-out blocks.
 *
 * @module
 */
import type {
  DType,
  ForwardBatch,
  HostKvBlocks,
  KvPool,
  KvPoolSpec,
  RopeConfig,
  RopeTable,
  StepContext,
  Tensor,
  Weight,
} from "@loom/core";

/** An f32 activation buffer `[maxRows, cols]` in one GPU buffer. */
export class GpuTensor implements Tensor {
  constructor(
    readonly maxRows: number,
    readonly cols: number,
    readonly buffer: GPUBuffer,
  ) {}
  /** Bytes of one row. */
  get rowBytes(): number {
    return this.cols * 4;
  }
}

/** Consecutive rows of a weight matrix held in one buffer (at most one binding's size). */
export interface WeightChunk {
  /** The raw file bytes of rows `row0 .. row0 + numRows`, padded by at least 4 bytes. */
  readonly buffer: GPUBuffer;
  /** First row it holds. */
  readonly row0: number;
  /** Rows it holds. */
  readonly numRows: number;
}

/**
 * A weight on the GPU. Matrices keep their file bytes (quantized blocks included), split by
 * rows into chunks that each fit one storage binding; vectors (norms, biases) are f32.
 */
export class GpuWeight implements Weight {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    /** Row chunks of a matrix (empty for a vector). */
    readonly chunks: readonly WeightChunk[],
    /** The f32 values of a vector (undefined for a matrix). */
    readonly vector: GPUBuffer | undefined,
  ) {}
}

/** K and V of every layer: one buffer each of `[numBlocks · blockSize, slotSize]`. */
export class GpuKvPool implements KvPool {
  /** Values per slot (`numKvHeads · headDim`). */
  readonly slotSize: number;
  /** Bytes of one block of one layer's K (or V). */
  readonly blockBytes: number;
  constructor(
    readonly spec: KvPoolSpec,
    readonly k: readonly GPUBuffer[],
    readonly v: readonly GPUBuffer[],
  ) {
    this.slotSize = spec.numKvHeads * spec.headDim;
    this.blockBytes = spec.blockSize * this.slotSize * (spec.dtype === "f16" ? 2 : 4);
  }
}

/** Blocks copied to host memory: per layer, K then V, each block's bytes in order. */
export class GpuHostBlocks implements HostKvBlocks {
  constructor(
    readonly numBlocks: number,
    readonly blockBytes: number,
    readonly numLayers: number,
    readonly data: Uint8Array,
  ) {}
  /** Host bytes held. */
  get byteLength(): number {
    return this.data.byteLength;
  }
}

/** cos then sin, each `[maxPositions, dim / 2]` f32, in one buffer. */
export class GpuRope implements RopeTable {
  /** Rotated pairs per head. */
  readonly halfDim: number;
  /** Element offset of the sin table. */
  readonly sinOffset: number;
  constructor(
    readonly config: RopeConfig,
    readonly maxPositions: number,
    readonly buffer: GPUBuffer,
  ) {
    this.halfDim = config.dim / 2;
    this.sinOffset = maxPositions * this.halfDim;
  }
}

/**
 * Host values of the rotary tables, computed in f64 exactly as the reference backend does.
 *
 * @example
 * ```ts
 * import { ropeTableValues } from "./_resources.ts";
 * const t = ropeTableValues({ theta: 10000, style: "normal", dim: 2 }, 2);
 * console.log(t.length); // 4: cos[2, 1] then sin[2, 1]
 * ```
 */
export function ropeTableValues(config: RopeConfig, maxPositions: number): Float32Array {
  const half = config.dim / 2;
  const out = new Float32Array(2 * maxPositions * half);
  const scale = 1 / (config.linearFactor ?? 1);
  for (let i = 0; i < half; i++) {
    const freq = Math.pow(config.theta, (-2 * i) / config.dim) / (config.freqFactors?.[i] ?? 1);
    for (let p = 0; p < maxPositions; p++) {
      const angle = p * scale * freq;
      out[p * half + i] = Math.cos(angle);
      out[maxPositions * half + p * half + i] = Math.sin(angle);
    }
  }
  return out;
}

/** One step's batch, kept on the host for the checks that need it. */
export class GpuStep implements StepContext {
  readonly numTokens: number;
  readonly numSeqs: number;
  readonly numLogitRows: number;
  constructor(readonly batch: ForwardBatch) {
    this.numTokens = batch.tokens.length;
    this.numSeqs = batch.seqStarts.length - 1;
    this.numLogitRows = batch.logitRows.length;
  }
}
