/**
 * safetensors reader: one file or a sharded checkpoint (`model.safetensors.index.json`),
 * F32/F16/BF16 tensors read lazily, exposed under Loom's canonical (GGUF) tensor names.
 *
 * For Llama and Mistral, Hugging Face stores the Q and K projections for rotate-half RoPE,
 * while Loom (like GGUF) rotates adjacent pairs; the reader permutes their rows on the fly
 * exactly as llama.cpp's converter does, so a checkpoint yields the same weights as its
 * GGUF conversion. Every header value is checked against the file's size first, so a
 * malformed file gives a {@linkcode ModelFormatError}.
 *
 * @module
 */
import type { DType } from "../dtype.ts";
import { ModelConfigError, ModelFormatError, UnsupportedDTypeError } from "../errors.ts";
import type { ModelConfig } from "./config.ts";
import { configFromHf } from "./hf_config.ts";
import type { TensorInfo, WeightSource } from "./weights.ts";

/**
 * safetensors dtype names Loom reads, with their Loom dtype and element size.
 *
 * @example
 * ```ts
 * import { SAFETENSORS_DTYPES } from "@loom/core";
 * console.log(SAFETENSORS_DTYPES["BF16"]); // { dtype: "bf16", bytes: 2 }
 * ```
 */
export const SAFETENSORS_DTYPES: Readonly<Record<string, { dtype: DType; bytes: number }>> = {
  F32: { dtype: "f32", bytes: 4 },
  F16: { dtype: "f16", bytes: 2 },
  BF16: { dtype: "bf16", bytes: 2 },
};

/** Headers larger than this are refused (the safetensors library's own limit). */
const MAX_HEADER_BYTES = 100_000_000;

/** A tensor as listed in a safetensors header (its own name, not yet mapped). */
export interface SafetensorsEntry {
  /** The name in the file, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  readonly name: string;
  /** Stored data type. */
  readonly dtype: DType;
  /** Row-major shape. */
  readonly shape: readonly number[];
  /** Bytes of data. */
  readonly byteLength: number;
  /** Byte offset of the data from the start of the file. */
  readonly fileOffset: number;
}

/** A parsed safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` strings (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in data order. */
  readonly tensors: readonly SafetensorsEntry[];
  /** Byte offset where tensor data starts (8 + header length). */
  readonly dataOffset: number;
}

/**
 * Parses a safetensors header. `bytes` starts at the beginning of the file and holds at
 * least the 8-byte length and the JSON header; `fileSize` is the whole file's size.
 *
 * @example
 * ```ts
 * import { parseSafetensorsHeader, writeSafetensors } from "@loom/core";
 * const bytes = writeSafetensors([{ name: "w", dtype: "f32", shape: [2], data: new Uint8Array(8) }]);
 * console.log(parseSafetensorsHeader(bytes).tensors[0]?.shape); // [ 2 ]
 * ```
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  fileSize: number = bytes.length,
  path?: string,
): SafetensorsHeader {
  const fail = (message: string, offset?: number): never => {
    throw new ModelFormatError(message, {
      ...(path ? { path } : {}),
      ...(offset !== undefined ? { offset } : {}),
    });
  };
  if (fileSize < 8 || bytes.length < 8) fail("not a safetensors file: shorter than 8 bytes", 0);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8))) {
    fail(`absurd safetensors header length ${n} (file has ${fileSize} bytes)`, 0);
  }
  const dataOffset = 8 + Number(n);
  if (bytes.length < dataOffset) fail("truncated safetensors header", bytes.length);
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataOffset)),
    );
  } catch (e) {
    fail(`safetensors header is not valid JSON: ${(e as Error).message}`, 8);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    fail("safetensors header is not a JSON object", 8);
  }
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v === "object" && v !== null) {
        for (const [k, s] of Object.entries(v)) if (typeof s === "string") metadata[k] = s;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const shape = t?.shape;
    const offsets = t?.data_offsets;
    if (
      typeof t?.dtype !== "string" || !Array.isArray(shape) || !Array.isArray(offsets) ||
      offsets.length !== 2 || ![...shape, ...offsets].every((x) =>
        Number.isSafeInteger(x) && x >= 0
      )
    ) {
      return fail(`tensor ${name}: malformed entry in the safetensors header`, 8);
    }
    const known = SAFETENSORS_DTYPES[t.dtype];
    if (!known) throw new UnsupportedDTypeError(t.dtype, name);
    const [begin, end] = offsets as [number, number];
    const numElements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== numElements * known.bytes) {
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] do not fit shape [${shape}]`, 8);
    }
    if (dataOffset + end > fileSize) {
      fail(
        `truncated tensor data: ${name} needs bytes ${dataOffset + begin}..${
          dataOffset + end
        }, file has ${fileSize}`,
        8,
      );
    }
    tensors.push({
      name,
      dtype: known.dtype,
      shape: shape as number[],
      byteLength: end - begin,
      fileOffset: dataOffset + begin,
    });
  }
  tensors.sort((a, b) => a.fileOffset - b.fileOffset);
  return { metadata, tensors, dataOffset };
}

const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
};

const LAYER_NAMES: Readonly<Record<string, string>> = {
  "self_attn.q_proj.weight": "attn_q.weight",
  "self_attn.k_proj.weight": "attn_k.weight",
  "self_attn.v_proj.weight": "attn_v.weight",
  "self_attn.o_proj.weight": "attn_output.weight",
  "self_attn.q_proj.bias": "attn_q.bias",
  "self_attn.k_proj.bias": "attn_k.bias",
  "self_attn.v_proj.bias": "attn_v.bias",
  "self_attn.o_proj.bias": "attn_output.bias",
  "self_attn.q_norm.weight": "attn_q_norm.weight",
  "self_attn.k_norm.weight": "attn_k_norm.weight",
  "mlp.gate_proj.weight": "ffn_gate.weight",
  "mlp.up_proj.weight": "ffn_up.weight",
  "mlp.down_proj.weight": "ffn_down.weight",
  "input_layernorm.weight": "attn_norm.weight",
  "post_attention_layernorm.weight": "ffn_norm.weight",
};

const FROM_CANONICAL_GLOBAL = new Map(Object.entries(GLOBAL_NAMES).map(([k, v]) => [v, k]));
const FROM_CANONICAL_LAYER = new Map(Object.entries(LAYER_NAMES).map(([k, v]) => [v, k]));

/**
 * Loom's canonical (GGUF) name of a Hugging Face tensor name, or `undefined` when the name
 * is not one Loom knows.
 *
 * @example
 * ```ts
 * import { canonicalTensorName } from "@loom/core";
 * console.log(canonicalTensorName("model.layers.3.mlp.down_proj.weight")); // "blk.3.ffn_down.weight"
 * ```
 */
export function canonicalTensorName(hfName: string): string | undefined {
  const global = GLOBAL_NAMES[hfName];
  if (global) return global;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const suffix = m && LAYER_NAMES[m[2]!];
  return suffix ? `blk.${m[1]}.${suffix}` : undefined;
}

/**
 * The Hugging Face name of a canonical (GGUF) tensor name, or `undefined`.
 *
 * @example
 * ```ts
 * import { hfTensorName } from "@loom/core";
 * console.log(hfTensorName("blk.0.attn_output.weight")); // "model.layers.0.self_attn.o_proj.weight"
 * ```
 */
export function hfTensorName(canonical: string): string | undefined {
  const global = FROM_CANONICAL_GLOBAL.get(canonical);
  if (global) return global;
  const m = /^blk\.(\d+)\.(.+)$/.exec(canonical);
  const suffix = m && FROM_CANONICAL_LAYER.get(m[2]!);
  return suffix ? `model.layers.${m[1]}.${suffix}` : undefined;
}

/**
 * Permutes the rows of a Q or K projection (weight or bias) between Hugging Face's
 * rotate-half layout and GGUF's adjacent-pair layout, as llama.cpp's converter does. Per
 * head of `d` rows: GGUF row `2i` is HF row `i`, GGUF row `2i + 1` is HF row `i + d/2`.
 * `inverse` maps GGUF back to HF. Rows are moved as bytes (any dtype).
 *
 * @example
 * ```ts
 * import { permuteQkRows } from "@loom/core";
 * // one head of 4 one-byte rows: HF [a0 a1 b0 b1] → GGUF [a0 b0 a1 b1]
 * console.log(permuteQkRows(Uint8Array.of(0, 1, 2, 3), 1, 1)); // Uint8Array(4) [ 0, 2, 1, 3 ]
 * ```
 */
export function permuteQkRows(
  bytes: Uint8Array,
  numHeads: number,
  rowBytes: number,
  inverse = false,
): Uint8Array {
  const numRows = bytes.length / rowBytes;
  const d = numRows / numHeads;
  if (!Number.isInteger(numRows) || !Number.isInteger(d) || d % 2 !== 0) {
    throw new ModelFormatError(`cannot split ${numRows} rows into ${numHeads} heads of even size`);
  }
  const out = new Uint8Array(bytes.length);
  const half = d / 2;
  for (let h = 0; h < numHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const gguf = (h * d + 2 * i + j) * rowBytes;
        const hf = (h * d + j * half + i) * rowBytes;
        if (inverse) out.set(bytes.subarray(gguf, gguf + rowBytes), hf);
        else out.set(bytes.subarray(hf, hf + rowBytes), gguf);
      }
    }
  }
  return out;
}

/**
 * How many heads a canonical tensor's rows must be permuted over (Llama/Mistral Q and K),
 * or 0 when it is stored the same way in both formats.
 *
 * @example
 * ```ts
 * import { qkPermutationHeads, configFromHf } from "@loom/core";
 * const c = configFromHf({ model_type: "llama", hidden_size: 64, intermediate_size: 128,
 *   num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 10 });
 * console.log(qkPermutationHeads(c, "blk.0.attn_k.weight")); // 2
 * ```
 */
export function qkPermutationHeads(config: ModelConfig, canonical: string): number {
  if (config.architecture !== "llama" && config.architecture !== "mistral") return 0;
  if (/^blk\.\d+\.attn_q\.(weight|bias)$/.test(canonical)) return config.numHeads;
  if (/^blk\.\d+\.attn_k\.(weight|bias)$/.test(canonical)) return config.numKvHeads;
  return 0;
}

/** Tensors that hold no weights (buffers some old checkpoints saved); skipped. */
function isIgnoredHfTensor(hfName: string): boolean {
  return hfName.endsWith(".rotary_emb.inv_freq");
}

/** A tensor of a safetensors checkpoint, under its canonical name. */
export interface SafetensorsTensorInfo extends TensorInfo {
  /** The tensor's name in the file, e.g. `model.embed_tokens.weight`. */
  readonly hfName: string;
  /** The file holding its data (empty for tensors derived from the config). */
  readonly path: string;
  /** Byte offset of its data in that file. */
  readonly fileOffset: number;
  /** Heads its rows are permuted over when read (Llama/Mistral Q and K), else 0. */
  readonly permuteHeads: number;
}

/** Options of {@linkcode SafetensorsWeights.open}. */
export interface SafetensorsOpenOptions {
  /**
   * The model's config. It decides the Q/K row permutation (Llama, Mistral), drops a stored
   * `lm_head` when embeddings are tied and adds `rope_freqs.weight` for `llama3` scaling, as
   * llama.cpp's converter does. Read from `config.json` beside the weights when omitted;
   * with neither, tensors are only renamed.
   */
  readonly config?: ModelConfig;
  /** Keep the file's tensor names (and bytes) as they are. Default `false`. */
  readonly rawNames?: boolean;
}

const INDEX_FILE = "model.safetensors.index.json";

/** One open file; reads share its position, so they run one after another. */
class Shard {
  #pending: Promise<unknown> = Promise.resolve();
  constructor(readonly path: string, readonly file: Deno.FsFile, readonly size: number) {}
  read(offset: number, length: number): Promise<Uint8Array> {
    const next = this.#pending.then(() => readAt(this.file, offset, length, this.path));
    this.#pending = next.catch(() => undefined);
    return next;
  }
  close(): void {
    try {
      this.file.close();
    } catch {
      // already closed
    }
  }
}

async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
  path: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let done = 0;
  while (done < length) {
    const n = await file.read(out.subarray(done));
    if (n === null) {
      throw new ModelFormatError("unexpected end of file", { path, offset: offset + done });
    }
    done += n;
  }
  return out;
}

async function openShard(path: string): Promise<{ shard: Shard; header: SafetensorsHeader }> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const head = await readAt(file, 0, Math.min(size, 8), path);
    if (head.length < 8) return parseSafetensorsHeader(head, size, path) as never;
    const n = new DataView(head.buffer).getBigUint64(0, true);
    const length = n > BigInt(Math.min(MAX_HEADER_BYTES, size - 8)) ? 8 : 8 + Number(n);
    const header = parseSafetensorsHeader(await readAt(file, 0, length, path), size, path);
    return { shard: new Shard(path, file, size), header };
  } catch (e) {
    file.close();
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function dirOf(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? "." : path.slice(0, i) || "/";
}

/** The files of a checkpoint at `path` and, when sharded, its weight map. */
async function locate(
  path: string,
): Promise<{ dir: string; files: string[]; weightMap?: Record<string, string> }> {
  const stat = await Deno.stat(path);
  let dir = path;
  let indexPath: string | undefined;
  if (stat.isDirectory) {
    if (await exists(`${dir}/${INDEX_FILE}`)) indexPath = `${dir}/${INDEX_FILE}`;
    else if (await exists(`${dir}/model.safetensors`)) {
      return { dir, files: [`${dir}/model.safetensors`] };
    } else {
      const files: string[] = [];
      for await (const e of Deno.readDir(dir)) {
        if (e.name.endsWith(".safetensors")) files.push(`${dir}/${e.name}`);
      }
      if (files.length === 0) throw new ModelFormatError("no .safetensors files", { path: dir });
      return { dir, files: files.sort() };
    }
  } else {
    dir = dirOf(path);
    if (!path.endsWith(".json")) return { dir, files: [path] };
    indexPath = path;
  }
  let index: unknown;
  try {
    index = JSON.parse(await Deno.readTextFile(indexPath));
  } catch (e) {
    throw new ModelFormatError(`invalid index: ${(e as Error).message}`, { path: indexPath });
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null) {
    throw new ModelFormatError("index has no weight_map", { path: indexPath });
  }
  const files = new Set<string>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== "string" || file.split(/[\\/]/).some((s) => s === ".." || s === "")) {
      throw new ModelFormatError(`weight_map: bad file name for ${name}`, { path: indexPath });
    }
    files.add(file);
  }
  return {
    dir,
    files: [...files].sort().map((f) => `${dir}/${f}`),
    weightMap: Object.fromEntries(
      Object.entries(weightMap as Record<string, string>).map(([k, f]) => [k, `${dir}/${f}`]),
    ),
  };
}

/**
 * A safetensors checkpoint (one file, a folder, or a sharded index) as a
 * {@linkcode WeightSource} under Loom's canonical tensor names.
 *
 * @example
 * ```ts
 * import { SafetensorsWeights, writeHfModel } from "@loom/core";
 * const dir = await Deno.makeTempDir();
 * await writeHfModel(dir, {
 *   config: {
 *     architecture: "qwen2", vocabSize: 4, hiddenSize: 2, intermediateSize: 4, numLayers: 1,
 *     numHeads: 1, numKvHeads: 1, headDim: 2, maxContextLength: 64, rmsNormEps: 1e-6,
 *     rope: { theta: 1e6, style: "neox", dim: 2 }, tieWordEmbeddings: true,
 *     attentionBias: true, qkNorm: false,
 *   },
 *   tensors: [{ name: "token_embd.weight", dtype: "f32", shape: [4, 2], data: new Uint8Array(32) }],
 * });
 * const w = await SafetensorsWeights.open(dir);
 * console.log(w.config?.architecture, w.get("token_embd.weight")?.shape); // "qwen2" [ 4, 2 ]
 * w.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SafetensorsWeights implements WeightSource {
  readonly #infos: SafetensorsTensorInfo[];
  readonly #byName: Map<string, SafetensorsTensorInfo>;
  readonly #shards: Map<string, Shard>;
  readonly #derived: Map<string, Uint8Array>;
  /** The config that shaped the mapping (given, or read from `config.json`). */
  readonly config: ModelConfig | undefined;
  /** The first file's `__metadata__`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The files read, in order. */
  readonly paths: readonly string[];

  private constructor(
    infos: SafetensorsTensorInfo[],
    shards: Map<string, Shard>,
    derived: Map<string, Uint8Array>,
    config: ModelConfig | undefined,
    metadata: Record<string, string>,
  ) {
    this.#infos = infos;
    this.#byName = new Map(infos.map((t) => [t.name, t]));
    this.#shards = shards;
    this.#derived = derived;
    this.config = config;
    this.metadata = metadata;
    this.paths = [...shards.keys()];
  }

  /**
   * Opens a checkpoint: a `.safetensors` file, a `model.safetensors.index.json`, or a folder
   * holding either (a folder with neither opens all its `.safetensors` files). Reads only
   * the headers (and `config.json` when no config is given).
   */
  static async open(
    path: string,
    options: SafetensorsOpenOptions = {},
  ): Promise<SafetensorsWeights> {
    const { dir, files, weightMap } = await locate(path);
    const raw = options.rawNames ?? false;
    let config = options.config;
    if (!config && !raw && (await exists(`${dir}/config.json`))) {
      config = configFromHf(await Deno.readTextFile(`${dir}/config.json`));
    }
    const shards = new Map<string, Shard>();
    try {
      const infos: SafetensorsTensorInfo[] = [];
      const seen = new Set<string>();
      let metadata: Record<string, string> | undefined;
      for (const file of files) {
        const { shard, header } = await openShard(file);
        shards.set(file, shard);
        metadata ??= { ...header.metadata };
        const listed = new Set(header.tensors.map((t) => t.name));
        for (const [name, f] of Object.entries(weightMap ?? {})) {
          if (f === file && !listed.has(name)) {
            throw new ModelFormatError(`index lists ${name}, which is not in the file`, {
              path: file,
            });
          }
        }
        for (const t of header.tensors) {
          if (weightMap && weightMap[t.name] !== file) continue;
          if (!raw && isIgnoredHfTensor(t.name)) continue;
          const name = raw ? t.name : (canonicalTensorName(t.name) ?? t.name);
          if (!raw && config?.tieWordEmbeddings && name === "output.weight") continue;
          if (seen.has(name)) {
            throw new ModelFormatError(`duplicate tensor ${name}`, { path: file });
          }
          seen.add(name);
          const permuteHeads = raw || !config ? 0 : qkPermutationHeads(config, name);
          if (permuteHeads && t.shape[0] !== permuteHeads * config!.headDim) {
            throw new ModelConfigError(
              `tensor ${t.name} has ${t.shape[0]} rows, config says ${permuteHeads} heads × ${
                config!.headDim
              }`,
              name,
            );
          }
          infos.push({ ...t, name, hfName: t.name, path: file, permuteHeads });
        }
      }
      const derived = new Map<string, Uint8Array>();
      const factors = config?.rope.freqFactors;
      if (!raw && factors && !seen.has("rope_freqs.weight")) {
        const data = new Uint8Array(Float32Array.from(factors).buffer);
        derived.set("rope_freqs.weight", data);
        infos.push({
          name: "rope_freqs.weight",
          hfName: "",
          dtype: "f32",
          shape: [factors.length],
          byteLength: data.length,
          path: "",
          fileOffset: 0,
          permuteHeads: 0,
        });
      }
      return new SafetensorsWeights(infos, shards, derived, config, metadata ?? {});
    } catch (e) {
      for (const s of shards.values()) s.close();
      throw e;
    }
  }

  /** Every tensor: file by file, in data order; derived tensors last. */
  get tensors(): readonly SafetensorsTensorInfo[] {
    return this.#infos;
  }

  /** One tensor's description, by canonical name. */
  get(name: string): SafetensorsTensorInfo | undefined {
    return this.#byName.get(name);
  }

  /** Reads a tensor's bytes (Q/K rows already in Loom's order). */
  async read(name: string): Promise<Uint8Array> {
    const t = this.#byName.get(name);
    if (!t) throw new ModelFormatError(`no tensor ${name}`);
    const derived = this.#derived.get(name);
    if (derived) return derived.slice();
    const bytes = await this.#shards.get(t.path)!.read(t.fileOffset, t.byteLength);
    if (!t.permuteHeads || bytes.length === 0) return bytes;
    return permuteQkRows(bytes, t.permuteHeads, bytes.length / t.shape[0]!);
  }

  /** Closes every file. */
  close(): void {
    for (const s of this.#shards.values()) s.close();
  }
}
