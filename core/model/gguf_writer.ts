/**
 * GGUF writer (version 3): typed metadata and tensors, aligned. Loom uses it to generate
 * its built-in demo model and the tiny test models; users can use it to write their own.
 *
 * @module
 */
import { byteLengthOf, type DType, dtypeInfo } from "../dtype.ts";
import { LoomError } from "../errors.ts";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_SCALAR_BYTES,
  type GgufScalarType,
  GgufType,
} from "./_gguf_types.ts";

/** A scalar GGUF metadata value. */
export type GgufScalar = number | bigint | boolean | string;

/** Name of a scalar GGUF metadata type (`u32`, `f32`, `string`, ...). */
export type { GgufScalarType };

interface Entry {
  key: string;
  type: GgufScalarType;
  value: GgufScalar | readonly GgufScalar[];
  isArray: boolean;
}

interface PendingTensor {
  name: string;
  dtype: DType;
  shape: readonly number[];
  data: Uint8Array;
}

/**
 * Builds a GGUF v3 file in memory.
 *
 * @example
 * ```ts
 * import { GgufWriter, parseGgufHeader } from "@loom/core";
 * const w = new GgufWriter();
 * w.add("general.architecture", "string", "llama");
 * w.addArray("tokenizer.ggml.tokens", "string", ["a", "b"]);
 * w.addTensor("x", "f32", [2], new Uint8Array(new Float32Array([1, 2]).buffer));
 * const h = parseGgufHeader(w.toBytes());
 * console.log(h.tensors[0]?.shape, h.metadata["tokenizer.ggml.tokens"]); // [ 2 ] [ "a", "b" ]
 * ```
 */
export class GgufWriter {
  readonly #entries: Entry[] = [];
  readonly #tensors: PendingTensor[] = [];
  readonly #alignment: number;

  /**
   * Creates an instance.
   *
   * @param alignment Tensor data alignment (written as `general.alignment` when not 32).
   */
  constructor(alignment = GGUF_DEFAULT_ALIGNMENT) {
    this.#alignment = alignment;
    if (alignment !== GGUF_DEFAULT_ALIGNMENT) this.add("general.alignment", "u32", alignment);
  }

  /** Adds a scalar metadata value of the given GGUF type. */
  add(key: string, type: GgufScalarType, value: GgufScalar): this {
    this.#entries.push({ key, type, value, isArray: false });
    return this;
  }

  /** Adds an array metadata value whose elements have the given GGUF type. */
  addArray(key: string, type: GgufScalarType, values: readonly GgufScalar[]): this {
    this.#entries.push({ key, type, value: values, isArray: true });
    return this;
  }

  /**
   * Adds a tensor. `shape` is row-major, outermost first (`[out, in]` for a weight);
   * `data` holds the stored bytes in `dtype`.
   */
  addTensor(name: string, dtype: DType, shape: readonly number[], data: Uint8Array): this {
    const numElements = shape.reduce((a, b) => a * b, 1);
    const expected = byteLengthOf(dtype, numElements);
    if (data.length !== expected) {
      throw new LoomError(`tensor ${name}: ${data.length} bytes given, ${expected} expected`);
    }
    if ((shape[shape.length - 1] ?? 0) % dtypeInfo(dtype).blockElements !== 0) {
      throw new LoomError(`tensor ${name}: row length not a multiple of the ${dtype} block`);
    }
    this.#tensors.push({ name, dtype, shape, data });
    return this;
  }

  /** Serialises the file. */
  toBytes(): Uint8Array {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [];
    let size = 0;
    const push = (b: Uint8Array) => {
      parts.push(b);
      size += b.length;
    };
    const num = (bytes: number, set: (v: DataView) => void) => {
      const b = new Uint8Array(bytes);
      set(new DataView(b.buffer));
      push(b);
    };
    const u32 = (v: number) => num(4, (d) => d.setUint32(0, v, true));
    const u64 = (v: number | bigint) => num(8, (d) => d.setBigUint64(0, BigInt(v), true));
    const str = (s: string) => {
      const b = enc.encode(s);
      u64(b.length);
      push(b);
    };
    const scalar = (type: GgufScalarType, v: GgufScalar) => {
      const id = GgufType[type];
      if (type === "string") return str(String(v));
      const n = GGUF_SCALAR_BYTES[id] ?? 0;
      num(n, (d) => {
        switch (type) {
          case "u8":
            return d.setUint8(0, Number(v));
          case "i8":
            return d.setInt8(0, Number(v));
          case "u16":
            return d.setUint16(0, Number(v), true);
          case "i16":
            return d.setInt16(0, Number(v), true);
          case "u32":
            return d.setUint32(0, Number(v), true);
          case "i32":
            return d.setInt32(0, Number(v), true);
          case "f32":
            return d.setFloat32(0, Number(v), true);
          case "bool":
            return d.setUint8(0, v ? 1 : 0);
          case "u64":
            return d.setBigUint64(0, BigInt(v), true);
          case "i64":
            return d.setBigInt64(0, BigInt(v), true);
          case "f64":
            return d.setFloat64(0, Number(v), true);
        }
      });
    };

    u32(GGUF_MAGIC);
    u32(3);
    u64(this.#tensors.length);
    u64(this.#entries.length);
    for (const e of this.#entries) {
      str(e.key);
      if (e.isArray) {
        const values = e.value as readonly GgufScalar[];
        u32(GgufType.array);
        u32(GgufType[e.type]);
        u64(values.length);
        for (const v of values) scalar(e.type, v);
      } else {
        u32(GgufType[e.type]);
        scalar(e.type, e.value as GgufScalar);
      }
    }
    const align = (n: number) => Math.ceil(n / this.#alignment) * this.#alignment;
    let offset = 0;
    const offsets: number[] = [];
    for (const t of this.#tensors) {
      str(t.name);
      u32(t.shape.length);
      for (const d of [...t.shape].reverse()) u64(d);
      u32(dtypeInfo(t.dtype).ggmlType);
      offsets.push(offset);
      u64(offset);
      offset = align(offset + t.data.length);
    }
    const dataStart = align(size);
    const out = new Uint8Array(dataStart + offset);
    let p = 0;
    for (const b of parts) {
      out.set(b, p);
      p += b.length;
    }
    this.#tensors.forEach((t, i) => out.set(t.data, dataStart + (offsets[i] ?? 0)));
    return out;
  }
}
