/**
 * ModelConfig: the numbers that define a transformer, independent of file format, and
 * how to read them from GGUF metadata.
 *
 * @module
 */
import { ModelConfigError } from "../errors.ts";
import type { GgufValue } from "./gguf.ts";
import type { TensorInfo } from "./weights.ts";

/** Architectures Loom implements (written once in `core/model/` over Ops). */
export type Architecture = "llama" | "mistral" | "qwen2" | "qwen3";

/** Architectures Loom implements, as a list. */
export const ARCHITECTURES: readonly Architecture[] = ["llama", "mistral", "qwen2", "qwen3"];

/** Rotary position embedding settings. */
export interface RopeConfig {
  /** Base frequency θ. */
  readonly theta: number;
  /** `normal` rotates pairs (2i, 2i+1); `neox` rotates pairs (i, i + dim/2). */
  readonly style: "normal" | "neox";
  /** Rotated dimensions per head (usually the head dim). */
  readonly dim: number;
  /**
   * Per-pair frequency divisors (`dim / 2` values), as Llama 3.1's `llama3` scaling gives
   * (GGUF `rope_freqs.weight`); pair i rotates by `pos · θ^(-2i/dim) / freqFactors[i]`.
   */
  readonly freqFactors?: readonly number[];
  /** Linear position scaling factor (positions are divided by it); 1 when absent. */
  readonly linearFactor?: number;
}

/**
 * A transformer's configuration.
 *
 * @example
 * ```ts
 * import type { ModelConfig } from "@loom/core";
 * const c: ModelConfig = {
 *   architecture: "llama", vocabSize: 256, hiddenSize: 64, intermediateSize: 128,
 *   numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, maxContextLength: 512,
 *   rmsNormEps: 1e-5, rope: { theta: 10000, style: "normal", dim: 16 },
 *   tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
 * };
 * console.log(c.numHeads / c.numKvHeads); // 2 query heads per KV head
 * ```
 */
export interface ModelConfig {
  /** The architecture. */
  readonly architecture: Architecture;
  /** Display name, when the file has one. */
  readonly name?: string;
  /** Vocabulary size (rows of the embedding table). */
  readonly vocabSize: number;
  /** Model width. */
  readonly hiddenSize: number;
  /** Feed-forward width. */
  readonly intermediateSize: number;
  /** Transformer blocks. */
  readonly numLayers: number;
  /** Query heads. */
  readonly numHeads: number;
  /** Key/value heads (GQA when fewer than query heads). */
  readonly numKvHeads: number;
  /** Dimension of one head (may differ from hiddenSize / numHeads, as in Qwen3). */
  readonly headDim: number;
  /** Context length the model was trained for. */
  readonly maxContextLength: number;
  /** RMSNorm epsilon. */
  readonly rmsNormEps: number;
  /** Rotary embedding settings. */
  readonly rope: RopeConfig;
  /** The LM head reuses the token embedding table. */
  readonly tieWordEmbeddings: boolean;
  /** Q, K and V projections have biases (Qwen2). */
  readonly attentionBias: boolean;
  /** Per-head RMSNorm of Q and K before RoPE (Qwen3). */
  readonly qkNorm: boolean;
}

function num(meta: Readonly<Record<string, GgufValue>>, key: string, fallback?: number): number {
  const v = meta[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ModelConfigError(`missing metadata ${key}`, key);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ModelConfigError(`metadata ${key} is not a number`, key);
  }
  return v;
}

function positiveInt(value: number, key: string, max = 1 << 24): number {
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw new ModelConfigError(`metadata ${key} = ${value} is not a valid size`, key);
  }
  return value;
}

/**
 * Reads a {@linkcode ModelConfig} from GGUF metadata (and the tensor list, which tells
 * whether embeddings are tied, whether Q/K/V have biases and whether Q/K are normed).
 *
 * @example
 * ```ts
 * import { configFromGguf, GgufFile } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * const c = configFromGguf(f.metadata, f.tensors);
 * console.log(c.architecture, c.hiddenSize, c.numLayers); // "llama" 8 1
 * f.close();
 * ```
 */
export function configFromGguf(
  meta: Readonly<Record<string, GgufValue>>,
  tensors: readonly TensorInfo[],
): ModelConfig {
  const arch = meta["general.architecture"];
  if (typeof arch !== "string") {
    throw new ModelConfigError("missing general.architecture", "general.architecture");
  }
  if (!(ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new ModelConfigError(
      `unknown architecture ${arch} (Loom supports ${ARCHITECTURES.join(", ")})`,
      "general.architecture",
    );
  }
  const architecture = arch as Architecture;
  const k = (s: string) => `${arch}.${s}`;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const hiddenSize = positiveInt(num(meta, k("embedding_length")), k("embedding_length"));
  const numHeads = positiveInt(num(meta, k("attention.head_count")), k("attention.head_count"));
  const numKvHeads = positiveInt(
    num(meta, k("attention.head_count_kv"), numHeads),
    k("attention.head_count_kv"),
  );
  if (numHeads % numKvHeads !== 0) {
    throw new ModelConfigError(
      `head_count ${numHeads} is not a multiple of head_count_kv ${numKvHeads}`,
      k("attention.head_count_kv"),
    );
  }
  const headDim = positiveInt(
    num(meta, k("attention.key_length"), Math.floor(hiddenSize / numHeads)),
    k("attention.key_length"),
  );
  const embd = byName.get("token_embd.weight");
  if (!embd) throw new ModelConfigError("missing tensor token_embd.weight", "token_embd.weight");
  const tokens = meta["tokenizer.ggml.tokens"];
  const vocabSize = positiveInt(
    num(meta, k("vocab_size"), embd.shape[0] ?? (Array.isArray(tokens) ? tokens.length : 0)),
    k("vocab_size"),
  );
  const scalingType = meta[k("rope.scaling.type")];
  const scalingFactor = num(meta, k("rope.scaling.factor"), 1);
  const rope: RopeConfig = {
    theta: num(meta, k("rope.freq_base"), 10000),
    style: architecture === "qwen2" || architecture === "qwen3" ? "neox" : "normal",
    dim: positiveInt(num(meta, k("rope.dimension_count"), headDim), k("rope.dimension_count")),
    ...(scalingType === "linear" && scalingFactor !== 1 ? { linearFactor: scalingFactor } : {}),
  };
  const name = meta["general.name"];
  return {
    architecture,
    ...(typeof name === "string" ? { name } : {}),
    vocabSize,
    hiddenSize,
    intermediateSize: positiveInt(num(meta, k("feed_forward_length")), k("feed_forward_length")),
    numLayers: positiveInt(num(meta, k("block_count")), k("block_count"), 4096),
    numHeads,
    numKvHeads,
    headDim,
    maxContextLength: positiveInt(num(meta, k("context_length"), 2048), k("context_length")),
    rmsNormEps: num(meta, k("attention.layer_norm_rms_epsilon"), 1e-5),
    rope,
    tieWordEmbeddings: !byName.has("output.weight"),
    attentionBias: byName.has("blk.0.attn_q.bias"),
    qkNorm: byName.has("blk.0.attn_q_norm.weight"),
  };
}
