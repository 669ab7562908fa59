/**
 * The simulated model: an {@linkcode EngineModel} whose `forward` charges the step to the
 * simulation backend's clock and returns cheap deterministic logits, so greedy decoding is
 * reproducible under any batching, scheduler or preemption.
 *
 * @module
 */
import type { EngineModel, ForwardBatch, KvPool, ModelConfig, Tokenizer } from "@loom/core";
import { ByteTokenizer } from "./_byte_tokenizer.ts";
import { SimBackend, type SimBackendOptions } from "./backend.ts";

/** Options of {@linkcode SimModel}. */
export interface SimModelOptions extends SimBackendOptions {
  /** The backend (default: a new one from the clock and cost model options). */
  readonly backend?: SimBackend;
  /** Context length (default 32768). */
  readonly maxContextLength?: number;
  /** Largest step, tokens (default 8192). */
  readonly maxBatchTokens?: number;
  /** Most logits rows per step (default 1024). */
  readonly maxLogitRows?: number;
}

/**
 * A model that computes nothing: a byte-level tokenizer and logits with one peak per row,
 * chosen by a hash of the row's token and position (always a printable ASCII byte).
 *
 * @example
 * ```ts
 * import { buildSingleSequenceBatch } from "@loom/core";
 * import { SimModel } from "./mod.ts";
 * const model = new SimModel({ costModel: "gpu-8b" });
 * const pool = model.createKvPool({ numBlocks: 4, blockSize: 16 });
 * const logits = await model.forward(buildSingleSequenceBatch([1, 2], [0], 16), pool);
 * console.log(logits.length === model.config.vocabSize); // true
 * console.log(model.backend.clock.nowMs > 0); // true
 * ```
 */
export class SimModel implements EngineModel {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly backend: SimBackend;
  readonly maxBatchTokens: number;
  readonly maxLogitRows: number;
  #logits: Float32Array;

  /** @param options Backend, cost model and limits. */
  constructor(options: SimModelOptions = {}) {
    this.backend = options.backend ?? new SimBackend(options);
    this.tokenizer = new ByteTokenizer();
    this.maxBatchTokens = options.maxBatchTokens ?? 8192;
    this.maxLogitRows = options.maxLogitRows ?? 1024;
    const headDim = 128;
    this.config = {
      architecture: "llama",
      name: "loom-sim",
      vocabSize: this.tokenizer.vocabSize,
      hiddenSize: 4096,
      intermediateSize: 14336,
      numLayers: 32,
      numHeads: 32,
      numKvHeads: 8,
      headDim,
      maxContextLength: options.maxContextLength ?? 32768,
      rmsNormEps: 1e-5,
      rope: { theta: 500000, style: "normal", dim: headDim },
      tieWordEmbeddings: false,
      attentionBias: false,
      qkNorm: false,
    };
    this.#logits = new Float32Array(0);
  }

  /** A pool without storage. */
  createKvPool(options: { numBlocks: number; blockSize: number; dtype?: "f32" | "f16" }): KvPool {
    const c = this.config;
    return this.backend.createKvPool({
      numLayers: c.numLayers,
      numBlocks: options.numBlocks,
      blockSize: options.blockSize,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
      dtype: options.dtype ?? "f16",
    });
  }

  /**
   * Charges the step and returns one row per logit row: zeros and a 1 at the peak. The
   * buffer is reused by the next call.
   */
  forward(batch: ForwardBatch, _pool: KvPool): Promise<Float32Array> {
    this.backend.beginStep(batch);
    const V = this.config.vocabSize, rows = batch.logitRows;
    if (this.#logits.length < rows.length * V) {
      this.#logits = new Float32Array(Math.max(rows.length, 64) * V);
    }
    // samplers may modify rows in place (penalties, biases): clear the whole region
    const out = this.#logits.subarray(0, rows.length * V);
    out.fill(0);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i * V + peakToken(batch.tokens[r]!, batch.positions[r]!)] = 1;
    }
    return Promise.resolve(out);
  }
}

/**
 * The greedy next token after `token` at `position`: a printable ASCII byte (32–126).
 *
 * @example
 * ```ts
 * import { peakToken } from "./mod.ts";
 * const t = peakToken(7, 3);
 * console.log(t === peakToken(7, 3), t >= 32 && t <= 126); // true true
 * ```
 */
export function peakToken(token: number, position: number): number {
  let h = Math.imul(token ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(position + 1, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 16;
  return 32 + ((h >>> 0) % 95);
}
