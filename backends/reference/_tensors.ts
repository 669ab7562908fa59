import type {
  HostKvBlocks,
  KvPool,
  KvPoolSpec,
  RopeConfig,
  RopeTable,
  StepContext,
  Tensor,
  Weight,
} from "@loom/core";
import type { DType, ForwardBatch } from "@loom/core";

/** An f32 activation buffer in JS memory. */
export class RefTensor implements Tensor {
  readonly data: Float32Array;
  constructor(readonly maxRows: number, readonly cols: number) {
    this.data = new Float32Array(maxRows * cols);
  }
}

/** A weight dequantized to f32 at load: the reference computes in f32 from exact values. */
export class RefWeight implements Weight {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly values: Float32Array,
  ) {}
}

/** K and V for every layer: `[numBlocks · blockSize, numKvHeads · headDim]` each. */
export class RefKvPool implements KvPool {
  readonly k: Float32Array[] = [];
  readonly v: Float32Array[] = [];
  readonly slotSize: number;
  constructor(readonly spec: KvPoolSpec) {
    this.slotSize = spec.numKvHeads * spec.headDim;
    const n = spec.numBlocks * spec.blockSize * this.slotSize;
    for (let l = 0; l < spec.numLayers; l++) {
      this.k.push(new Float32Array(n));
      this.v.push(new Float32Array(n));
    }
  }
}

/** Swapped-out blocks: per layer, K and V bytes of each block in order. */
export class RefHostBlocks implements HostKvBlocks {
  constructor(readonly numBlocks: number, readonly k: Float32Array[], readonly v: Float32Array[]) {}
  get byteLength(): number {
    return this.k.reduce((a, b) => a + b.byteLength, 0) * 2;
  }
}

/** cos/sin per position and rotated pair: `[maxPositions, dim / 2]`. */
export class RefRope implements RopeTable {
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  constructor(readonly config: RopeConfig, readonly maxPositions: number) {
    const half = config.dim / 2;
    this.cos = new Float32Array(maxPositions * half);
    this.sin = new Float32Array(maxPositions * half);
    const scale = 1 / (config.linearFactor ?? 1);
    for (let i = 0; i < half; i++) {
      const freq = Math.pow(config.theta, (-2 * i) / config.dim) / (config.freqFactors?.[i] ?? 1);
      for (let p = 0; p < maxPositions; p++) {
        const angle = p * scale * freq;
        this.cos[p * half + i] = Math.cos(angle);
        this.sin[p * half + i] = Math.sin(angle);
      }
    }
  }
}

/** The batch kept as host arrays. */
export class RefStep implements StepContext {
  readonly numTokens: number;
  readonly numSeqs: number;
  readonly numLogitRows: number;
  constructor(readonly batch: ForwardBatch) {
    this.numTokens = batch.tokens.length;
    this.numSeqs = batch.seqStarts.length - 1;
    this.numLogitRows = batch.logitRows.length;
  }
}
