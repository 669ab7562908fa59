/**
 * GGUF reader (versions 2 and 3): metadata of every value type, tensor infos, and tensor
 * data read lazily from the file. Every count, length and offset is checked against the
 * file's size before use, so a malformed file gives a {@linkcode ModelFormatError} naming
 * the problem rather than a crash, a hang or an unbounded allocation.
 *
 * @module
 */
import { dtypeFromGgml, dtypeInfo } from "../dtype.ts";
import { ModelFormatError, UnsupportedDTypeError } from "../errors.ts";
import type { TensorInfo, WeightSource } from "./weights.ts";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_SCALAR_BYTES, GgufType } from "./_gguf_types.ts";

/** A GGUF metadata value. 64-bit integers beyond 2^53 stay `bigint`. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** A tensor as listed in a GGUF file. */
export interface GgufTensorInfo extends TensorInfo {
  /** Byte offset of the data from the start of the file. */
  readonly fileOffset: number;
}

/** A parsed GGUF header. */
export interface GgufHeader {
  /** Format version (2 or 3). */
  readonly version: number;
  /** Metadata key → value, in file order. */
  readonly metadata: Readonly<Record<string, GgufValue>>;
  /** Tensors in file order. */
  readonly tensors: readonly GgufTensorInfo[];
  /** Data alignment in bytes. */
  readonly alignment: number;
  /** Byte offset where tensor data starts. */
  readonly dataOffset: number;
}

const MAX_DIMS = 4;
const MAX_TENSORS = 1 << 20;
const MAX_KVS = 1 << 20;

/** Thrown inside the parser when the buffer ends before the header does. */
class NeedMoreBytes {
  constructor(readonly offset: number) {}
}

class Cursor {
  #view: DataView;
  #decoder = new TextDecoder();
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly fileSize: number, readonly path?: string) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(message: string, offset = this.pos): never {
    throw new ModelFormatError(message, { ...(this.path ? { path: this.path } : {}), offset });
  }
  need(n: number): void {
    if (this.pos + n > this.fileSize) this.fail(`truncated header: ${n} bytes needed`);
    if (this.pos + n > this.bytes.length) throw new NeedMoreBytes(this.pos + n);
  }
  u8(): number {
    this.need(1);
    return this.#view.getUint8(this.pos++);
  }
  u32(): number {
    this.need(4);
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number | bigint {
    this.need(8);
    const v = this.#view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  /** A u64 used as a count or size: must fit in a safe integer and `max`. */
  count(what: string, max: number): number {
    const at = this.pos;
    const v = this.u64();
    if (typeof v === "bigint" || v > max) this.fail(`absurd ${what}: ${v} (limit ${max})`, at);
    return v;
  }
  /** A u64 length of something stored after it: must fit in the bytes left in the file. */
  length(what: string): number {
    const at = this.pos;
    const v = this.u64();
    const left = this.fileSize - this.pos;
    if (typeof v === "bigint" || v > left) {
      this.fail(`truncated header or absurd ${what}: ${v} (${left} bytes left in the file)`, at);
    }
    return v;
  }
  string(): string {
    const n = this.length("string length");
    this.need(n);
    const s = this.#decoder.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  scalar(type: number): GgufValue {
    const v = this.#view;
    const size = GGUF_SCALAR_BYTES[type];
    if (type === GgufType.string) return this.string();
    if (size === undefined) this.fail(`unknown metadata value type ${type}`);
    this.need(size);
    const p = this.pos;
    this.pos += size;
    switch (type) {
      case GgufType.u8:
        return v.getUint8(p);
      case GgufType.i8:
        return v.getInt8(p);
      case GgufType.u16:
        return v.getUint16(p, true);
      case GgufType.i16:
        return v.getInt16(p, true);
      case GgufType.u32:
        return v.getUint32(p, true);
      case GgufType.i32:
        return v.getInt32(p, true);
      case GgufType.f32:
        return v.getFloat32(p, true);
      case GgufType.bool:
        return v.getUint8(p) !== 0;
      case GgufType.u64: {
        const b = v.getBigUint64(p, true);
        return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      }
      case GgufType.i64: {
        const b = v.getBigInt64(p, true);
        return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= -BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(b)
          : b;
      }
      default:
        return v.getFloat64(p, true);
    }
  }
  value(type: number, depth = 0): GgufValue {
    if (type !== GgufType.array) return this.scalar(type);
    if (depth > 4) this.fail("metadata arrays nested too deeply");
    const elemType = this.u32();
    // Each element takes at least one byte, so the count can never exceed what is left.
    const n = this.length("array length");
    const elemBytes = GGUF_SCALAR_BYTES[elemType];
    if (elemBytes !== undefined) this.need(n * elemBytes);
    else if (elemType !== GgufType.string && elemType !== GgufType.array) {
      this.fail(`unknown array element type ${elemType}`);
    }
    const out: GgufValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(elemType, depth + 1);
    return out;
  }
}

function parse(bytes: Uint8Array, fileSize: number, path?: string): GgufHeader {
  const c: Cursor = new Cursor(bytes, fileSize, path);
  if (fileSize < 4 || c.u32() !== GGUF_MAGIC) {
    c.fail("not a GGUF file: wrong magic (expected 'GGUF')", 0);
  }
  const version = c.u32();
  if (version !== 2 && version !== 3) c.fail(`unsupported GGUF version ${version}`, 4);
  const numTensors = c.count("tensor count", MAX_TENSORS);
  const numKvs = c.count("metadata count", MAX_KVS);
  const metadata: Record<string, GgufValue> = {};
  for (let i = 0; i < numKvs; i++) {
    const key = c.string();
    metadata[key] = c.value(c.u32());
  }
  const alignValue = metadata["general.alignment"] ?? GGUF_DEFAULT_ALIGNMENT;
  if (typeof alignValue !== "number" || alignValue <= 0 || alignValue % 8 !== 0) {
    c.fail(`invalid general.alignment ${String(alignValue)}`);
  }
  const alignment = alignValue as number;
  const raw: { name: string; ne: number[]; type: number; offset: number; at: number }[] = [];
  for (let i = 0; i < numTensors; i++) {
    const at = c.pos;
    const name = c.string();
    const numDims = c.u32();
    if (numDims < 1 || numDims > MAX_DIMS) c.fail(`tensor ${name}: ${numDims} dimensions`, at);
    const ne: number[] = [];
    for (let d = 0; d < numDims; d++) ne.push(c.count(`dimension of ${name}`, 2 ** 40));
    const type = c.u32();
    const offset = c.count(`data offset of ${name}`, fileSize);
    raw.push({ name, ne, type, offset, at });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors: GgufTensorInfo[] = [];
  const seen = new Set<string>();
  for (const t of raw) {
    if (seen.has(t.name)) c.fail(`duplicate tensor name ${t.name}`, t.at);
    seen.add(t.name);
    let dtype;
    try {
      dtype = dtypeFromGgml(t.type, t.name);
    } catch (e) {
      if (e instanceof UnsupportedDTypeError) {
        throw new ModelFormatError(e.message, { ...(path ? { path } : {}), offset: t.at });
      }
      throw e;
    }
    const numElements = t.ne.reduce((a, b) => a * b, 1);
    const { blockElements, blockBytes } = dtypeInfo(dtype);
    if (numElements === 0 || (t.ne[0] ?? 0) % blockElements !== 0) {
      c.fail(`tensor ${t.name}: shape [${t.ne}] does not fit ${dtype} blocks`, t.at);
    }
    if (!Number.isSafeInteger(numElements)) c.fail(`tensor ${t.name}: absurd size`, t.at);
    const byteLength = (numElements / blockElements) * blockBytes;
    const fileOffset = dataOffset + t.offset;
    if (t.offset % alignment !== 0) c.fail(`tensor ${t.name}: misaligned data offset`, t.at);
    if (fileOffset + byteLength > fileSize) {
      c.fail(
        `truncated tensor data: ${t.name} needs bytes ${fileOffset}..${
          fileOffset + byteLength
        }, file has ${fileSize}`,
        t.at,
      );
    }
    tensors.push({ name: t.name, dtype, shape: [...t.ne].reverse(), byteLength, fileOffset });
  }
  return { version, metadata, tensors, alignment, dataOffset };
}

/**
 * Parses a GGUF header from bytes that start at the beginning of the file. `fileSize` is
 * the whole file's size (tensor extents are checked against it); pass `bytes.length` when
 * `bytes` is the whole file.
 *
 * @example
 * ```ts
 * import { GgufWriter, parseGgufHeader } from "@loom/core";
 * const w = new GgufWriter();
 * w.add("general.architecture", "string", "llama");
 * const bytes = w.toBytes();
 * console.log(parseGgufHeader(bytes).metadata["general.architecture"]); // "llama"
 * ```
 */
export function parseGgufHeader(
  bytes: Uint8Array,
  fileSize: number = bytes.length,
  path?: string,
): GgufHeader {
  try {
    return parse(bytes, fileSize, path);
  } catch (e) {
    if (e instanceof NeedMoreBytes) {
      throw new ModelFormatError("truncated header", {
        ...(path ? { path } : {}),
        offset: e.offset,
      });
    }
    throw e;
  }
}

/**
 * An open GGUF file: its header, and tensor data read lazily. Implements
 * {@linkcode WeightSource}.
 *
 * @example
 * ```ts
 * import { GgufFile } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * console.log(f.metadata["general.architecture"], f.tensors.length); // "llama" 12
 * f.close();
 * ```
 */
export class GgufFile implements WeightSource {
  readonly #file: Deno.FsFile;
  readonly #byName: Map<string, GgufTensorInfo>;
  #pending: Promise<unknown> = Promise.resolve();
  /** The parsed header. */
  readonly header: GgufHeader;
  /** The file's path. */
  readonly path: string;
  /** The file's size in bytes. */
  readonly fileSize: number;

  private constructor(path: string, file: Deno.FsFile, fileSize: number, header: GgufHeader) {
    this.path = path;
    this.#file = file;
    this.fileSize = fileSize;
    this.header = header;
    this.#byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  /** Opens and parses a GGUF file; reads only the header. */
  static async open(path: string): Promise<GgufFile> {
    const file = await Deno.open(path, { read: true });
    try {
      const fileSize = (await file.stat()).size;
      let length = Math.min(fileSize, 1 << 22);
      for (;;) {
        const bytes = await readAt(file, 0, length);
        try {
          return new GgufFile(path, file, fileSize, parse(bytes, fileSize, path));
        } catch (e) {
          if (!(e instanceof NeedMoreBytes)) throw e;
          length = Math.min(fileSize, Math.max(length * 2, e.offset));
        }
      }
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /** Metadata key → value. */
  get metadata(): Readonly<Record<string, GgufValue>> {
    return this.header.metadata;
  }

  /** Tensors in file order. */
  get tensors(): readonly GgufTensorInfo[] {
    return this.header.tensors;
  }

  /** One tensor's info. */
  get(name: string): GgufTensorInfo | undefined {
    return this.#byName.get(name);
  }

  /** Reads one tensor's stored bytes. */
  read(name: string): Promise<Uint8Array> {
    const t = this.#byName.get(name);
    if (!t) return Promise.reject(new ModelFormatError(`no tensor ${name}`, { path: this.path }));
    // Reads share one file position: run them one after another.
    const next = this.#pending.then(() => readAt(this.#file, t.fileOffset, t.byteLength));
    this.#pending = next.catch(() => undefined);
    return next;
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let done = 0;
  while (done < length) {
    const n = await file.read(out.subarray(done));
    if (n === null) throw new ModelFormatError("unexpected end of file", { offset: offset + done });
    done += n;
  }
  return out;
}

/**
 * A GGUF file held in memory (e.g. a generated model). Implements {@linkcode WeightSource}.
 *
 * @example
 * ```ts
 * import { GgufBuffer, writeTestModelGguf } from "@loom/core";
 * const g = new GgufBuffer(writeTestModelGguf());
 * console.log(g.metadata["general.architecture"], (await g.read("output_norm.weight")).length);
 * // "llama" 256
 * ```
 */
export class GgufBuffer implements WeightSource {
  readonly #bytes: Uint8Array;
  readonly #byName: Map<string, GgufTensorInfo>;
  /** The parsed header. */
  readonly header: GgufHeader;

  /** Parses the header; throws {@linkcode ModelFormatError} when malformed. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.header = parseGgufHeader(bytes);
    this.#byName = new Map(this.header.tensors.map((t) => [t.name, t]));
  }

  /** Metadata key → value. */
  get metadata(): Readonly<Record<string, GgufValue>> {
    return this.header.metadata;
  }

  /** Tensors in file order. */
  get tensors(): readonly GgufTensorInfo[] {
    return this.header.tensors;
  }

  /** One tensor's info. */
  get(name: string): GgufTensorInfo | undefined {
    return this.#byName.get(name);
  }

  /** A copy of one tensor's bytes. */
  read(name: string): Promise<Uint8Array> {
    const t = this.#byName.get(name);
    if (!t) return Promise.reject(new ModelFormatError(`no tensor ${name}`));
    return Promise.resolve(this.#bytes.slice(t.fileOffset, t.fileOffset + t.byteLength));
  }

  /** Nothing to release. */
  close(): void {}
}
