/**
 * Whole-block KV transfers: copy-on-write copies inside the pool, swap out to host memory and
 * swap in from it. Copies are recorded in order with the step's other work.
 *
 * @module
 */
import { BackendError } from "@loom/core";
import type { Recorder } from "./_recorder.ts";
import { GpuHostBlocks, type GpuKvPool } from "./_resources.ts";

/** Block copies and swaps for one device, with the buffers they reuse. */
export class KvTransfer {
  readonly #device: GPUDevice;
  readonly #rec: Recorder;
  #scratch: GPUBuffer | null = null;
  #staging: GPUBuffer | null = null;

  constructor(device: GPUDevice, rec: Recorder) {
    this.#device = device;
    this.#rec = rec;
  }

  /**
   * Records `src → dst` copies of whole blocks in every layer. WebGPU cannot copy a buffer
   * into itself, so blocks go through a scratch buffer.
   */
  copyBlocks(p: GpuKvPool, pairs: readonly (readonly [number, number])[]): void {
    if (pairs.length === 0) return;
    const n = p.blockBytes;
    const scratch = this.#scratchOf(pairs.length * n);
    for (const buf of [...p.k, ...p.v]) {
      pairs.forEach(([src], i) => this.#rec.copy(buf, src * n, scratch, i * n, n));
      pairs.forEach(([, dst], i) => this.#rec.copy(scratch, i * n, buf, dst * n, n));
    }
  }

  /** Copies blocks of every layer (K then V) to host memory through a mappable staging buffer. */
  swapOut(p: GpuKvPool, blockIds: readonly number[]): Promise<GpuHostBlocks> {
    const n = p.blockBytes, L = p.spec.numLayers;
    return this.#rec.exclusive(async () => {
      const size = 2 * L * blockIds.length * n;
      if (!this.#staging || this.#staging.size < size) {
        this.#staging?.destroy(); // not in use: exclusive sections run one at a time
        this.#staging = this.#device.createBuffer({
          label: "loom swap staging",
          size: Math.max(256, 2 ** Math.ceil(Math.log2(size))),
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
      }
      const staging = this.#staging;
      let at = 0;
      for (let l = 0; l < L; l++) {
        for (const buf of [p.k[l]!, p.v[l]!]) {
          for (const b of blockIds) this.#rec.copy(buf, b * n, staging, (at++) * n, n);
        }
      }
      const data = new Uint8Array(await this.#rec.mapAndCopy(staging, size));
      return new GpuHostBlocks(blockIds.length, n, L, data);
    });
  }

  /** Records copies of host blocks into `blockIds`, in order, through the upload arena. */
  swapIn(p: GpuKvPool, h: GpuHostBlocks, blockIds: readonly number[]): void {
    const n = p.blockBytes;
    if (h.blockBytes !== n || h.numLayers !== p.spec.numLayers || h.numBlocks !== blockIds.length) {
      throw new BackendError("swapIn: host blocks do not match the pool or block list", "webgpu");
    }
    const base = this.#rec.stage(h.data);
    const arena = this.#rec.arena;
    let at = 0;
    for (let l = 0; l < p.spec.numLayers; l++) {
      for (const buf of [p.k[l]!, p.v[l]!]) {
        for (const b of blockIds) this.#rec.copy(arena, base + (at++) * n, buf, b * n, n);
      }
    }
  }

  /** Frees the reused buffers. */
  destroy(): void {
    this.#scratch?.destroy();
    this.#staging?.destroy();
  }

  #scratchOf(size: number): GPUBuffer {
    if (!this.#scratch || this.#scratch.size < size) {
      const old = this.#scratch;
      this.#rec.flush(); // recorded copies may still use the old scratch
      this.#scratch = this.#device.createBuffer({
        label: "loom block-copy scratch",
        size: 2 ** Math.ceil(Math.log2(Math.max(size, 256))),
        usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      if (old) this.#device.queue.onSubmittedWorkDone().then(() => old.destroy());
    }
    return this.#scratch;
  }
}
