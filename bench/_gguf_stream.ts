/**
 * A streaming GGUF v3 writer for benchmark models: the header is written from declared tensor
 * shapes, then each tensor's bytes are pushed in chunks, so a 1.1B-parameter file never sits
 * in memory (core's `GgufWriter` builds the whole file in memory, fine for tiny models).
 * Same metadata and tensors give the same bytes as `GgufWriter`.
 *
 * @module
 */
import { byteLengthOf, type DType, dtypeInfo, LoomError } from "@loom/core";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_SCALAR_BYTES,
  type GgufScalarType,
  GgufType,
} from "../core/model/_gguf_types.ts";

type Scalar = number | bigint | boolean | string;

/** A tensor declared before writing: its bytes come later from the fill callback. */
export interface DeclaredTensor {
  readonly name: string;
  readonly dtype: DType;
  /** Row-major, outermost first (`[out, in]` for a weight). */
  readonly shape: readonly number[];
}

/** Receives a tensor's stored bytes, in order, in chunks of any size. */
export type TensorSink = (chunk: Uint8Array) => Promise<void>;

class ByteList {
  readonly parts: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  num(n: number, set: (v: DataView) => void): void {
    const b = new Uint8Array(n);
    set(new DataView(b.buffer));
    this.push(b);
  }
  u32(v: number): void {
    this.num(4, (d) => d.setUint32(0, v, true));
  }
  u64(v: number | bigint): void {
    this.num(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: GgufScalarType, v: Scalar): void {
    if (type === "string") return this.str(String(v));
    const n = GGUF_SCALAR_BYTES[GgufType[type]] ?? 0;
    this.num(n, (d) => {
      if (type === "bool") d.setUint8(0, v ? 1 : 0);
      else if (type === "u8") d.setUint8(0, Number(v));
      else if (type === "i8") d.setInt8(0, Number(v));
      else if (type === "u16") d.setUint16(0, Number(v), true);
      else if (type === "i16") d.setInt16(0, Number(v), true);
      else if (type === "u32") d.setUint32(0, Number(v), true);
      else if (type === "i32") d.setInt32(0, Number(v), true);
      else if (type === "f32") d.setFloat32(0, Number(v), true);
      else if (type === "f64") d.setFloat64(0, Number(v), true);
      else if (type === "u64") d.setBigUint64(0, BigInt(v), true);
      else d.setBigInt64(0, BigInt(v), true);
    });
  }
}

/**
 * Writes a GGUF file tensor by tensor.
 *
 * @example
 * ```ts
 * import { GgufFile } from "@loom/core";
 * import { GgufStreamWriter } from "./_gguf_stream.ts";
 * const path = await Deno.makeTempFile({ suffix: ".gguf" });
 * const w = new GgufStreamWriter();
 * w.add("general.architecture", "string", "llama");
 * w.addTensor({ name: "x", dtype: "f32", shape: [2] });
 * await w.write(path, async (_t, sink) => {
 *   await sink(new Uint8Array(new Float32Array([1, 2]).buffer));
 * });
 * const f = await GgufFile.open(path);
 * console.log(f.metadata["general.architecture"]); // "llama"
 * f.close();
 * await Deno.remove(path);
 * ```
 */
export class GgufStreamWriter {
  readonly #meta = new ByteList();
  #numEntries = 0;
  readonly #tensors: DeclaredTensor[] = [];
  readonly #alignment: number;

  /** @param alignment Tensor data alignment (written as `general.alignment` when not 32). */
  constructor(alignment = GGUF_DEFAULT_ALIGNMENT) {
    this.#alignment = alignment;
    if (alignment !== GGUF_DEFAULT_ALIGNMENT) this.add("general.alignment", "u32", alignment);
  }

  /** Adds a scalar metadata value. */
  add(key: string, type: GgufScalarType, value: Scalar): this {
    this.#meta.str(key);
    this.#meta.u32(GgufType[type]);
    this.#meta.scalar(type, value);
    this.#numEntries++;
    return this;
  }

  /** Adds an array metadata value whose elements have the given type. */
  addArray(key: string, type: GgufScalarType, values: readonly Scalar[]): this {
    this.#meta.str(key);
    this.#meta.u32(GgufType.array);
    this.#meta.u32(GgufType[type]);
    this.#meta.u64(values.length);
    for (const v of values) this.#meta.scalar(type, v);
    this.#numEntries++;
    return this;
  }

  /** Declares a tensor; its bytes come from the fill callback of `write`, in this order. */
  addTensor(tensor: DeclaredTensor): this {
    if ((tensor.shape.at(-1) ?? 0) % dtypeInfo(tensor.dtype).blockElements !== 0) {
      throw new LoomError(`tensor ${tensor.name}: row length not a multiple of the block`);
    }
    this.#tensors.push(tensor);
    return this;
  }

  /** Bytes of a declared tensor's data. */
  static byteLength(t: DeclaredTensor): number {
    return byteLengthOf(t.dtype, t.shape.reduce((a, b) => a * b, 1));
  }

  /**
   * Writes the file: header, then for each tensor `fill(tensor, sink)` pushes exactly its
   * bytes. Writes to `path.tmp` and renames at the end, so a partial file never has `path`.
   */
  async write(
    path: string,
    fill: (tensor: DeclaredTensor, sink: TensorSink) => Promise<void>,
  ): Promise<void> {
    const align = (n: number) => Math.ceil(n / this.#alignment) * this.#alignment;
    const head = new ByteList();
    head.u32(GGUF_MAGIC);
    head.u32(3);
    head.u64(this.#tensors.length);
    head.u64(this.#numEntries);
    for (const p of this.#meta.parts) head.push(p);
    let offset = 0;
    for (const t of this.#tensors) {
      head.str(t.name);
      head.u32(t.shape.length);
      for (const d of [...t.shape].reverse()) head.u64(d);
      head.u32(dtypeInfo(t.dtype).ggmlType);
      head.u64(offset);
      offset = align(offset + GgufStreamWriter.byteLength(t));
    }
    const tmp = `${path}.tmp`;
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      const writeAll = async (b: Uint8Array) => {
        for (let p = 0; p < b.length;) p += await file.write(b.subarray(p));
      };
      const header = new Uint8Array(align(head.size)); // zero padding to the alignment
      let at = 0;
      for (const p of head.parts) {
        header.set(p, at);
        at += p.length;
      }
      await writeAll(header);
      for (const t of this.#tensors) {
        const expected = GgufStreamWriter.byteLength(t);
        let written = 0;
        await fill(t, async (chunk) => {
          written += chunk.length;
          if (written > expected) throw new LoomError(`tensor ${t.name}: too many bytes`);
          await writeAll(chunk);
        });
        if (written !== expected) {
          throw new LoomError(`tensor ${t.name}: ${written} bytes given, ${expected} expected`);
        }
        await writeAll(new Uint8Array(align(written) - written));
      }
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  }
}
