/**
 * Reads what a model is without loading its weights: config, tokenizer, chat template,
 * tensor list and size. Used by `loom inspect`, `loom tokenize` and friends.
 *
 * @module
 */
import { LoomError } from "../errors.ts";
import {
  ChatTemplate,
  chatTemplateFromConfig,
  chatTemplateFromGguf,
} from "../tokenizer/chat_template.ts";
import { tokenizerFromGguf } from "../tokenizer/gguf_vocab.ts";
import { tokenizerFromJson } from "../tokenizer/hf_tokenizer.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { configFromGguf, type ModelConfig } from "./config.ts";
import { GgufSplit } from "./gguf_split.ts";
import { resolveModel, type ResolveModelOptions } from "./hub.ts";
import { SafetensorsWeights } from "./safetensors.ts";
import type { TensorInfo, WeightSource } from "./weights.ts";

/** A model's description. */
export interface ModelInfo {
  /** Local path (file or folder). */
  readonly path: string;
  /** File format. */
  readonly format: "gguf" | "safetensors";
  /** Configuration. */
  readonly config: ModelConfig;
  /** Tokenizer. */
  readonly tokenizer: Tokenizer;
  /** Chat template, when the model ships one. */
  readonly chatTemplate: ChatTemplate | undefined;
  /** `tokenizer_config.json`, for Hugging Face folders. */
  readonly tokenizerConfig: unknown;
  /** Tensors. */
  readonly tensors: readonly TensorInfo[];
  /** Bytes on disk. */
  readonly fileBytes: number;
}

/** A model's files opened for reading: its description and its weights. */
export interface OpenedModel {
  /** The description. */
  readonly info: ModelInfo;
  /** The weights, read lazily; the caller closes them. */
  readonly weights: WeightSource;
}

/**
 * Opens a model (GGUF file, split GGUF, Hugging Face folder or `hf:` spec): reads its config,
 * tokenizer and chat template, and keeps its weights open for lazy reads. `Model.load` and
 * {@linkcode readModelInfo} both start here.
 *
 * @example
 * ```ts
 * import { openModel } from "@loom/core";
 * const { info, weights } = await openModel("../shared/fixtures/reference/mini-qwen2-f16.gguf");
 * console.log(info.format, weights.get("token_embd.weight")?.dtype); // "gguf" "f16"
 * weights.close();
 * ```
 */
export async function openModel(
  spec: string,
  hub: ResolveModelOptions = {},
): Promise<OpenedModel> {
  const path = await resolveModel(spec, hub);
  const stat = await Deno.stat(path);
  if (stat.isDirectory || path.endsWith(".safetensors") || path.endsWith(".json")) {
    const dir = stat.isDirectory ? path : path.slice(0, Math.max(0, path.lastIndexOf("/")) || 1);
    const weights = await SafetensorsWeights.open(dir);
    try {
      if (!weights.config) throw new LoomError(`no config.json in ${dir}`, "model_config");
      const tokJson = await readJsonFile(`${dir}/tokenizer.json`);
      if (tokJson === undefined) throw new LoomError(`no tokenizer.json in ${dir}`, "tokenizer");
      const tokConfig = await readJsonFile(`${dir}/tokenizer_config.json`);
      let fileBytes = 0;
      for (const p of weights.paths) fileBytes += (await Deno.stat(p)).size;
      const info: ModelInfo = {
        path: dir,
        format: "safetensors",
        config: weights.config,
        tokenizer: tokenizerFromJson(tokJson, tokConfig),
        chatTemplate: await hfChatTemplate(dir, tokConfig),
        tokenizerConfig: tokConfig,
        tensors: weights.tensors,
        fileBytes,
      };
      return { info, weights };
    } catch (e) {
      weights.close();
      throw e;
    }
  }
  const f = await GgufSplit.open(path);
  try {
    const info: ModelInfo = {
      path,
      format: "gguf",
      config: configFromGguf(f.metadata, f.tensors),
      tokenizer: tokenizerFromGguf(f.metadata),
      chatTemplate: chatTemplateFromGguf(f.metadata),
      tokenizerConfig: undefined,
      tensors: f.tensors,
      fileBytes: f.fileSize,
    };
    return { info, weights: f };
  } catch (e) {
    f.close();
    throw e;
  }
}

/**
 * Describes a model (GGUF file, Hugging Face folder or `hf:` spec) without loading weights.
 *
 * @example
 * ```ts
 * import { readModelInfo } from "@loom/core";
 * const info = await readModelInfo("../shared/fixtures/reference/mini-qwen3-f16.gguf");
 * console.log(info.config.architecture, info.tokenizer.encode("Hello", { addSpecial: false }));
 * // "qwen3" [ 15496 ]
 * ```
 */
export async function readModelInfo(
  spec: string,
  hub: ResolveModelOptions = {},
): Promise<ModelInfo> {
  const { info, weights } = await openModel(spec, hub);
  weights.close();
  return info;
}

/** Reads and parses a JSON file; `undefined` when it does not exist. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LoomError(`invalid JSON in ${path}: ${(e as Error).message}`, "model_format");
  }
}

/**
 * A Hugging Face folder's chat template: `tokenizer_config.json`'s `chat_template` (a string
 * or named templates), else `chat_template.json`, else `chat_template.jinja`.
 */
export async function hfChatTemplate(
  dir: string,
  tokenizerConfig: unknown,
): Promise<ChatTemplate | undefined> {
  const fromConfig = tokenizerConfig === undefined
    ? undefined
    : chatTemplateFromConfig(tokenizerConfig);
  if (fromConfig) return fromConfig;
  const json = await readJsonFile(`${dir}/chat_template.json`);
  if (json !== undefined) return chatTemplateFromConfig(json);
  const jinja = await Deno.readTextFile(`${dir}/chat_template.jinja`).catch(() => undefined);
  return jinja === undefined ? undefined : new ChatTemplate(jinja);
}
