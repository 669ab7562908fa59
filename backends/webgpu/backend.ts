/**
 * The WebGPU backend: weights in their file format in GPU buffers, every op a WGSL kernel,
 * one command buffer per step.
 *
 * @module
 */
import {
  type Backend,
  BackendError,
  type DType,
  type ForwardBatch,
  type HostKvBlocks,
  type KvPool,
  type KvPoolSpec,
  type RopeConfig,
  type RopeTable,
  type StepContext,
  type Tensor,
  type TensorInfo,
  type Weight,
} from "@loom/core";
import { measureCopyBandwidth } from "./_bandwidth.ts";
import { requestDevice, type WebGpuDeviceOptions } from "./_device.ts";
import { KvTransfer } from "./_kv_transfer.ts";
import { DeviceMemory, uploadWeight } from "./_memory.ts";
import { type Pipeline, Pipelines } from "./_pipelines.ts";
import { Recorder } from "./_recorder.ts";
import {
  type GpuHostBlocks,
  GpuKvPool,
  GpuRope,
  GpuStep,
  GpuTensor,
  ropeTableValues,
} from "./_resources.ts";
import { StepBuffers } from "./_step_buffers.ts";
import {
  checkKernelSizes,
  CPU_ADAPTER_KERNEL_SIZES,
  DEFAULT_KERNEL_SIZES,
  type KernelSizes,
  kernelSpecs,
  WEIGHT_DTYPES,
} from "./kernel_specs.ts";
import { WebGpuOps } from "./ops.ts";

/** Options of {@linkcode WebGpuBackend.create}. */
export interface WebGpuBackendOptions extends WebGpuDeviceOptions {
  /** Kernel workgroup sizes (defaults: per adapter kind, GPU or software). */
  readonly kernelSizes?: Partial<KernelSizes>;
  /** Step tokens the metadata buffers hold before growing (default 512). */
  readonly maxBatchTokens?: number;
  /**
   * Splits weights and binds activations in pieces of at most this many bytes, below the
   * device's `maxStorageBufferBindingSize` (tests use it to exercise the splitting).
   */
  readonly maxBindingBytes?: number;
}

/**
 * A {@linkcode Backend} on WebGPU. Computes in f32; weights stay in their file dtype (F32,
 * F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS) and
 * are dequantized inside the matmul and embed kernels.
 *
 * @example
 * ```ts
 * import { WebGpuBackend } from "@loom/webgpu";
 * const backend = await WebGpuBackend.create();
 * const w = await backend.loadWeight(
 *   { name: "w", dtype: "f32", shape: [1, 2], byteLength: 8 },
 *   new Uint8Array(new Float32Array([2, 3]).buffer),
 * );
 * const x = backend.alloc(1, 2), y = backend.alloc(1, 1);
 * backend.write(x, Float32Array.of(1, 10));
 * backend.ops.matmul(y, x, w, 1); // y = x · wᵀ
 * console.log(await backend.read(y, 1)); // Float32Array(1) [ 32 ]
 * backend.dispose();
 * ```
 */
export class WebGpuBackend implements Backend {
  readonly name = "webgpu";
  readonly supportedDTypes: readonly DType[] = WEIGHT_DTYPES;
  readonly ops: WebGpuOps;
  /** Whether the device has `shader-f16` (requested when the adapter offers it). */
  readonly hasShaderF16: boolean;
  /** The adapter's description (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  readonly adapterDescription: string;
  /** The kernel sizes in use. */
  readonly kernelSizes: KernelSizes;

  readonly #device: GPUDevice;
  readonly #ownsDevice: boolean;
  readonly #rec: Recorder;
  readonly #steps: StepBuffers;
  readonly #mem: DeviceMemory;
  readonly #maxBindingBytes: number;
  readonly #copyPipeline: Pipeline;
  readonly #kv: KvTransfer;

  private constructor(
    device: GPUDevice,
    ownsDevice: boolean,
    hasShaderF16: boolean,
    adapterDescription: string,
    pipelines: Pipelines,
    sizes: KernelSizes,
    maxBatchTokens: number,
    maxBindingBytes: number | undefined,
  ) {
    this.#device = device;
    this.#ownsDevice = ownsDevice;
    this.hasShaderF16 = hasShaderF16;
    this.adapterDescription = adapterDescription;
    this.kernelSizes = sizes;
    const limit = device.limits.maxStorageBufferBindingSize;
    this.#maxBindingBytes = Math.min(limit, maxBindingBytes ?? limit);
    this.#rec = new Recorder(device);
    this.#mem = new DeviceMemory(device, this.#rec);
    this.#steps = new StepBuffers(device, {
      maxTokens: maxBatchTokens,
      maxBlockTableEntries: 4096,
      maxLogitRows: maxBatchTokens,
    });
    const placeholder = this.#mem.buffer("loom placeholder", 16);
    this.#copyPipeline = pipelines.get(kernelSpecs(sizes).copy());
    this.#kv = new KvTransfer(device, this.#rec);
    this.ops = new WebGpuOps({
      rec: this.#rec,
      pipelines,
      sizes,
      steps: this.#steps,
      placeholder,
      maxBindingBytes: this.#maxBindingBytes,
      offsetAlignment: device.limits.minStorageBufferOffsetAlignment,
    });
  }

  /**
   * Requests an adapter and a device (with the adapter's largest buffer limits, and
   * `shader-f16` when offered) and builds every pipeline. Throws a {@linkcode BackendError}
   * when WebGPU or an adapter is missing.
   */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const { device, ownsDevice, hasShaderF16, description, isSoftware } = await requestDevice(
      options,
    );
    const defaults = isSoftware ? CPU_ADAPTER_KERNEL_SIZES : DEFAULT_KERNEL_SIZES;
    const sizes = { ...defaults, ...options.kernelSizes };
    checkKernelSizes(sizes);
    const pipelines = new Pipelines(device);
    const specs = kernelSpecs(sizes);
    await pipelines.prepare([
      ...specs.common(),
      ...WEIGHT_DTYPES.flatMap((d) => [
        specs.matmul(d, 1),
        specs.matmul(d, sizes.matmulTileRows),
        specs.embed(d),
      ]),
    ]);
    return new WebGpuBackend(
      device,
      ownsDevice,
      hasShaderF16,
      description,
      pipelines,
      sizes,
      options.maxBatchTokens ?? 512,
      options.maxBindingBytes,
    );
  }

  /** The GPU device (for benchmarks and tests). */
  get device(): GPUDevice {
    return this.#device;
  }

  /** Dispatches recorded, command buffers submitted and bind groups created so far. */
  get stats(): { numDispatches: number; numSubmits: number; numBindGroups: number } {
    const { numDispatches, numSubmits, numBindGroups } = this.#rec;
    return { numDispatches, numSubmits, numBindGroups };
  }

  /** Uploads a matrix's file bytes (row chunks within the binding limit), a vector as f32. */
  async loadWeight(info: TensorInfo, bytes: Uint8Array): Promise<Weight> {
    this.#rec.checkDevice();
    this.#device.pushErrorScope("out-of-memory");
    try {
      return uploadWeight(this.#mem, info, bytes, this.#maxBindingBytes);
    } finally {
      this.#rec.watch(this.#device.popErrorScope());
      await this.#rec.checkErrors();
    }
  }

  /** Allocates a zeroed f32 buffer `[maxRows, cols]`. */
  alloc(maxRows: number, cols: number): Tensor {
    const size = maxRows * cols * 4;
    return new GpuTensor(
      maxRows,
      cols,
      this.#mem.buffer(`tensor [${maxRows}, ${cols}]`, size),
    );
  }

  /** Uploads cos/sin tables for positions `0 .. maxPositions - 1`. */
  createRope(config: RopeConfig, maxPositions: number): RopeTable {
    const values = ropeTableValues(config, maxPositions);
    if (values.byteLength > this.#maxBindingBytes) {
      throw new BackendError(
        `rope table for ${maxPositions} positions exceeds the binding limit`,
        this.name,
      );
    }
    return new GpuRope(config, maxPositions, this.#mem.upload("rope table", values));
  }

  /** Allocates K and V buffers for every layer (zeroed). */
  createKvPool(spec: KvPoolSpec): KvPool {
    const slotSize = spec.numKvHeads * spec.headDim;
    if (spec.dtype === "f16" && slotSize % 2 !== 0) {
      throw new BackendError(`f16 KV needs an even slot size, not ${slotSize}`, this.name);
    }
    const bytes = spec.numBlocks * spec.blockSize * slotSize * (spec.dtype === "f16" ? 2 : 4);
    if (bytes > this.#maxBindingBytes) {
      throw new BackendError(
        `one layer's K (${bytes} bytes) exceeds the ${this.#maxBindingBytes}-byte binding ` +
          `limit: use fewer blocks or an f16 pool`,
        this.name,
      );
    }
    const k: GPUBuffer[] = [], v: GPUBuffer[] = [];
    for (let l = 0; l < spec.numLayers; l++) {
      k.push(this.#mem.buffer(`K layer ${l}`, bytes));
      v.push(this.#mem.buffer(`V layer ${l}`, bytes));
    }
    return new GpuKvPool(spec, k, v);
  }

  /** Records the upload of the batch's metadata into the preallocated step buffers. */
  beginStep(batch: ForwardBatch): StepContext {
    this.#rec.checkDevice();
    if (this.#steps.upload(this.#rec, batch)) this.#rec.clearBindGroups();
    return new GpuStep(batch);
  }

  /** Records a write of host values into the first rows of `t`. */
  write(t: Tensor, values: Float32Array): void {
    this.#rec.write((t as GpuTensor).buffer, 0, values);
  }

  /** Submits the recorded step and reads back the first `numRows` rows of `t`. */
  async read(t: Tensor, numRows: number): Promise<Float32Array> {
    const g = t as GpuTensor;
    return new Float32Array(await this.#rec.read(g.buffer, 0, numRows * g.rowBytes));
  }

  /** Records block copies `src → dst` in every layer (copy-on-write). */
  copyBlocks(pool: KvPool, pairs: readonly (readonly [number, number])[]): void {
    this.#kv.copyBlocks(pool as GpuKvPool, pairs);
  }

  /** Copies blocks of every layer to host memory through a mappable staging buffer. */
  swapOut(pool: KvPool, blockIds: readonly number[]): Promise<HostKvBlocks> {
    return this.#kv.swapOut(pool as GpuKvPool, blockIds);
  }

  /** Records copies of host blocks into `blockIds`, in order (through the upload arena). */
  swapIn(pool: KvPool, host: HostKvBlocks, blockIds: readonly number[]): void {
    this.#kv.swapIn(pool as GpuKvPool, host as GpuHostBlocks, blockIds);
  }

  /**
   * Measures device memory bandwidth with the copy kernel (bytes read plus bytes written per
   * second), for benchmarks: `numReps` copies of `numBytes` (capped at one binding) in one
   * submit, after one warm-up copy.
   */
  measureBandwidth(numBytes = 256 << 20, numReps = 8): Promise<number> {
    const bytes = Math.floor(Math.min(numBytes, this.#maxBindingBytes) / 16) * 16;
    return measureCopyBandwidth(this.#device, this.#rec, this.#copyPipeline, bytes, numReps);
  }

  /** Frees every buffer (and the device, when this backend requested it). */
  dispose(): void {
    this.#rec.destroy();
    this.#steps.destroy();
    this.#mem.destroyAll();
    this.#kv.destroy();
    if (this.#ownsDevice) this.#device.destroy();
  }
}
