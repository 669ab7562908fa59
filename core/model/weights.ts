/**
 * The WeightSource contract: tensors by name with dtype and shape, bytes read lazily.
 * GGUF and safetensors readers implement it; backends consume it.
 *
 * @module
 */
import type { DType } from "../dtype.ts";

/**
 * One tensor's description. `shape` is row-major, outermost first, as PyTorch writes it:
 * a weight matrix mapping `in` features to `out` features has shape `[out, in]`, each row
 * of `in` values stored contiguously (quantized blocks run along a row).
 */
export interface TensorInfo {
  /** Loom's canonical name, e.g. `blk.0.attn_q.weight` (GGUF naming). */
  readonly name: string;
  /** Stored data type. */
  readonly dtype: DType;
  /** Row-major shape, outermost first. */
  readonly shape: readonly number[];
  /** Bytes of the stored data. */
  readonly byteLength: number;
}

/**
 * Tensors by name, read lazily. Readers implement it over files; tests implement it over
 * memory.
 *
 * @example
 * ```ts
 * import { MemoryWeightSource } from "@loom/core";
 * const src = new MemoryWeightSource();
 * src.add({ name: "w", dtype: "f32", shape: [2], byteLength: 8 }, new Uint8Array(8));
 * console.log(src.get("w")?.shape, (await src.read("w")).length); // [ 2 ] 8
 * ```
 */
export interface WeightSource {
  /** Every tensor, in file order. */
  readonly tensors: readonly TensorInfo[];
  /** One tensor's description, or `undefined`. */
  get(name: string): TensorInfo | undefined;
  /** Reads a tensor's stored bytes (a fresh buffer the caller may keep). */
  read(name: string): Promise<Uint8Array>;
  /** Releases file handles. */
  close(): void;
}

/**
 * A {@linkcode WeightSource} over tensors held in memory.
 *
 * @example
 * ```ts
 * import { MemoryWeightSource } from "@loom/core";
 * const src = new MemoryWeightSource();
 * src.add({ name: "x", dtype: "f32", shape: [1], byteLength: 4 }, new Uint8Array(4));
 * console.log(src.tensors.length); // 1
 * ```
 */
export class MemoryWeightSource implements WeightSource {
  readonly #infos: TensorInfo[] = [];
  readonly #data = new Map<string, { info: TensorInfo; bytes: Uint8Array }>();

  /** Every tensor, in insertion order. */
  get tensors(): readonly TensorInfo[] {
    return this.#infos;
  }

  /** Adds a tensor. */
  add(info: TensorInfo, bytes: Uint8Array): void {
    this.#infos.push(info);
    this.#data.set(info.name, { info, bytes });
  }

  /** One tensor's description. */
  get(name: string): TensorInfo | undefined {
    return this.#data.get(name)?.info;
  }

  /** A copy of the tensor's bytes. */
  read(name: string): Promise<Uint8Array> {
    const t = this.#data.get(name);
    if (!t) return Promise.reject(new Error(`no tensor ${name}`));
    return Promise.resolve(t.bytes.slice());
  }

  /** Nothing to release. */
  close(): void {}
}
