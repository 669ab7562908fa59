/**
 * Split GGUF models (`NAME-00001-of-00003.gguf`, as llama.cpp's gguf-split writes them):
 * the first part holds the metadata, every part holds some tensors (`split.count`,
 * `split.no`, `split.tensors.count` keys). Opened together they are one WeightSource.
 *
 * @module
 */
import { ModelFormatError } from "../errors.ts";
import { GgufFile, type GgufTensorInfo, type GgufValue } from "./gguf.ts";
import type { WeightSource } from "./weights.ts";

const SPLIT_RE = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

/**
 * The paths of all parts when `path` names one part of a split model, else `undefined`.
 *
 * @example
 * ```ts
 * import { splitGgufPaths } from "@loom/core";
 * console.log(splitGgufPaths("m-00002-of-00003.gguf"));
 * // [ "m-00001-of-00003.gguf", "m-00002-of-00003.gguf", "m-00003-of-00003.gguf" ]
 * ```
 */
export function splitGgufPaths(path: string): string[] | undefined {
  const m = SPLIT_RE.exec(path);
  if (!m) return undefined;
  const count = Number(m[3]);
  if (count < 1) return undefined;
  return Array.from(
    { length: count },
    (_, i) => `${m[1]}-${String(i + 1).padStart(5, "0")}-of-${m[3]}.gguf`,
  );
}

/**
 * All parts of a split GGUF model as one source; metadata comes from the first part.
 *
 * @example
 * ```ts
 * import { GgufSplit } from "@loom/core";
 * const dir = await Deno.makeTempDir();
 * const { GgufWriter } = await import("@loom/core");
 * for (const [i, name] of ["a", "b"].entries()) {
 *   const w = new GgufWriter();
 *   w.add("split.no", "u16", i).add("split.count", "u16", 2).add("split.tensors.count", "i32", 2);
 *   w.addTensor(name, "f32", [1], new Uint8Array(4));
 *   await Deno.writeFile(`${dir}/m-0000${i + 1}-of-00002.gguf`, w.toBytes());
 * }
 * const m = await GgufSplit.open(`${dir}/m-00001-of-00002.gguf`);
 * console.log(m.tensors.map((t) => t.name)); // [ "a", "b" ]
 * m.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class GgufSplit implements WeightSource {
  readonly #parts: GgufFile[];
  readonly #owner = new Map<string, GgufFile>();
  readonly tensors: readonly GgufTensorInfo[];

  private constructor(parts: GgufFile[]) {
    this.#parts = parts;
    const all: GgufTensorInfo[] = [];
    for (const p of parts) {
      for (const t of p.tensors) {
        if (this.#owner.has(t.name)) {
          throw new ModelFormatError(`tensor ${t.name} appears in two parts`, { path: p.path });
        }
        this.#owner.set(t.name, p);
        all.push(t);
      }
    }
    this.tensors = all;
  }

  /** Opens every part of the split model that `path` belongs to. */
  static async open(path: string): Promise<GgufSplit> {
    const paths = splitGgufPaths(path) ?? [path];
    const parts: GgufFile[] = [];
    try {
      for (const p of paths) parts.push(await GgufFile.open(p));
      parts.forEach((p, i) => {
        const no = p.metadata["split.no"], count = p.metadata["split.count"];
        if (paths.length > 1 && (no !== i || count !== paths.length)) {
          throw new ModelFormatError(
            `split part ${i + 1}: split.no ${String(no)}, split.count ${String(count)}`,
            { path: p.path },
          );
        }
      });
      const split = new GgufSplit(parts);
      const expected = parts[0]!.metadata["split.tensors.count"];
      if (typeof expected === "number" && expected !== split.tensors.length) {
        throw new ModelFormatError(
          `split model lists ${expected} tensors, parts hold ${split.tensors.length}`,
          { path },
        );
      }
      return split;
    } catch (e) {
      for (const p of parts) p.close();
      throw e;
    }
  }

  /** Metadata of the first part. */
  get metadata(): Readonly<Record<string, GgufValue>> {
    return this.#parts[0]!.metadata;
  }

  /** Bytes on disk over all parts. */
  get fileSize(): number {
    return this.#parts.reduce((a, p) => a + p.fileSize, 0);
  }

  /** One tensor's info. */
  get(name: string): GgufTensorInfo | undefined {
    return this.#owner.get(name)?.get(name);
  }

  /** Reads a tensor from the part that holds it. */
  read(name: string): Promise<Uint8Array> {
    const p = this.#owner.get(name);
    if (!p) return Promise.reject(new ModelFormatError(`no tensor ${name}`));
    return p.read(name);
  }

  /** Closes every part. */
  close(): void {
    for (const p of this.#parts) p.close();
  }
}
