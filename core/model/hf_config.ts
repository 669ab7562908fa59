/**
 * Hugging Face `config.json` ↔ {@linkcode ModelConfig}: reading the configs of Llama,
 * Mistral, Qwen2 and Qwen3 checkpoints (including Llama 3.1's `llama3` RoPE scaling, turned
 * into per-pair frequency factors exactly as llama.cpp's converter computes them), and
 * writing a config back for Loom's test-model generator.
 *
 * @module
 */
import { ModelConfigError } from "../errors.ts";
import type { Architecture, ModelConfig, RopeConfig } from "./config.ts";

/** HF architecture class → Loom architecture. */
const BY_CLASS: Readonly<Record<string, Architecture>> = {
  LlamaForCausalLM: "llama",
  MistralForCausalLM: "mistral",
  Qwen2ForCausalLM: "qwen2",
  Qwen3ForCausalLM: "qwen3",
};

/** Loom architecture → HF class and `model_type`. */
const TO_HF: Readonly<Record<Architecture, { cls: string; modelType: string }>> = {
  llama: { cls: "LlamaForCausalLM", modelType: "llama" },
  mistral: { cls: "MistralForCausalLM", modelType: "mistral" },
  qwen2: { cls: "Qwen2ForCausalLM", modelType: "qwen2" },
  qwen3: { cls: "Qwen3ForCausalLM", modelType: "qwen3" },
};

/** Defaults of the `transformers` config classes, used when a key is absent. */
const DEFAULTS: Readonly<
  Record<Architecture, { maxPos: number; eps: number; headDim?: number }>
> = {
  llama: { maxPos: 2048, eps: 1e-6 },
  mistral: { maxPos: 4096 * 32, eps: 1e-6 },
  qwen2: { maxPos: 32768, eps: 1e-6 },
  qwen3: { maxPos: 32768, eps: 1e-6, headDim: 128 },
};

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function number(obj: Json, key: string, fallback?: number, where = ""): number {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ModelConfigError(`config.json: missing ${where}${key}`, where + key);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ModelConfigError(`config.json: ${where}${key} is not a number`, where + key);
  }
  return v;
}

function size(obj: Json, key: string, fallback?: number): number {
  const v = number(obj, key, fallback);
  if (!Number.isInteger(v) || v <= 0 || v > 1 << 24) {
    throw new ModelConfigError(`config.json: ${key} = ${v} is not a valid size`, key);
  }
  return v;
}

function architectureOf(cfg: Json): Architecture {
  const classes = cfg["architectures"];
  if (Array.isArray(classes) && classes.length > 0) {
    for (const c of classes) if (typeof c === "string" && BY_CLASS[c]) return BY_CLASS[c];
    throw new ModelConfigError(
      `unknown architecture ${classes.join(", ")} (Loom supports ${
        Object.keys(BY_CLASS).join(", ")
      })`,
      "architectures",
    );
  }
  const type = cfg["model_type"];
  const arch = Object.values(TO_HF).find((a) => a.modelType === type);
  if (typeof type === "string" && arch) return BY_CLASS[arch.cls]!;
  throw new ModelConfigError(
    typeof type === "string"
      ? `unknown model_type ${type}`
      : "config.json: missing architectures and model_type",
    typeof type === "string" ? "model_type" : "architectures",
  );
}

/** Parameters of the `llama3` RoPE scaling, as in HF's `rope_scaling`. */
export interface Llama3RopeScaling {
  /** Base frequency θ. */
  readonly theta: number;
  /** Rotated dimensions per head. */
  readonly dim: number;
  /** `factor` (8 for Llama 3.1). */
  readonly factor: number;
  /** `low_freq_factor` (1 for Llama 3.1). */
  readonly lowFreqFactor: number;
  /** `high_freq_factor` (4 for Llama 3.1). */
  readonly highFreqFactor: number;
  /** `original_max_position_embeddings` (8192 for Llama 3.1). */
  readonly originalMaxPositions: number;
}

/**
 * The per-pair frequency divisors of Llama 3.1's `llama3` RoPE scaling (`dim / 2` values),
 * computed as llama.cpp's `convert_hf_to_gguf.py` computes `rope_freqs.weight`: in float32,
 * every intermediate rounded as torch rounds it, so the values equal the GGUF tensor's.
 *
 * @example
 * ```ts
 * import { llama3RopeFreqFactors } from "@loom/core";
 * const f = llama3RopeFreqFactors({
 *   theta: 500000, dim: 32, factor: 8, lowFreqFactor: 1, highFreqFactor: 4,
 *   originalMaxPositions: 8192,
 * });
 * console.log(f[7], f[8]?.toFixed(5), f[9]); // 1 "2.69453" 8
 * ```
 */
export function llama3RopeFreqFactors(p: Llama3RopeScaling): number[] {
  const f = Math.fround;
  const lowWavelen = p.originalMaxPositions / p.lowFreqFactor;
  const highWavelen = p.originalMaxPositions / p.highFreqFactor;
  const twoPi = f(2 * Math.PI);
  const out: number[] = [];
  for (let i = 0; i < p.dim; i += 2) {
    const freq = f(1 / f(Math.pow(f(p.theta), f(i / p.dim))));
    const wavelen = f(twoPi / freq);
    if (wavelen < highWavelen) out.push(1);
    else if (wavelen > lowWavelen) out.push(f(p.factor));
    else {
      const smooth = f(
        f(f(p.originalMaxPositions / wavelen) - p.lowFreqFactor) /
          f(p.highFreqFactor - p.lowFreqFactor),
      );
      out.push(f(1 / f(f(f(1 - smooth) / p.factor) + smooth)));
    }
  }
  return out;
}

function ropeOf(cfg: Json, arch: Architecture, headDim: number): RopeConfig {
  // transformers ≥ 5 nests θ and the scaling in `rope_parameters`; older configs use
  // `rope_theta` and `rope_scaling`.
  const params = isObject(cfg["rope_parameters"]) ? cfg["rope_parameters"] : undefined;
  const scaling = params ?? (isObject(cfg["rope_scaling"]) ? cfg["rope_scaling"] : undefined);
  const where = params ? "rope_parameters." : "rope_scaling.";
  const theta = params
    ? number(params, "rope_theta", number(cfg, "rope_theta", 10000))
    : number(cfg, "rope_theta", 10000);
  const base: RopeConfig = {
    theta: Math.fround(theta),
    style: arch === "qwen2" || arch === "qwen3" ? "neox" : "normal",
    dim: headDim,
  };
  if (!scaling) return base;
  const type = scaling["rope_type"] ?? scaling["type"] ?? "default";
  if (type === "default") return base;
  if (type === "linear") {
    const factor = number(scaling, "factor", undefined, where);
    return factor === 1 ? base : { ...base, linearFactor: Math.fround(factor) };
  }
  if (type === "llama3") {
    return {
      ...base,
      freqFactors: llama3RopeFreqFactors({
        theta,
        dim: headDim,
        factor: number(scaling, "factor", 8, where),
        lowFreqFactor: number(scaling, "low_freq_factor", 1, where),
        highFreqFactor: number(scaling, "high_freq_factor", 4, where),
        originalMaxPositions: number(
          scaling,
          "original_max_position_embeddings",
          number(cfg, "original_max_position_embeddings", 8192),
          where,
        ),
      }),
    };
  }
  throw new ModelConfigError(
    `unsupported RoPE scaling type ${String(type)} (Loom supports linear and llama3)`,
    `${where}rope_type`,
  );
}

/**
 * Reads a {@linkcode ModelConfig} from a Hugging Face `config.json` (the parsed object or its
 * text). Gives the same config that {@linkcode configFromGguf} gives for the model's GGUF
 * conversion, except that Llama 3.1 scaling arrives as `rope.freqFactors` here (GGUF carries
 * it as the `rope_freqs.weight` tensor instead).
 *
 * @example
 * ```ts
 * import { configFromHf } from "@loom/core";
 * const c = configFromHf({
 *   architectures: ["Qwen2ForCausalLM"], hidden_size: 64, intermediate_size: 128,
 *   num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100,
 * });
 * console.log(c.architecture, c.headDim, c.attentionBias, c.rope.style); // "qwen2" 16 true "neox"
 * ```
 */
export function configFromHf(configJson: unknown): ModelConfig {
  let cfg = configJson;
  if (typeof cfg === "string") {
    try {
      cfg = JSON.parse(cfg);
    } catch (e) {
      throw new ModelConfigError(`config.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(cfg)) throw new ModelConfigError("config.json is not a JSON object");
  const architecture = architectureOf(cfg);
  const d = DEFAULTS[architecture];
  const hiddenSize = size(cfg, "hidden_size");
  const numHeads = size(cfg, "num_attention_heads");
  const numKvHeads = size(cfg, "num_key_value_heads", numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelConfigError(
      `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
      "num_key_value_heads",
    );
  }
  const headDim = size(cfg, "head_dim", d.headDim ?? Math.floor(hiddenSize / numHeads));
  if (headDim % 2 !== 0) throw new ModelConfigError(`head_dim ${headDim} is odd`, "head_dim");
  const bias = cfg["attention_bias"];
  if (bias !== undefined && typeof bias !== "boolean") {
    throw new ModelConfigError("config.json: attention_bias is not a boolean", "attention_bias");
  }
  const tie = cfg["tie_word_embeddings"];
  if (tie !== undefined && typeof tie !== "boolean") {
    throw new ModelConfigError(
      "config.json: tie_word_embeddings is not a boolean",
      "tie_word_embeddings",
    );
  }
  return {
    architecture,
    vocabSize: size(cfg, "vocab_size"),
    hiddenSize,
    intermediateSize: size(cfg, "intermediate_size"),
    numLayers: size(cfg, "num_hidden_layers"),
    numHeads,
    numKvHeads,
    headDim,
    maxContextLength: size(cfg, "max_position_embeddings", d.maxPos),
    // GGUF stores ε, θ and scaling factors as float32 (and the math runs in float32):
    // round them the same way so both formats give the same config.
    rmsNormEps: Math.fround(number(cfg, "rms_norm_eps", d.eps)),
    rope: ropeOf(cfg, architecture, headDim),
    // transformers' PretrainedConfig defaults tie_word_embeddings to true; every class here
    // passes false unless the file says otherwise.
    tieWordEmbeddings: tie ?? false,
    // Qwen2's attention always has Q/K/V biases; the others follow `attention_bias`.
    attentionBias: architecture === "qwen2" ? true : (bias ?? false),
    qkNorm: architecture === "qwen3",
  };
}

/**
 * Writes a {@linkcode ModelConfig} as a Hugging Face `config.json` object. `extra` is merged
 * last (token ids, `torch_dtype`, ...). A config with `rope.freqFactors` needs the
 * `llama3` parameters that produce them in `extra.rope_scaling`; they are checked.
 *
 * @example
 * ```ts
 * import { configFromHf, configToHf, type ModelConfig } from "@loom/core";
 * const c: ModelConfig = {
 *   architecture: "llama", vocabSize: 256, hiddenSize: 64, intermediateSize: 128,
 *   numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, maxContextLength: 512,
 *   rmsNormEps: 1e-5, rope: { theta: 10000, style: "normal", dim: 16 },
 *   tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
 * };
 * console.log(configFromHf(configToHf(c)).numKvHeads); // 2
 * ```
 */
export function configToHf(config: ModelConfig, extra: Json = {}): Json {
  const arch = config.architecture;
  const expectStyle = arch === "qwen2" || arch === "qwen3" ? "neox" : "normal";
  if (config.rope.style !== expectStyle) {
    throw new ModelConfigError(`${arch} in HF format always uses ${expectStyle} RoPE`, "rope");
  }
  if (config.rope.dim !== config.headDim) {
    throw new ModelConfigError("HF configs cannot express partial RoPE", "rope.dim");
  }
  if (arch === "qwen2" && !config.attentionBias) {
    throw new ModelConfigError("Qwen2 always has attention biases", "attention_bias");
  }
  if (config.qkNorm !== (arch === "qwen3")) {
    throw new ModelConfigError(
      `${arch} ${config.qkNorm ? "has no" : "always has"} q/k norms in HF format`,
      "qkNorm",
    );
  }
  const out: Json = {
    architectures: [TO_HF[arch].cls],
    model_type: TO_HF[arch].modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    max_position_embeddings: config.maxContextLength,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.rope.theta,
    tie_word_embeddings: config.tieWordEmbeddings,
    hidden_act: "silu",
    ...(arch === "qwen2" ? {} : { attention_bias: config.attentionBias }),
    ...(config.rope.linearFactor !== undefined && config.rope.linearFactor !== 1
      ? { rope_scaling: { rope_type: "linear", factor: config.rope.linearFactor } }
      : {}),
    ...extra,
  };
  if (config.rope.freqFactors) {
    const back = configFromHf(out).rope.freqFactors;
    const want = config.rope.freqFactors;
    if (!back || back.length !== want.length || back.some((v, i) => v !== Math.fround(want[i]!))) {
      throw new ModelConfigError(
        "rope.freqFactors need matching llama3 parameters in extra.rope_scaling",
        "rope_scaling",
      );
    }
  }
  return out;
}
