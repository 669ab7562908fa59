/**
 * Model: what users hold — config, tokenizer, chat template and weights bound to a backend.
 *
 * @module
 */
import type { Backend, KvPool } from "../backend.ts";
import type { EngineModel } from "../engine/engine_model.ts";
import { tokenizerFromGguf } from "../tokenizer/gguf_vocab.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { configFromGguf, type ModelConfig } from "./config.ts";
import type { ForwardBatch } from "./forward_batch.ts";
import { GgufBuffer, type GgufValue } from "./gguf.ts";
import { openModel } from "./model_info.ts";
import type { ResolveModelOptions } from "./hub.ts";
import { type ChatTemplate, chatTemplateFromGguf } from "../tokenizer/chat_template.ts";
import { writeTestModelGguf } from "./test_model.ts";
import { Transformer, type TransformerOptions } from "./transformer.ts";
import type { WeightSource } from "./weights.ts";

/** Options of {@linkcode Model.load}. */
export interface ModelLoadOptions extends TransformerOptions {
  /** The backend to put the weights on. */
  readonly backend: Backend;
  /** How `hf:` specs are downloaded (cache, token, offline). */
  readonly hub?: ResolveModelOptions;
}

/**
 * A loaded model.
 *
 * @example
 * ```ts
 * import { Model, writeTestModelGguf } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * const path = await Deno.makeTempFile({ suffix: ".gguf" });
 * await Deno.writeFile(path, writeTestModelGguf());
 * const model = await Model.load(path, { backend: new ReferenceBackend() });
 * console.log(model.config.architecture, model.tokenizer.encode("hi", { addSpecial: false }));
 * // "llama" [ 104, 105 ]
 * await Deno.remove(path);
 * ```
 */
export class Model implements EngineModel {
  private constructor(
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    readonly transformer: Transformer,
    /** The model's chat template, when it ships one. */
    readonly chatTemplate: ChatTemplate | undefined,
  ) {}

  /**
   * Loads a model: a GGUF file, a Hugging Face folder (config.json, tokenizer.json,
   * *.safetensors), or `hf:ORG/REPO[@REVISION][/FILE]` (downloaded into the Hugging Face
   * cache first).
   */
  static async load(spec: string, options: ModelLoadOptions): Promise<Model> {
    const { backend, hub, ...rest } = options;
    const { info, weights } = await openModel(spec, hub ?? {});
    try {
      const transformer = await Transformer.load(backend, info.config, weights, rest);
      return new Model(transformer.config, info.tokenizer, transformer, info.chatTemplate);
    } finally {
      weights.close();
    }
  }

  /** Builds a model from an open GGUF source (file or buffer). */
  static async fromGguf(
    source: WeightSource & { metadata: Readonly<Record<string, GgufValue>> },
    options: ModelLoadOptions,
  ): Promise<Model> {
    const config = configFromGguf(source.metadata, source.tensors);
    const tokenizer = tokenizerFromGguf(source.metadata);
    const { backend, hub: _, ...rest } = options;
    const transformer = await Transformer.load(backend, config, source, rest);
    return new Model(
      transformer.config,
      tokenizer,
      transformer,
      chatTemplateFromGguf(source.metadata),
    );
  }

  /** The backend holding the weights. */
  get backend(): Backend {
    return this.transformer.backend;
  }
  /** Largest batch `forward` accepts. */
  get maxBatchTokens(): number {
    return this.transformer.maxBatchTokens;
  }
  /** Most logits rows `forward` returns. */
  get maxLogitRows(): number {
    return this.transformer.maxLogitRows;
  }

  /** Allocates a paged KV pool. */
  createKvPool(options: { numBlocks: number; blockSize: number; dtype?: "f32" | "f16" }): KvPool {
    return this.transformer.createKvPool(options);
  }

  /** Runs one step; returns logits rows. */
  forward(batch: ForwardBatch, pool: KvPool): Promise<Float32Array> {
    return this.transformer.forward(batch, pool);
  }
}

/**
 * The built-in demo model: a tiny random-weight Llama generated in memory (fixed seed).
 *
 * @example
 * ```ts
 * import { buildDemoModel } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * const model = await buildDemoModel(new ReferenceBackend());
 * console.log(model.config.name); // "loom-demo"
 * ```
 */
export async function buildDemoModel(
  backend: Backend,
  options: TransformerOptions = {},
): Promise<Model> {
  const bytes = writeTestModelGguf({ name: "loom-demo", seed: 7, hiddenSize: 64, numLayers: 2 });
  return await Model.fromGguf(new GgufBuffer(bytes), { backend, ...options });
}
