/**
 * The WASM backend's handles: every tensor, weight, table and pool is a region of the shared
 * memory, named by its byte offset.
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

/** An f32 activation buffer `[maxRows, cols]` at `ptr`. */
export class WasmTensor implements Tensor {
  constructor(readonly ptr: number, readonly maxRows: number, readonly cols: number) {}
}

/**
 * A resident weight. `desc` points at its C `WeightDesc`; `n` rows of `k` values (a vector
 * is one row). Vectors (norm weights, biases) are held as f32 and `f32Ptr` points at them.
 */
export class WasmWeight implements Weight {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly desc: number,
    readonly n: number,
    readonly k: number,
    readonly f32Ptr: number,
    readonly ptrs: readonly number[],
  ) {}
}

/** The paged KV pool: per layer, K then V, each `[numBlocks · blockSize, numKvHeads · headDim]`. */
export class WasmKvPool implements KvPool {
  /** Bytes of one layer's K (or V). */
  readonly layerBytes: number;
  /** Bytes of one block of one layer's K (or V). */
  readonly blockBytes: number;
  constructor(readonly spec: KvPoolSpec, readonly ptr: number) {
    const elem = spec.dtype === "f16" ? 2 : 4;
    this.blockBytes = spec.blockSize * spec.numKvHeads * spec.headDim * elem;
    this.layerBytes = spec.numBlocks * this.blockBytes;
  }
  /** K of `layer`. */
  k(layer: number): number {
    return this.ptr + 2 * layer * this.layerBytes;
  }
  /** V of `layer`. */
  v(layer: number): number {
    return this.ptr + (2 * layer + 1) * this.layerBytes;
  }
}

/** Swapped-out blocks: for each layer, K then V, each `numBlocks` blocks in order. */
export class WasmHostBlocks implements HostKvBlocks {
  constructor(readonly numBlocks: number, readonly bytes: Uint8Array) {}
  get byteLength(): number {
    return this.bytes.byteLength;
  }
}

/** cos / sin per position and rotated pair, `[maxPositions, dim / 2]` f32 each. */
export class WasmRope implements RopeTable {
  constructor(
    readonly config: RopeConfig,
    readonly maxPositions: number,
    readonly cosPtr: number,
    readonly sinPtr: number,
  ) {}
}

/**
 * A step's metadata in memory (valid until the next `beginStep`): tokens, positions, slot
 * mapping, each token's sequence, block tables.
 */
export class WasmStep implements StepContext {
  readonly numTokens: number;
  readonly numSeqs: number;
  readonly numLogitRows: number;
  /** Largest position in the step. */
  readonly maxPosition: number;
  constructor(
    readonly batch: ForwardBatch,
    readonly serial: number,
    readonly tokensPtr: number,
    readonly positionsPtr: number,
    readonly slotsPtr: number,
    readonly tokSeqPtr: number,
    readonly blockTablesPtr: number,
  ) {
    this.numTokens = batch.tokens.length;
    this.numSeqs = batch.seqStarts.length - 1;
    this.numLogitRows = batch.logitRows.length;
    let max = 0;
    for (const p of batch.positions) max = p > max ? p : max;
    this.maxPosition = max;
  }
}
