/**
 * Threads for the WASM kernels: Workers that instantiate the same `WebAssembly.Module` on the
 * one shared memory and help run kernel calls, the calling thread working too.
 *
 * A split call is cut into `numChunks` chunks (the kernel runs as `kernel(args, chunk,
 * numChunks)` and computes chunk `chunk` of its work). Threads claim chunks from a shared
 * counter, so a worker the OS has descheduled (an oversubscribed machine) never holds a call
 * up: the calling thread simply claims what is left. The counter carries the call's
 * generation in its high bits, so a late worker can never claim a chunk of a later call with
 * an earlier call's arguments.
 *
 * Waiting is spin-then-park on both sides: spin on an atomic load for a bounded time (a
 * call then costs about a microsecond), then park on `Atomics.wait`, so idle workers cost
 * nothing. Parked workers are counted, so the caller only pays for `Atomics.notify` when
 * one sleeps.
 *
 * @module
 */
import { BackendError } from "@loom/core";
import { type KernelExports, KERNELS } from "./_abi.ts";
import type { WasmHeap } from "./_heap.ts";

/** Control block word indices (the same numbers are in _worker.ts). */
export const CTL = {
  gen: 0,
  kernel: 1,
  args: 2,
  numChunks: 3,
  claim: 4,
  completed: 5,
  sleepers: 6,
  mainWaiting: 7,
  error: 8,
  spinMicros: 9,
  stop: 10,
  words: 16,
} as const;

/** `claim` word: generation tag in the high bits, next chunk in the low CHUNK_BITS. */
export const CHUNK_BITS = 12;
/** Generations are compared modulo 2^19 (the claim word stays a positive int32). */
export const GEN_MASK = 0x7ffff;
/** Chunks per thread of a split call: small enough for balance, large enough to amortize. */
export const CHUNKS_PER_THREAD = 4;

/** Bytes of stack each worker instance gets. */
const WORKER_STACK_BYTES = 256 * 1024;

/** Message a worker receives once, at start. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: number;
  stackTop: number;
}

/** The calling thread plus `numThreads - 1` workers over one shared memory. */
export class ThreadPool {
  /** Threads taking part in split calls, the calling thread included. */
  readonly numThreads: number;
  /** Chunks of a split call (and per-chunk scratch slots kernels may index). */
  readonly maxChunks: number;
  readonly #heap: WasmHeap;
  readonly #exports: KernelExports;
  readonly #workers: Worker[];
  readonly #ctl: number;
  readonly #spinMicros: number;
  #canPark = true;

  private constructor(
    heap: WasmHeap,
    exports: KernelExports,
    workers: Worker[],
    ctl: number,
    spinMicros: number,
  ) {
    this.#heap = heap;
    this.#exports = exports;
    this.#workers = workers;
    this.#ctl = ctl;
    this.#spinMicros = spinMicros;
    this.numThreads = workers.length + 1;
    this.maxChunks = workers.length === 0 ? 1 : this.numThreads * CHUNKS_PER_THREAD;
  }

  /** Starts `numThreads - 1` workers and waits until each has instantiated the module. */
  static async create(
    heap: WasmHeap,
    module: WebAssembly.Module,
    exports: KernelExports,
    numThreads: number,
    spinMicros: number,
  ): Promise<ThreadPool> {
    const ctl = heap.alloc(CTL.words * 4, "thread control block");
    heap.i32.fill(0, ctl >> 2, (ctl >> 2) + CTL.words);
    heap.i32[(ctl >> 2) + CTL.spinMicros] = spinMicros;
    const workers: Worker[] = [], ready: Promise<void>[] = [];
    try {
      for (let ith = 1; ith < numThreads; ith++) {
        const stack = heap.alloc(WORKER_STACK_BYTES, "worker stack");
        const w = new Worker(new URL("./_worker.ts", import.meta.url).href, { type: "module" });
        workers.push(w);
        ready.push(
          new Promise<void>((resolve, reject) => {
            w.onmessage = () => resolve();
            w.onerror = (e) => {
              e.preventDefault();
              reject(new BackendError(`worker ${ith} failed to start: ${e.message}`, "wasm"));
            };
          }),
        );
        const init: WorkerInit = {
          module,
          memory: heap.memory,
          ctl,
          stackTop: stack + WORKER_STACK_BYTES,
        };
        w.postMessage(init);
      }
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new ThreadPool(heap, exports, workers, ctl, spinMicros);
  }

  /**
   * Runs `kernel(args, chunk, numChunks)` for every chunk: one chunk on this thread unless
   * `split`, else {@linkcode maxChunks} chunks shared with the workers. Returns when all
   * are done.
   */
  run(kernel: number, args: number, split: boolean): void {
    const fn = this.#exports[KERNELS[kernel]!];
    if (!split || this.#workers.length === 0) {
      fn(args, 0, 1);
      return;
    }
    const c = this.#heap.i32, base = this.#ctl >> 2, n = this.maxChunks;
    const gen = (c[base + CTL.gen]! + 1) & GEN_MASK;
    const tag = gen << CHUNK_BITS;
    c[base + CTL.kernel] = kernel;
    c[base + CTL.args] = args;
    c[base + CTL.numChunks] = n;
    Atomics.store(c, base + CTL.completed, 0);
    Atomics.store(c, base + CTL.claim, tag);
    Atomics.store(c, base + CTL.gen, gen); // publish
    if (Atomics.load(c, base + CTL.sleepers) > 0) Atomics.notify(c, base + CTL.gen);
    let mine = 0;
    try {
      for (;;) {
        const chunk = Atomics.add(c, base + CTL.claim, 1) - tag;
        if (chunk >= n) break;
        fn(args, chunk, n);
        mine++;
      }
    } finally {
      // the claim counter only grows past n: the extra increments above are harmless
      Atomics.add(c, base + CTL.completed, mine);
      this.#join(c, base, n);
    }
    const failed = Atomics.exchange(c, base + CTL.error, 0);
    if (failed !== 0) {
      throw new BackendError(`kernel ${KERNELS[kernel]} failed in a worker`, "wasm");
    }
  }

  /** Waits until all `n` chunks are completed: spin, then park with a timeout. */
  #join(c: Int32Array, base: number, n: number): void {
    let done = Atomics.load(c, base + CTL.completed);
    if (done >= n) return;
    const deadline = performance.now() + this.#spinMicros / 1000;
    for (let i = 0; done < n; i++) {
      if ((i & 1023) === 1023 && performance.now() > deadline) break;
      done = Atomics.load(c, base + CTL.completed);
    }
    while (done < n) {
      if (this.#canPark) {
        Atomics.store(c, base + CTL.mainWaiting, 1);
        done = Atomics.load(c, base + CTL.completed);
        try {
          if (done < n) Atomics.wait(c, base + CTL.completed, done, 10);
        } catch {
          this.#canPark = false; // a browser page's main thread may not block: spin instead
        }
        Atomics.store(c, base + CTL.mainWaiting, 0);
      }
      done = Atomics.load(c, base + CTL.completed);
    }
  }

  /**
   * Stops the workers: a stop flag and a wake-up (`terminate()` alone does not end a worker
   * parked in `Atomics.wait` in Deno), then `terminate()`.
   */
  dispose(): void {
    const c = this.#heap.i32, base = this.#ctl >> 2;
    Atomics.store(c, base + CTL.stop, 1);
    Atomics.store(c, base + CTL.gen, (c[base + CTL.gen]! + 1) & GEN_MASK);
    Atomics.notify(c, base + CTL.gen);
    for (const w of this.#workers) w.terminate();
    this.#workers.length = 0;
  }
}
