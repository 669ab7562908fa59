/**
 * A kernel worker: instantiates the module on the shared memory with its own stack, then
 * loops: wait for a call (spin for a bounded time, then park on `Atomics.wait`), claim and
 * run chunks of it until none is left (see _threads.ts), repeat until the stop flag is set.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { instantiate, KERNELS } from "./_abi.ts";
import type { WorkerInit } from "./_threads.ts";

// Control block words and claim-word layout: must match CTL, CHUNK_BITS and GEN_MASK in
// _threads.ts (repeated so that this file loads nothing but the small ABI module).
const GEN = 0, KERNEL = 1, ARGS = 2, NUM_CHUNKS = 3, CLAIM = 4, COMPLETED = 5, SLEEPERS = 6;
const MAIN_WAITING = 7, ERROR = 8, SPIN_MICROS = 9, STOP = 10;
const CHUNK_BITS = 12, CHUNK_MASK = (1 << CHUNK_BITS) - 1;

type Kernel = (args: number, chunk: number, numChunks: number) => void;

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  const { module, memory, ctl, stackTop } = e.data;
  const exports = instantiate(module, memory, stackTop);
  const kernels: Kernel[] = KERNELS.map((name) => exports[name]);
  const c = new Int32Array(memory.buffer, ctl, 16);
  // read the generation before saying ready: the first call may follow at once
  const seen = Atomics.load(c, GEN);
  self.postMessage("ready");
  loop(c, kernels, seen);
};

function loop(c: Int32Array, kernels: Kernel[], seen: number): void {
  for (;;) {
    let gen = Atomics.load(c, GEN);
    if (gen === seen) {
      // spin for a bounded time, then park until the generation changes
      const deadline = performance.now() + c[SPIN_MICROS]! / 1000;
      for (let i = 0; gen === seen; i++) {
        if ((i & 1023) === 1023 && performance.now() > deadline) {
          Atomics.add(c, SLEEPERS, 1);
          Atomics.wait(c, GEN, seen);
          Atomics.sub(c, SLEEPERS, 1);
        }
        gen = Atomics.load(c, GEN);
      }
    }
    if (Atomics.load(c, STOP) !== 0) {
      self.close();
      return;
    }
    // the call's fields, read consistently with its generation
    const kernel = kernels[c[KERNEL]!]!, args = c[ARGS]!, n = c[NUM_CHUNKS]!;
    if (Atomics.load(c, GEN) !== gen) continue;
    seen = gen;
    for (;;) {
      const v = Atomics.load(c, CLAIM);
      if (v >>> CHUNK_BITS !== gen) break; // a later call has started
      const chunk = v & CHUNK_MASK;
      if (chunk >= n) break;
      if (Atomics.compareExchange(c, CLAIM, v, v + 1) !== v) continue;
      try {
        kernel(args, chunk, n);
      } catch {
        Atomics.store(c, ERROR, 1);
      }
      Atomics.add(c, COMPLETED, 1);
      if (Atomics.load(c, MAIN_WAITING) !== 0) Atomics.notify(c, COMPLETED);
    }
  }
}
