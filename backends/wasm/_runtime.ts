/**
 * What the WASM Ops run on: the heap, the calling thread's instance, the thread pool, the
 * argument block, per-thread scratch and the step-metadata region.
 *
 * @module
 */
import { type KernelExports, type KernelName, KERNELS } from "./_abi.ts";
import { ArgWriter, type WasmHeap } from "./_heap.ts";
import type { ThreadPool } from "./_threads.ts";

/** Floats of per-thread scratch a call needs is rounded up to this (keeps threads apart). */
const SCRATCH_ALIGN_FLOATS = 16;

/** Shared state of one WASM backend. */
export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly exports: KernelExports;
  readonly pool: ThreadPool;
  /** The argument struct of the call being made (one call at a time). */
  readonly args: ArgWriter;
  /** Calls doing fewer multiply-adds (or element operations) than this run on one thread. */
  readonly minParallelWork: number;
  /** Incremented by every `beginStep`; a step context from an older step is refused. */
  stepSerial = 0;
  #scratchPtr = 0;
  #scratchFloats = 0;
  #stepPtr = 0;
  #stepBytes = 0;
  #actPtr = 0;
  #actBytes = 0;

  /** Matmul activations: f32, or quantized per block to int8 (llama.cpp's numerics). */
  readonly activations: "f32" | "q8";
  /** Q8_0 int8 products may use the unsigned-byte relaxed dot (see WasmBackendOptions). */
  readonly u8Dot: boolean;

  constructor(
    heap: WasmHeap,
    exports: KernelExports,
    pool: ThreadPool,
    minParallelWork: number,
    activations: "f32" | "q8",
    u8Dot = false,
  ) {
    this.heap = heap;
    this.exports = exports;
    this.pool = pool;
    this.minParallelWork = minParallelWork;
    this.activations = activations;
    this.u8Dot = u8Dot;
    this.args = new ArgWriter(heap, heap.alloc(256, "kernel arguments"));
  }

  /**
   * What the quantized-activation region holds: the input it was quantized from (pointer,
   * row stride, rows, K and region), or `""`. Matmuls on the same input (q, k and v; gate
   * and up) quantize it once. Any other kernel, and any write to memory from the host,
   * forgets it: they may have changed the input.
   */
  quantizedFrom = "";

  /** Runs a kernel on the argument block, split over the threads when `work` is large. */
  run(kernel: KernelName, work: number): void {
    if (kernel !== "k_matmul_q8") this.quantizedFrom = "";
    this.pool.run(KERNEL_INDEX[kernel], this.args.ptr, work >= this.minParallelWork);
  }

  /**
   * Scratch of at least `floats` f32 values for each chunk of a split call (kernels index it
   * by chunk); returns the base and the stride in floats. Grows only when a larger need
   * appears (at load, or the first step of a new shape).
   */
  scratch(floats: number): { ptr: number; stride: number } {
    const need = Math.ceil(floats / SCRATCH_ALIGN_FLOATS) * SCRATCH_ALIGN_FLOATS;
    if (need > this.#scratchFloats) {
      if (this.#scratchPtr) this.heap.free(this.#scratchPtr);
      this.#scratchPtr = this.heap.alloc(need * 4 * this.pool.maxChunks, "kernel scratch");
      this.#scratchFloats = need;
    }
    return { ptr: this.#scratchPtr, stride: this.#scratchFloats };
  }

  /** The quantized-activation region, at least `bytes` long (grows on a larger need). */
  activationRegion(bytes: number): number {
    if (bytes > this.#actBytes) {
      if (this.#actPtr) this.heap.free(this.#actPtr);
      this.#actBytes = Math.max(bytes, this.#actBytes * 2);
      this.#actPtr = this.heap.alloc(this.#actBytes, "quantized activations");
    }
    return this.#actPtr;
  }

  /** The step-metadata region, at least `bytes` long. */
  stepRegion(bytes: number): number {
    if (bytes > this.#stepBytes) {
      if (this.#stepPtr) this.heap.free(this.#stepPtr);
      this.#stepBytes = Math.max(bytes, this.#stepBytes * 2, 4096);
      this.#stepPtr = this.heap.alloc(this.#stepBytes, "step metadata");
    }
    return this.#stepPtr;
  }
}

const KERNEL_INDEX = Object.fromEntries(KERNELS.map((k, i) => [k, i])) as Record<
  KernelName,
  number
>;
