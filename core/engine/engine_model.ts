/**
 * What the engine needs from a model: its config and tokenizer, its backend (for block
 * copies and swaps), scratch limits, and `forward`.
 *
 * @module
 */
import type { Backend, KvPool } from "../backend.ts";
import type { ModelConfig } from "../model/config.ts";
import type { ForwardBatch } from "../model/forward_batch.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import type { ChatTemplate } from "../tokenizer/chat_template.ts";

/**
 * A model the engine can run. `Model` implements it.
 *
 * @example
 * ```ts
 * import type { EngineModel } from "@loom/core";
 * const vocabOf = (m: EngineModel) => m.config.vocabSize;
 * console.log(typeof vocabOf); // "function"
 * ```
 */
export interface EngineModel {
  /** The configuration. */
  readonly config: ModelConfig;
  /** The tokenizer. */
  readonly tokenizer: Tokenizer;
  /** The chat template, when the model has one. */
  readonly chatTemplate?: ChatTemplate | undefined;
  /** The backend the weights live on. */
  readonly backend: Backend;
  /** Largest batch `forward` accepts. */
  readonly maxBatchTokens: number;
  /** Most logits rows `forward` returns. */
  readonly maxLogitRows: number;
  /** Allocates the paged KV pool. */
  createKvPool(options: { numBlocks: number; blockSize: number; dtype?: "f32" | "f16" }): KvPool;
  /** Runs one step and returns logits rows. */
  forward(batch: ForwardBatch, pool: KvPool): Promise<Float32Array>;
}
