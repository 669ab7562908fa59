/**
 * The WASM backend's one shared `WebAssembly.Memory` and a small first-fit allocator over it.
 * Everything (weights, activations, KV pool, scratch, step metadata) is allocated here once;
 * the step loop allocates nothing.
 *
 * @module
 */
import { BackendError } from "@loom/core";

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB: 65536 pages of 64 KiB. */
export const MAX_PAGES = 65536;
/** Every block is aligned (and sized) to this. */
const ALIGN = 64;

/**
 * Thrown when a model, KV pool or buffer does not fit the 4 GiB a wasm32 memory can address.
 *
 * @example
 * ```ts
 * import { WasmMemoryError } from "@loom/wasm";
 * const e = new WasmMemoryError("weight blk.0.ffn_up.weight", 1 << 30, 3.5 * 2 ** 30);
 * console.log(e.code, e.requestedBytes); // "backend" 1073741824
 * ```
 */
export class WasmMemoryError extends BackendError {
  /** Bytes the failed allocation asked for. */
  readonly requestedBytes: number;
  /** Bytes in use when it failed. */
  readonly usedBytes: number;
  /** The limit (4 GiB). */
  readonly limitBytes: number;
  /**
   * Creates the error.
   *
   * @param what What was being allocated.
   * @param requestedBytes Its size.
   * @param usedBytes Bytes already in use.
   */
  constructor(what: string, requestedBytes: number, usedBytes: number) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    super(
      `${what} (${gib(requestedBytes)}) does not fit in wasm32 memory: ${gib(usedBytes)} of ` +
        `${gib(MAX_PAGES * PAGE_BYTES)} in use`,
      "wasm",
    );
    this.requestedBytes = requestedBytes;
    this.usedBytes = usedBytes;
    this.limitBytes = MAX_PAGES * PAGE_BYTES;
  }
}

/** A shared memory that can grow to 4 GiB. */
export function createSharedMemory(initialPages = 32): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
}

/** A shared memory with typed views and `alloc` / `free`. */
export class WasmHeap {
  /** The memory every instance and worker shares. */
  readonly memory: WebAssembly.Memory;
  #top: number;
  #free: { ptr: number; size: number }[] = [];
  #sizes = new Map<number, number>();
  #u8!: Uint8Array;
  #i32!: Int32Array;
  #u32!: Uint32Array;
  #f32!: Float32Array;

  /**
   * @param memory A shared memory created by {@linkcode createSharedMemory}.
   * @param base First free byte (the module's `__heap_base`).
   */
  constructor(memory: WebAssembly.Memory, base: number) {
    this.memory = memory;
    this.#top = align(base);
    this.#refresh();
  }

  /** Bytes view of the whole memory. */
  get u8(): Uint8Array {
    return this.#u8;
  }
  /** Int32 view of the whole memory. */
  get i32(): Int32Array {
    return this.#i32;
  }
  /** Uint32 view of the whole memory. */
  get u32(): Uint32Array {
    return this.#u32;
  }
  /** Float32 view of the whole memory. */
  get f32(): Float32Array {
    return this.#f32;
  }
  /** Bytes between the heap base and the highest live block. */
  get usedBytes(): number {
    return this.#top;
  }

  /** Allocates `bytes` (64-byte aligned); throws {@linkcode WasmMemoryError} beyond 4 GiB. */
  alloc(bytes: number, what = "buffer"): number {
    const size = align(Math.max(bytes, 1));
    for (let i = 0; i < this.#free.length; i++) {
      const f = this.#free[i]!;
      if (f.size < size) continue;
      const ptr = f.ptr;
      if (f.size === size) this.#free.splice(i, 1);
      else f.ptr += size, f.size -= size;
      this.#sizes.set(ptr, size);
      return ptr;
    }
    const ptr = this.#top, end = ptr + size;
    if (end > MAX_PAGES * PAGE_BYTES) throw new WasmMemoryError(what, bytes, this.#top);
    const havePages = this.memory.buffer.byteLength / PAGE_BYTES;
    const needPages = Math.ceil(end / PAGE_BYTES);
    if (needPages > havePages) {
      // grow by at least 1/8 so that many small allocations do not grow page by page
      const want = Math.min(MAX_PAGES, Math.max(needPages, Math.ceil(havePages * 1.125)));
      try {
        this.memory.grow(want - havePages);
      } catch {
        try {
          this.memory.grow(needPages - havePages);
        } catch {
          throw new WasmMemoryError(what, bytes, this.#top);
        }
      }
      this.#refresh();
    }
    this.#top = end;
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** Returns a block to the allocator. */
  free(ptr: number): void {
    const size = this.#sizes.get(ptr);
    if (size === undefined) return;
    this.#sizes.delete(ptr);
    let i = 0;
    while (i < this.#free.length && this.#free[i]!.ptr < ptr) i++;
    this.#free.splice(i, 0, { ptr, size });
    // coalesce with the next and the previous free block
    const cur = this.#free[i]!, next = this.#free[i + 1];
    if (next && cur.ptr + cur.size === next.ptr) {
      cur.size += next.size;
      this.#free.splice(i + 1, 1);
    }
    const prev = this.#free[i - 1];
    if (prev && prev.ptr + prev.size === cur.ptr) {
      prev.size += cur.size;
      this.#free.splice(i, 1);
    }
    // a free block at the top lowers the top
    const last = this.#free[this.#free.length - 1];
    if (last && last.ptr + last.size === this.#top) {
      this.#top = last.ptr;
      this.#free.pop();
    }
  }

  #refresh(): void {
    const buf = this.memory.buffer;
    this.#u8 = new Uint8Array(buf);
    this.#i32 = new Int32Array(buf);
    this.#u32 = new Uint32Array(buf);
    this.#f32 = new Float32Array(buf);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/**
 * Writes a kernel's argument struct: consecutive 4-byte fields from `ptr`, in the order of
 * the C struct.
 */
export class ArgWriter {
  #heap: WasmHeap;
  #at = 0;
  /** Byte offset of the struct. */
  readonly ptr: number;
  constructor(heap: WasmHeap, ptr: number) {
    this.#heap = heap;
    this.ptr = ptr;
  }
  /** Starts a new struct. */
  begin(): this {
    this.#at = this.ptr >>> 2;
    return this;
  }
  /** An unsigned field (sizes, pointers). */
  u32(v: number): this {
    this.#heap.u32[this.#at++] = v;
    return this;
  }
  /** A float field. */
  f32(v: number): this {
    this.#heap.f32[this.#at++] = v;
    return this;
  }
}
