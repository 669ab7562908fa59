/**
 * safetensors writer, and a writer of whole Hugging Face model folders (`config.json` plus
 * one `model.safetensors` or shards with `model.safetensors.index.json`) from canonical
 * tensors. Loom's test-model generator uses it; the folders load in `transformers`.
 *
 * @module
 */
import { byteLengthOf, type DType } from "../dtype.ts";
import { LoomError, ModelConfigError } from "../errors.ts";
import type { ModelConfig } from "./config.ts";
import { configToHf } from "./hf_config.ts";
import { hfTensorName, permuteQkRows, qkPermutationHeads } from "./safetensors.ts";

/** A tensor to write: row-major `shape`, `data` in `dtype` (F32, F16 or BF16). */
export interface SafetensorsTensor {
  /** Name to store. */
  readonly name: string;
  /** Stored data type. */
  readonly dtype: DType;
  /** Row-major shape, outermost first. */
  readonly shape: readonly number[];
  /** The stored bytes. */
  readonly data: Uint8Array;
}

const ST_NAMES: Partial<Record<DType, string>> = { f32: "F32", f16: "F16", bf16: "BF16" };
const TORCH_DTYPES: Partial<Record<DType, string>> = {
  f32: "float32",
  f16: "float16",
  bf16: "bfloat16",
};

/**
 * Builds a safetensors file in memory: tensors in the order given, header padded with
 * spaces to a multiple of 8 bytes as the reference implementation does.
 *
 * @example
 * ```ts
 * import { parseSafetensorsHeader, writeSafetensors } from "@loom/core";
 * const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
 * const bytes = writeSafetensors([{ name: "w", dtype: "f32", shape: [2, 2], data }], { format: "pt" });
 * const h = parseSafetensorsHeader(bytes);
 * console.log(h.metadata.format, h.tensors[0]?.byteLength); // "pt" 16
 * ```
 */
export function writeSafetensors(
  tensors: readonly SafetensorsTensor[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header["__metadata__"] = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    const dtype = ST_NAMES[t.dtype];
    if (!dtype) throw new LoomError(`tensor ${t.name}: safetensors cannot store ${t.dtype}`);
    if (t.name === "__metadata__" || Object.hasOwn(header, t.name)) {
      throw new LoomError(`tensor ${t.name}: duplicate or reserved name`);
    }
    const expected = byteLengthOf(t.dtype, t.shape.reduce((a, b) => a * b, 1));
    if (t.data.length !== expected) {
      throw new LoomError(`tensor ${t.name}: ${t.data.length} bytes given, ${expected} expected`);
    }
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}

/** What {@linkcode writeHfModel} writes. */
export interface HfModelWriteOptions {
  /** The model's config (written as `config.json`). */
  readonly config: ModelConfig;
  /** Tensors under canonical names, Q/K rows in Loom's order (as a GGUF holds them). */
  readonly tensors: readonly SafetensorsTensor[];
  /** Shard when the data exceeds this many bytes (default: never). */
  readonly maxShardBytes?: number;
  /** Merged into `config.json` (token ids, `rope_scaling` for llama3, ...). */
  readonly hfConfig?: Readonly<Record<string, unknown>>;
  /** More files to write beside the weights (`tokenizer.json`, ...), by name. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
}

/** Converts canonical tensors into HF tensors (names, Q/K rows), in the order given. */
function toHf(config: ModelConfig, tensors: readonly SafetensorsTensor[]): SafetensorsTensor[] {
  const out: SafetensorsTensor[] = [];
  for (const t of tensors) {
    if (t.name === "rope_freqs.weight") continue; // carried by config.json's rope_scaling
    if (t.name === "output.weight" && config.tieWordEmbeddings) {
      throw new ModelConfigError("output.weight given for a model with tied embeddings", t.name);
    }
    const heads = qkPermutationHeads(config, t.name);
    const rows = t.shape[0] ?? 1;
    out.push({
      name: hfTensorName(t.name) ?? t.name,
      dtype: t.dtype,
      shape: t.shape,
      data: heads ? permuteQkRows(t.data, heads, t.data.length / rows, true) : t.data,
    });
  }
  return out;
}

/**
 * Writes a Hugging Face model folder: `config.json`, the weights as `model.safetensors` (or
 * `model-0000i-of-0000n.safetensors` shards plus `model.safetensors.index.json`), and any
 * extra files. Returns the names written. Reading the folder back with
 * {@linkcode SafetensorsWeights} gives the canonical tensors given.
 *
 * @example
 * ```ts
 * import { writeHfModel } from "@loom/core";
 * const dir = await Deno.makeTempDir();
 * const names = await writeHfModel(dir, {
 *   config: {
 *     architecture: "llama", vocabSize: 4, hiddenSize: 2, intermediateSize: 4, numLayers: 1,
 *     numHeads: 1, numKvHeads: 1, headDim: 2, maxContextLength: 64, rmsNormEps: 1e-5,
 *     rope: { theta: 1e4, style: "normal", dim: 2 }, tieWordEmbeddings: true,
 *     attentionBias: false, qkNorm: false,
 *   },
 *   tensors: [{ name: "token_embd.weight", dtype: "f32", shape: [4, 2], data: new Uint8Array(32) }],
 * });
 * console.log(names); // [ "config.json", "model.safetensors" ]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeHfModel(dir: string, options: HfModelWriteOptions): Promise<string[]> {
  const { config } = options;
  const tensors = toHf(config, options.tensors);
  const dtypes = new Set(tensors.map((t) => t.dtype));
  const torchDtype = dtypes.size === 1 ? TORCH_DTYPES[[...dtypes][0]!] : undefined;
  const hfConfig = configToHf(config, {
    ...(torchDtype ? { torch_dtype: torchDtype } : {}),
    ...options.hfConfig,
  });
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    if (typeof data === "string") await Deno.writeTextFile(`${dir}/${name}`, data);
    else await Deno.writeFile(`${dir}/${name}`, data);
    written.push(name);
  };
  await write("config.json", JSON.stringify(hfConfig, null, 2) + "\n");
  // Group tensors into shards of at most maxShardBytes (a larger tensor gets its own).
  const max = options.maxShardBytes ?? Infinity;
  const shards: SafetensorsTensor[][] = [[]];
  let shardBytes = 0;
  for (const t of tensors) {
    if (shardBytes > 0 && shardBytes + t.data.length > max) {
      shards.push([]);
      shardBytes = 0;
    }
    shards[shards.length - 1]!.push(t);
    shardBytes += t.data.length;
  }
  const meta = { format: "pt" };
  if (shards.length === 1) {
    await write("model.safetensors", writeSafetensors(shards[0]!, meta));
  } else {
    const pad = (i: number) => String(i).padStart(5, "0");
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let i = 0; i < shards.length; i++) {
      const name = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
      for (const t of shards[i]!) {
        weightMap[t.name] = name;
        totalSize += t.data.length;
      }
      await write(name, writeSafetensors(shards[i]!, meta));
    }
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => a < b ? -1 : 1));
    const index = { metadata: { total_size: totalSize }, weight_map: sorted };
    await write("model.safetensors.index.json", JSON.stringify(index, null, 2) + "\n");
  }
  for (const [name, data] of Object.entries(options.files ?? {})) {
    if (name.includes("/") || name.includes("\\") || name === "..") {
      throw new LoomError(`extra file name ${name} must be a plain file name`);
    }
    await write(name, data);
  }
  return written;
}
