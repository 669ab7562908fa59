/**
 * The WASM-SIMD backend: kernels in C compiled to wasm32 with SIMD128 (relaxed SIMD when
 * available), weights resident in one shared memory in their stored dtype, Workers running
 * shares of large ops over that same memory.
 *
 * @module
 */
import {
  type Backend,
  byteLengthOf,
  type DType,
  type ForwardBatch,
  type HostKvBlocks,
  type KvPool,
  type KvPoolSpec,
  LoomError,
  type Ops,
  type RopeConfig,
  type RopeTable,
  type StepContext,
  type Tensor,
  type TensorInfo,
  UnsupportedDTypeError,
  type Weight,
} from "@loom/core";
import { instantiate, type KernelExports } from "./_abi.ts";
import { createSharedMemory, WasmHeap } from "./_heap.ts";
import { compileKernels, type SimdLevel } from "./_kernels.ts";
import { WasmRuntime } from "./_runtime.ts";
import { ThreadPool } from "./_threads.ts";
import {
  WasmHostBlocks,
  WasmKvPool,
  WasmRope,
  WasmStep,
  WasmTensor,
  WasmWeight,
} from "./_tensors.ts";
import { createWasmOps } from "./ops.ts";

/** Options of {@linkcode WasmBackend.create}. */
export interface WasmBackendOptions {
  /** Threads, the calling one included (default: `navigator.hardwareConcurrency`). */
  readonly numThreads?: number;
  /** Kernel build (default `auto`: relaxed SIMD when the engine has it). */
  readonly simd?: SimdLevel;
  /**
   * Calls below this much work (multiply-adds, or element operations) run on one thread
   * (default 2¹⁸; a 256×256 matvec is 2¹⁶). 0 splits every call (tests use it).
   */
  readonly minParallelWork?: number;
  /** How long idle threads spin before parking on `Atomics.wait`, in µs (default 200). */
  readonly spinMicros?: number;
  /**
   * Matmul activations: `f32` (default; results match the reference backend to f32
   * rounding) or `q8`: for every block dtype, activations are quantized per block of
   * 32 to int8 as llama.cpp does and multiplied in integers (3–5× faster decode; logits move
   * by about 0.1, as llama.cpp's own do against F32 math).
   */
  readonly activations?: "f32" | "q8";
  /**
   * Q8_0 × int8 products with one relaxed dot per 16 values, on weights biased to unsigned
   * bytes (default `auto`: when a probe at start-up finds the engine's relaxed dot exact for
   * unsigned bytes above 127, as V8 computes it with AVX-VNNI). `false` keeps the portable
   * kernel; results are the same either way.
   */
  readonly u8Dot?: "auto" | false;
}

/**
 * Resident bytes of a repacked Q5_0 / Q5_1 row of `k` values (`_src/common.h`): the nibbles,
 * then the fifth bits, 16 bytes a whole group of 4 blocks and 32 a block after them.
 */
const fiveBitRowBytes = (k: number): number =>
  k / 2 + 16 * Math.floor(k / 128) + 32 * ((k / 32) % 4);

/**
 * Block dtypes repacked at load into a quant plane and a scale plane (see `_src/common.h`):
 * resident quant bytes of a row of `k` values, scale bytes per GGML block, values per GGML
 * block.
 */
const REPACKED: Partial<
  Record<DType, {
    fn: Extract<keyof KernelExports, `repack_${string}`>;
    rowBytes: (k: number) => number;
    scaleBytes: number;
    blockValues: number;
  }>
> = {
  q8_0: { fn: "repack_q8_0", rowBytes: (k) => k, scaleBytes: 4, blockValues: 32 },
  q4_0: { fn: "repack_q4_0", rowBytes: (k) => k / 2, scaleBytes: 4, blockValues: 32 },
  // IQ4_NL blocks have Q4_0's layout (f16 d, 16 index bytes)
  iq4_nl: { fn: "repack_q4_0", rowBytes: (k) => k / 2, scaleBytes: 4, blockValues: 32 },
  iq4_xs: { fn: "repack_iq4_xs", rowBytes: (k) => k / 2, scaleBytes: 32, blockValues: 256 },
  q4_1: { fn: "repack_q4_1", rowBytes: (k) => k / 2, scaleBytes: 8, blockValues: 32 },
  q5_0: { fn: "repack_q5_0", rowBytes: fiveBitRowBytes, scaleBytes: 8, blockValues: 32 },
  q5_1: { fn: "repack_q5_1", rowBytes: fiveBitRowBytes, scaleBytes: 8, blockValues: 32 },
  q2_k: { fn: "repack_q2_k", rowBytes: (k) => k / 4, scaleBytes: 24, blockValues: 256 },
  q3_k: { fn: "repack_q3_k", rowBytes: (k) => (k * 3) / 8, scaleBytes: 20, blockValues: 256 },
  q4_k: { fn: "repack_q4_k", rowBytes: (k) => k / 2, scaleBytes: 24, blockValues: 256 },
  q5_k: { fn: "repack_q5_k", rowBytes: (k) => (k * 5) / 8, scaleBytes: 24, blockValues: 256 },
  q6_k: { fn: "repack_q6_k", rowBytes: (k) => (k * 3) / 4, scaleBytes: 64, blockValues: 256 },
};

/** GGML type ids as the kernels know them. */
const GGML_ID: Readonly<Record<DType, number>> = {
  f32: 0,
  f16: 1,
  q4_0: 2,
  q4_1: 3,
  q5_0: 6,
  q5_1: 7,
  q8_0: 8,
  iq4_nl: 20,
  iq4_xs: 23,
  q2_k: 10,
  q3_k: 11,
  q4_k: 12,
  q5_k: 13,
  q6_k: 14,
  bf16: 30,
};

/**
 * A {@linkcode Backend} running C kernels compiled to WebAssembly SIMD on every core.
 *
 * @example
 * ```ts
 * import { WasmBackend } from "@loom/wasm";
 * const backend = await WasmBackend.create({ numThreads: 1 });
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
export class WasmBackend implements Backend {
  readonly name = "wasm";
  readonly ops: Ops;
  readonly supportedDTypes: readonly DType[] = Object.keys(GGML_ID) as DType[];
  /** Whether the relaxed-SIMD build runs. */
  readonly relaxedSimd: boolean;
  readonly #rt: WasmRuntime;
  #disposed = false;

  private constructor(rt: WasmRuntime, relaxedSimd: boolean) {
    this.#rt = rt;
    this.relaxedSimd = relaxedSimd;
    this.ops = createWasmOps(rt);
  }

  /** Compiles the kernels, creates the shared memory and starts the worker threads. */
  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const numThreads = Math.max(
      1,
      Math.floor(options.numThreads ?? globalThis.navigator?.hardwareConcurrency ?? 1),
    );
    const { module, relaxed } = await compileKernels(options.simd ?? "auto");
    const memory = createSharedMemory();
    const exports = instantiate(module, memory);
    const heap = new WasmHeap(memory, exports.__heap_base.value as number);
    const spinMicros = options.spinMicros ?? 200;
    const pool = await ThreadPool.create(heap, module, exports, numThreads, spinMicros);
    const rt = new WasmRuntime(
      heap,
      exports,
      pool,
      options.minParallelWork ?? 1 << 18,
      options.activations ?? "f32",
      relaxed && options.u8Dot !== false && exports.probe_u8dot() === 1,
    );
    return new WasmBackend(rt, relaxed);
  }

  /** Whether Q8_0 int8 products use the unsigned-byte relaxed dot (see the `u8Dot` option). */
  get u8Dot(): boolean {
    return this.#rt.u8Dot;
  }

  /**
   * Matmul activations: `f32` (exact) or `q8` (int8 per block of 32, as llama.cpp).
   *
   * @example
   * ```ts
   * import { WasmBackend } from "@loom/wasm";
   * const be = await WasmBackend.create({ numThreads: 1, activations: "q8" });
   * console.log(be.activations); // "q8"
   * be.dispose();
   * ```
   */
  get activations(): "f32" | "q8" {
    return this.#rt.activations;
  }

  /** Threads taking part in large ops. */
  get numThreads(): number {
    return this.#rt.pool.numThreads;
  }

  /** Bytes of wasm memory in use (weights, KV pool, buffers). */
  get memoryBytes(): number {
    return this.#rt.heap.usedBytes;
  }

  /**
   * Measures how fast the kernels read memory: sums `numBytes` of wasm memory on all threads
   * `repeats` times and returns the best GB/s (the roofline of memory-bound decode).
   */
  measureReadBandwidth(numBytes = 256 << 20, repeats = 7): number {
    const rt = this.#rt, bytes = Math.ceil(numBytes / 64) * 64;
    const src = rt.heap.alloc(bytes, "bandwidth probe");
    const sums = rt.heap.alloc(4 * rt.pool.maxChunks, "bandwidth probe");
    rt.heap.u8.fill(1, src, src + bytes); // touch every page first
    rt.args.begin().u32(src).u32(bytes).u32(sums);
    rt.run("k_read", bytes);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      rt.run("k_read", bytes);
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    rt.heap.free(sums);
    rt.heap.free(src);
    return bytes / best / 1e9;
  }

  /**
   * Measures the int8 dot-product ceiling of the relaxed build: the threads run independent
   * `i32x4.relaxed_dot_i8x16_i7x16_add` on registers (no memory access), `iterations` rounds
   * of 12 per chunk; the result is the best of `repeats` runs, in int8 GFLOP/s over all
   * threads (one dot = 32 operations). `undefined` on the plain SIMD build, which has no such
   * instruction. The int8 matmul kernels compare against it in `deno task bench:kernels`.
   *
   * @example
   * ```ts
   * import { WasmBackend } from "@loom/wasm";
   * const be = await WasmBackend.create({ numThreads: 1 });
   * console.log(be.measureInt8DotPeak()); // e.g. 240 (GFLOP/s), or undefined without relaxed SIMD
   * be.dispose();
   * ```
   */
  measureInt8DotPeak(iterations = 2_000_000, repeats = 3): number | undefined {
    if (!this.relaxedSimd) return undefined;
    const rt = this.#rt;
    const out = rt.heap.alloc(4 * rt.pool.maxChunks, "dot peak probe");
    rt.args.begin().u32(iterations).u32(out);
    let best = Infinity;
    for (let i = 0; i <= repeats; i++) {
      const t0 = performance.now();
      rt.run("k_dot_peak", Infinity);
      if (i > 0) best = Math.min(best, (performance.now() - t0) / 1000); // run 0 warms up
    }
    rt.heap.free(out);
    // a split call runs maxChunks chunks (1 without workers), each `iterations` rounds
    return (rt.pool.maxChunks * iterations * 12 * 32) / best / 1e9;
  }

  /**
   * Copies a weight into wasm memory in its stored dtype. Block dtypes are repacked into a
   * quant plane and a scale plane; vectors (norms, biases) are held as f32.
   */
  loadWeight(info: TensorInfo, bytes: Uint8Array): Promise<Weight> {
    const { heap, exports } = this.#rt;
    const id = GGML_ID[info.dtype];
    if (id === undefined) throw new UnsupportedDTypeError(info.dtype, info.name);
    const k = info.shape[info.shape.length - 1] ?? 1;
    const n = info.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const need = byteLengthOf(info.dtype, n * k);
    if (bytes.length < need) {
      throw new LoomError(`weight ${info.name}: ${bytes.length} bytes, ${need} expected`);
    }
    const what = `weight ${info.name}`;
    const rowBytes = need / n;
    const ptrs: number[] = [];
    let dataPtr: number, scalesPtr = 0, residentRowBytes = rowBytes;
    const repacked = REPACKED[info.dtype];
    if (repacked) {
      // repack GGML blocks into a quant plane and a scale plane, staged through memory
      residentRowBytes = repacked.rowBytes(k);
      dataPtr = heap.alloc(n * residentRowBytes, what);
      scalesPtr = heap.alloc((n * k / repacked.blockValues) * repacked.scaleBytes, what);
      ptrs.push(dataPtr, scalesPtr);
      const staging = heap.alloc(need, `${what} (staging)`);
      heap.u8.set(bytes.subarray(0, need), staging);
      exports[repacked.fn](staging, n, k / repacked.blockValues, dataPtr, scalesPtr);
      heap.free(staging);
    } else {
      dataPtr = heap.alloc(need, what);
      ptrs.push(dataPtr);
      heap.u8.set(bytes.subarray(0, need), dataPtr);
    }
    const desc = heap.alloc(24, what);
    ptrs.push(desc);
    heap.u32.set([id, n, k, dataPtr, scalesPtr, residentRowBytes], desc >> 2);
    if (info.shape.length >= 2) {
      this.#rt.scratch(4 * k); // matmul panels: allocate now, not in the step loop
      return Promise.resolve(
        new WasmWeight(info.name, info.dtype, info.shape, desc, n, k, 0, ptrs),
      );
    }
    // a vector: held as f32 (norm weights, biases)
    const f32Ptr = heap.alloc(n * k * 4, what);
    exports.dequant_rows(desc, 0, n, f32Ptr);
    for (const p of ptrs) heap.free(p);
    const vdesc = heap.alloc(24, what);
    heap.u32.set([0, n, k, f32Ptr, 0, k * 4], vdesc >> 2);
    return Promise.resolve(
      new WasmWeight(info.name, "f32", info.shape, vdesc, n, k, f32Ptr, [f32Ptr, vdesc]),
    );
  }

  /** Allocates a zeroed f32 buffer in wasm memory. */
  alloc(maxRows: number, cols: number): Tensor {
    const heap = this.#rt.heap;
    const ptr = heap.alloc(maxRows * cols * 4, `activation buffer [${maxRows}, ${cols}]`);
    heap.f32.fill(0, ptr >> 2, (ptr >> 2) + maxRows * cols);
    return new WasmTensor(ptr, maxRows, cols);
  }

  /** Precomputes cos/sin tables (in f64, stored as f32) up to `maxPositions`. */
  createRope(config: RopeConfig, maxPositions: number): RopeTable {
    const heap = this.#rt.heap, half = config.dim / 2;
    const cosPtr = heap.alloc(maxPositions * half * 4, "rope table");
    const sinPtr = heap.alloc(maxPositions * half * 4, "rope table");
    const cos = heap.f32.subarray(cosPtr >> 2, (cosPtr >> 2) + maxPositions * half);
    const sin = heap.f32.subarray(sinPtr >> 2, (sinPtr >> 2) + maxPositions * half);
    const scale = 1 / (config.linearFactor ?? 1);
    for (let i = 0; i < half; i++) {
      const freq = Math.pow(config.theta, (-2 * i) / config.dim) / (config.freqFactors?.[i] ?? 1);
      for (let p = 0; p < maxPositions; p++) {
        const angle = p * scale * freq;
        cos[p * half + i] = Math.cos(angle);
        sin[p * half + i] = Math.sin(angle);
      }
    }
    return new WasmRope(config, maxPositions, cosPtr, sinPtr);
  }

  /** Allocates the zeroed paged KV pool. */
  createKvPool(spec: KvPoolSpec): KvPool {
    const heap = this.#rt.heap;
    const elem = spec.dtype === "f16" ? 2 : 4;
    const bytes = 2 * spec.numLayers * spec.numBlocks * spec.blockSize * spec.numKvHeads *
      spec.headDim * elem;
    const ptr = heap.alloc(bytes, `KV pool of ${spec.numBlocks} blocks`);
    heap.u8.fill(0, ptr, ptr + bytes);
    return new WasmKvPool(spec, ptr);
  }

  /** Copies the batch's metadata into wasm memory (reusing one region across steps). */
  beginStep(batch: ForwardBatch): StepContext {
    const rt = this.#rt, T = batch.tokens.length, S = batch.seqStarts.length - 1;
    const words = 4 * T + batch.blockTables.length;
    const base = rt.stepRegion(words * 4) >> 2;
    const i32 = rt.heap.i32;
    rt.quantizedFrom = "";
    i32.set(batch.tokens, base);
    i32.set(batch.positions, base + T);
    i32.set(batch.slotMapping, base + 2 * T);
    for (let s = 0; s < S; s++) {
      i32.fill(s, base + 3 * T + batch.seqStarts[s]!, base + 3 * T + batch.seqStarts[s + 1]!);
    }
    i32.set(batch.blockTables, base + 4 * T);
    rt.stepSerial++;
    const at = (w: number) => (base + w) * 4;
    return new WasmStep(batch, rt.stepSerial, at(0), at(T), at(2 * T), at(3 * T), at(4 * T));
  }

  /** Writes host values into the first rows of `t`. */
  write(t: Tensor, values: Float32Array): void {
    const w = t as WasmTensor;
    if (values.length > w.maxRows * w.cols) throw new LoomError("write exceeds the tensor");
    this.#rt.quantizedFrom = "";
    this.#rt.heap.f32.set(values, w.ptr >> 2);
  }

  /** Returns a copy of the first rows of `t` (kernels already ran). */
  read(t: Tensor, numRows: number): Promise<Float32Array> {
    const w = t as WasmTensor;
    return Promise.resolve(this.#rt.heap.f32.slice(w.ptr >> 2, (w.ptr >> 2) + numRows * w.cols));
  }

  /** Copies whole blocks `src → dst` in every layer. */
  copyBlocks(pool: KvPool, pairs: readonly (readonly [number, number])[]): void {
    const p = pool as WasmKvPool, u8 = this.#rt.heap.u8, B = p.blockBytes;
    for (const [src, dst] of pairs) {
      for (let l = 0; l < p.spec.numLayers; l++) {
        for (const base of [p.k(l), p.v(l)]) {
          u8.copyWithin(base + dst * B, base + src * B, base + (src + 1) * B);
        }
      }
    }
  }

  /** Copies blocks to host memory: per layer, K then V, blocks in order. */
  swapOut(pool: KvPool, blockIds: readonly number[]): Promise<HostKvBlocks> {
    const p = pool as WasmKvPool, u8 = this.#rt.heap.u8, B = p.blockBytes;
    const out = new Uint8Array(2 * p.spec.numLayers * blockIds.length * B);
    let at = 0;
    for (let l = 0; l < p.spec.numLayers; l++) {
      for (const base of [p.k(l), p.v(l)]) {
        for (const b of blockIds) {
          out.set(u8.subarray(base + b * B, base + (b + 1) * B), at);
          at += B;
        }
      }
    }
    return Promise.resolve(new WasmHostBlocks(blockIds.length, out));
  }

  /** Copies host blocks back into `blockIds`, in order. */
  swapIn(pool: KvPool, host: HostKvBlocks, blockIds: readonly number[]): void {
    const p = pool as WasmKvPool, h = host as WasmHostBlocks, u8 = this.#rt.heap.u8;
    const B = p.blockBytes;
    if (blockIds.length !== h.numBlocks) throw new LoomError("swapIn block count differs");
    let at = 0;
    for (let l = 0; l < p.spec.numLayers; l++) {
      for (const base of [p.k(l), p.v(l)]) {
        for (const b of blockIds) {
          u8.set(h.bytes.subarray(at, at + B), base + b * B);
          at += B;
        }
      }
    }
  }

  /** Stops the worker threads; the memory goes with the last reference. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#rt.pool.dispose();
  }
}
