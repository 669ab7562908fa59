/**
 * Records a step's work into one command encoder and submits it once, when results are read.
 *
 * - Dispatch parameters go into a ring of uniform slots bound with dynamic offsets; the ring's
 *   host copy is written with one `queue.writeBuffer` just before the submit.
 * - Host → device writes go through an upload arena (one `writeBuffer` each) plus a copy
 *   recorded in order with the dispatches, so a write never overtakes earlier recorded work.
 * - Bind groups are cached by their buffers, so after the first step none is created.
 * - Reads copy only the rows asked into a mappable staging buffer.
 *
 * @module
 */
import { BackendError } from "@loom/core";
import type { Pipeline } from "./_pipelines.ts";

/** Bytes of every kernel's parameter block (the largest `Params` struct fits). */
export const PARAMS_BYTES = 64;

/** A buffer range bound to one slot. */
export interface Binding {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
  readonly size?: number;
}

const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);

/**
 * The bits of an f32, for passing a float among u32 parameters.
 *
 * @example
 * ```ts
 * import { f32Bits } from "./_recorder.ts";
 * console.log(f32Bits(1).toString(16)); // "3f800000"
 * ```
 */
export function f32Bits(x: number): number {
  f32[0] = x;
  return f32u[0]!;
}

/** Records dispatches and copies; submits on {@linkcode Recorder.flush}. */
export class Recorder {
  /** Dispatches recorded so far (for benchmarks and tests). */
  numDispatches = 0;
  /** Command buffers submitted so far. */
  numSubmits = 0;
  /** Bind groups created so far (they are cached: none after the first step). */
  numBindGroups = 0;

  readonly #device: GPUDevice;
  readonly #backend = "webgpu";
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  readonly #slotBytes: number;
  readonly #numSlots: number;
  readonly #uniform: GPUBuffer;
  readonly #uniformHost: Uint32Array<ArrayBuffer>;
  #usedSlots = 0;
  #arena: GPUBuffer;
  #arenaUsed = 0;
  #readback: GPUBuffer | null = null;
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #ids = new WeakMap<GPUBuffer, number>();
  #nextId = 1;
  #errors: Promise<GPUError | null>[] = [];
  #lock: Promise<unknown> = Promise.resolve();
  #lost: string | null = null;

  constructor(device: GPUDevice, numSlots = 4096, arenaBytes = 1 << 20) {
    this.#device = device;
    const align = device.limits.minUniformBufferOffsetAlignment;
    this.#slotBytes = Math.ceil(PARAMS_BYTES / align) * align;
    this.#numSlots = numSlots;
    this.#uniform = device.createBuffer({
      label: "loom params ring",
      size: this.#slotBytes * numSlots,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.#uniformHost = new Uint32Array(this.#slotBytes * numSlots / 4);
    this.#arena = this.#createArena(arenaBytes);
    device.lost.then((info) => {
      this.#lost = info.message || info.reason || "unknown reason";
    });
    // errors outside any scope (there should be none) still surface at the next read
    device.addEventListener("uncapturederror", (e) => {
      this.#errors.push(Promise.resolve((e as GPUUncapturedErrorEvent).error));
    });
  }

  /** Throws when the device is gone. */
  checkDevice(): void {
    if (this.#lost !== null) {
      throw new BackendError(`device lost (${this.#lost})`, this.#backend);
    }
  }

  /** Records one dispatch of `G = numGroups` workgroups (2-D when over 65535) times `z`. */
  dispatch(
    p: Pipeline,
    params: readonly number[],
    bindings: readonly Binding[],
    numGroups: number,
    z = 1,
  ): void {
    if (numGroups <= 0 || z <= 0) return;
    if (this.#usedSlots === this.#numSlots) this.flush();
    const slot = this.#usedSlots++;
    this.#uniformHost.set(params, (slot * this.#slotBytes) / 4);
    const pass = this.#computePass();
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, this.#bindGroup(p, bindings), [slot * this.#slotBytes]);
    const x = Math.min(numGroups, 65535);
    pass.dispatchWorkgroups(x, Math.ceil(numGroups / x), z);
    this.numDispatches++;
  }

  /** Records a buffer-to-buffer copy (sizes and offsets multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    if (size === 0) return;
    this.#endPass();
    this.#commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
  }

  /** Writes host bytes to `dst` in recording order (through the upload arena). */
  write(dst: GPUBuffer, dstOffset: number, data: ArrayBufferView): void {
    const at = this.stage(data);
    this.copy(this.#arena, at, dst, dstOffset, data.byteLength);
  }

  /**
   * Puts host bytes in the upload arena and returns their offset there; valid until the next
   * flush. `data.byteLength` must be a multiple of 4.
   */
  stage(data: ArrayBufferView): number {
    const size = data.byteLength;
    if (size % 4 !== 0) throw new BackendError(`upload of ${size} bytes (not 4-aligned)`, "webgpu");
    if (this.#arenaUsed + size > this.#arena.size) {
      this.flush();
      if (size > this.#arena.size) {
        const old = this.#arena;
        this.#arena = this.#createArena(2 ** Math.ceil(Math.log2(size)));
        this.#device.queue.onSubmittedWorkDone().then(() => old.destroy());
      }
    }
    const at = this.#arenaUsed;
    this.#device.queue.writeBuffer(
      this.#arena,
      at,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      size,
    );
    this.#arenaUsed = at + Math.ceil(size / 16) * 16;
    return at;
  }

  /** The upload arena (for copies from offsets returned by {@linkcode Recorder.stage}). */
  get arena(): GPUBuffer {
    return this.#arena;
  }

  /** Submits everything recorded (no-op when nothing is). */
  flush(): void {
    this.#endPass();
    const encoder = this.#encoder;
    if (!encoder) return;
    this.#encoder = null;
    if (this.#usedSlots > 0) {
      const bytes = this.#usedSlots * this.#slotBytes;
      this.#device.queue.writeBuffer(this.#uniform, 0, this.#uniformHost.buffer, 0, bytes);
    }
    this.#device.queue.submit([encoder.finish()]);
    this.numSubmits++;
    this.#usedSlots = 0;
    this.#arenaUsed = 0;
    this.#errors.push(this.#device.popErrorScope(), this.#device.popErrorScope());
  }

  /** Submits recorded work and returns `size` bytes of `src` from `offset`. */
  read(src: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    return this.exclusive(async () => {
      const capacity = Math.max(size, 256);
      if (!this.#readback || this.#readback.size < capacity) {
        this.#readback?.destroy();
        this.#readback = this.#device.createBuffer({
          label: "loom readback",
          size: 2 ** Math.ceil(Math.log2(capacity)),
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
      }
      this.copy(src, offset, this.#readback, 0, size);
      return await this.mapAndCopy(this.#readback, size);
    });
  }

  /** Flushes, maps `staging` (a MAP_READ buffer the recorded work copied into) and copies out. */
  async mapAndCopy(staging: GPUBuffer, size: number): Promise<ArrayBuffer> {
    this.flush();
    if (size === 0) {
      await this.checkErrors();
      return new ArrayBuffer(0);
    }
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (e) {
      this.checkDevice();
      await this.checkErrors();
      throw new BackendError(`reading results failed: ${(e as Error).message}`, this.#backend);
    }
    const out = staging.getMappedRange(0, size).slice(0);
    staging.unmap();
    await this.checkErrors();
    return out;
  }

  /** Runs `fn` after every earlier exclusive section (reads and swaps share staging). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  /** Throws a {@linkcode BackendError} for any validation or out-of-memory error so far. */
  async checkErrors(): Promise<void> {
    const pending = this.#errors;
    this.#errors = [];
    const errors = (await Promise.all(pending)).filter((e): e is GPUError => e !== null);
    this.checkDevice();
    if (errors.length > 0) {
      const oom = errors.some((e) => e instanceof GPUOutOfMemoryError);
      throw new BackendError(
        `${oom ? "out of memory" : "GPU error"}: ${errors.map((e) => e.message).join("; ")}`,
        this.#backend,
      );
    }
  }

  /** Remembers an error scope's outcome, checked at the next read. */
  watch(scope: Promise<GPUError | null>): void {
    this.#errors.push(scope);
  }

  /** Forgets cached bind groups (after a buffer they use was replaced). */
  clearBindGroups(): void {
    this.#bindGroups.clear();
  }

  /** Frees the recorder's own buffers. */
  destroy(): void {
    this.#uniform.destroy();
    this.#arena.destroy();
    this.#readback?.destroy();
  }

  #createArena(size: number): GPUBuffer {
    return this.#device.createBuffer({
      label: "loom upload arena",
      size,
      usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  #commandEncoder(): GPUCommandEncoder {
    if (!this.#encoder) {
      this.checkDevice();
      this.#device.pushErrorScope("out-of-memory");
      this.#device.pushErrorScope("validation");
      this.#encoder = this.#device.createCommandEncoder({ label: "loom step" });
    }
    return this.#encoder;
  }

  #computePass(): GPUComputePassEncoder {
    if (!this.#pass) this.#pass = this.#commandEncoder().beginComputePass();
    return this.#pass;
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
  }

  #id(b: GPUBuffer): number {
    let id = this.#ids.get(b);
    if (id === undefined) this.#ids.set(b, id = this.#nextId++);
    return id;
  }

  #bindGroup(p: Pipeline, bindings: readonly Binding[]): GPUBindGroup {
    let key = p.layoutKey;
    for (const b of bindings) key += `|${this.#id(b.buffer)}:${b.offset ?? 0}:${b.size ?? -1}`;
    let group = this.#bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: this.#uniform, offset: 0, size: PARAMS_BYTES } },
      ];
      bindings.forEach((b, i) => {
        const resource: GPUBufferBinding = { buffer: b.buffer };
        if (b.offset !== undefined) resource.offset = b.offset;
        if (b.size !== undefined) resource.size = b.size;
        entries.push({ binding: i + 1, resource });
      });
      group = this.#device.createBindGroup({ layout: p.layout, entries });
      this.numBindGroups++;
      this.#bindGroups.set(key, group);
    }
    return group;
  }
}
