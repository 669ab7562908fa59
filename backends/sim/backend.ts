/**
 * The simulation backend: implements the Backend contract without computing anything.
 * Each step (`beginStep`) advances a virtual clock by the cost model; block copies and
 * swaps cost per block. The real Engine, CacheManager and Schedulers run on it at any scale.
 *
 * @module
 */
import type {
  Backend,
  DType,
  ForwardBatch,
  HostKvBlocks,
  KvPool,
  KvPoolSpec,
  Ops,
  RopeConfig,
  RopeTable,
  StepContext,
  Tensor,
  TensorInfo,
  Weight,
} from "@loom/core";
import { DTYPES } from "@loom/core";
import { SimClock } from "./clock.ts";
import {
  checkCostModel,
  COST_PRESETS,
  type CostModel,
  stepCostMs,
  stepShape,
} from "./cost_model.ts";

/** Options of {@linkcode SimBackend}. */
export interface SimBackendOptions {
  /** The virtual clock it advances (default: a new one at 0). */
  readonly clock?: SimClock;
  /** Cost model, or the name of a preset (default `reference-demo`). */
  readonly costModel?: CostModel | string;
}

const noop = (): void => {};
/** Ops that do nothing: the simulator never computes. */
const SIM_OPS: Ops = {
  embed: noop,
  matmul: noop,
  rmsNorm: noop,
  rope: noop,
  attention: noop,
  siluMul: noop,
  add: noop,
  gatherRows: noop,
};

/**
 * A Backend whose steps cost virtual time instead of compute.
 *
 * @example
 * ```ts
 * import { buildSingleSequenceBatch } from "@loom/core";
 * import { SimBackend } from "./mod.ts";
 * const sim = new SimBackend({ costModel: "gpu-8b" });
 * sim.beginStep(buildSingleSequenceBatch([1, 2, 3], [0], 16));
 * console.log(sim.clock.nowMs.toFixed(2), sim.numSteps); // "8.18" 1
 * ```
 */
export class SimBackend implements Backend {
  readonly name = "sim";
  readonly ops: Ops = SIM_OPS;
  readonly supportedDTypes: readonly DType[] = DTYPES;
  /** The virtual clock. */
  readonly clock: SimClock;
  /** The cost model. */
  readonly costModel: CostModel;
  /** Steps run. */
  numSteps = 0;
  /** Virtual time spent in steps, copies and swaps, ms. */
  busyMs = 0;

  /** @param options Clock and cost model. */
  constructor(options: SimBackendOptions = {}) {
    this.clock = options.clock ?? new SimClock();
    const m = options.costModel ?? "reference-demo";
    if (typeof m === "string") {
      const preset = COST_PRESETS[m];
      if (!preset) throw new Error(`unknown cost preset ${m}`);
      this.costModel = preset;
    } else this.costModel = checkCostModel(m);
  }

  /** Keeps only the weight's description. */
  loadWeight(info: TensorInfo, _bytes: Uint8Array): Promise<Weight> {
    return Promise.resolve({ name: info.name, dtype: info.dtype, shape: info.shape });
  }

  /** A shape without storage. */
  alloc(maxRows: number, cols: number): Tensor {
    return { maxRows, cols };
  }

  /** A table without values. */
  createRope(config: RopeConfig, _maxPositions: number): RopeTable {
    return { config };
  }

  /** A pool without storage. */
  createKvPool(spec: KvPoolSpec): KvPool {
    return { spec };
  }

  /** Charges the step to the clock. */
  beginStep(batch: ForwardBatch): StepContext {
    this.numSteps++;
    this.#spend(stepCostMs(this.costModel, stepShape(batch)));
    return {
      numTokens: batch.tokens.length,
      numSeqs: batch.seqStarts.length - 1,
      numLogitRows: batch.logitRows.length,
    };
  }

  /** Ignored. */
  write(_t: Tensor, _values: Float32Array): void {}

  /** Zeros. */
  read(t: Tensor, numRows: number): Promise<Float32Array> {
    return Promise.resolve(new Float32Array(numRows * t.cols));
  }

  /** Charges the copies. */
  copyBlocks(_pool: KvPool, pairs: readonly (readonly [number, number])[]): void {
    this.#spend(this.costModel.copyBlockMs * pairs.length);
  }

  /** Charges the swap; returns a host record of the block count. */
  swapOut(_pool: KvPool, blockIds: readonly number[]): Promise<HostKvBlocks> {
    this.#spend(this.costModel.swapBlockMs * blockIds.length);
    return Promise.resolve({ numBlocks: blockIds.length, byteLength: 0 });
  }

  /** Charges the swap. */
  swapIn(_pool: KvPool, host: HostKvBlocks, _blockIds: readonly number[]): void {
    this.#spend(this.costModel.swapBlockMs * host.numBlocks);
  }

  /** Nothing to free. */
  dispose(): void {}

  #spend(ms: number): void {
    this.busyMs += ms;
    this.clock.advance(ms);
  }
}
