/**
 * The decoder-only transformer (Llama, Mistral, Qwen2, Qwen3), written once over the Ops
 * contract. Config, read-only weights and scratch buffers are separate; everything is
 * allocated at load; `forward` reads top to bottom, one comment per step.
 *
 * @module
 */
import type { Backend, KvPool, RopeTable, Tensor, Weight } from "../backend.ts";
import { LoomError, ModelConfigError } from "../errors.ts";
import { dequantize } from "../quant/dequantize.ts";
import type { ModelConfig } from "./config.ts";
import type { ForwardBatch } from "./forward_batch.ts";
import type { WeightSource } from "./weights.ts";
import { expectedShapes, type LayerWeights, type TransformerWeights } from "./_weights_layout.ts";

/** Sizes of the scratch buffers allocated at load. */
export interface TransformerOptions {
  /** Most tokens one forward pass may hold (default 512). */
  readonly maxBatchTokens?: number;
  /** Most rows of logits one forward pass may return (default 256). */
  readonly maxLogitRows?: number;
  /** Longest sequence (positions) the rope table covers (default: the model's context). */
  readonly maxPositions?: number;
}

interface Scratch {
  x: Tensor; // residual stream [T, d]
  xn: Tensor; // normed [T, d]
  q: Tensor; // [T, heads·headDim]
  k: Tensor; // [T, kvHeads·headDim]
  v: Tensor; // [T, kvHeads·headDim]
  att: Tensor; // attention output [T, heads·headDim]
  o: Tensor; // projection back to [T, d]
  gate: Tensor; // [T, ffn]
  up: Tensor; // [T, ffn]
  sel: Tensor; // rows needing logits [R, d]
  logits: Tensor; // [R, vocab]
}

/**
 * A transformer bound to a backend.
 *
 * @example
 * ```ts
 * import { configFromGguf, GgufFile, Transformer, buildSingleSequenceBatch } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * const backend = new ReferenceBackend();
 * const model = await Transformer.load(backend, configFromGguf(f.metadata, f.tensors), f);
 * const pool = model.createKvPool({ numBlocks: 4, blockSize: 16 });
 * const logits = await model.forward(buildSingleSequenceBatch([1, 15043], [0, 1, 2, 3], 16), pool);
 * console.log(logits.length); // 32000: one row of vocabulary logits
 * f.close();
 * ```
 */
export class Transformer {
  /** Largest batch a forward pass accepts. */
  readonly maxBatchTokens: number;
  /** Most logits rows a forward pass returns. */
  readonly maxLogitRows: number;

  private constructor(
    readonly config: ModelConfig,
    readonly backend: Backend,
    private readonly weights: TransformerWeights,
    private readonly scratch: Scratch,
    private readonly rope: RopeTable,
    maxBatchTokens: number,
    maxLogitRows: number,
  ) {
    this.maxBatchTokens = maxBatchTokens;
    this.maxLogitRows = maxLogitRows;
  }

  /** Uploads weights from `source` (checking names and shapes) and allocates scratch. */
  static async load(
    backend: Backend,
    config: ModelConfig,
    source: WeightSource,
    options: TransformerOptions = {},
  ): Promise<Transformer> {
    const maxT = options.maxBatchTokens ?? 512;
    const maxR = options.maxLogitRows ?? 256;
    const shapes = expectedShapes(config);
    const loaded = new Map<string, Weight>();
    for (const [name, shape] of shapes) {
      const info = source.get(name);
      if (!info) throw new ModelConfigError(`missing tensor ${name}`, name);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new ModelConfigError(
          `tensor ${name} has shape [${info.shape}], expected [${shape}]`,
          name,
        );
      }
      if (!backend.supportedDTypes.includes(info.dtype)) {
        throw new ModelConfigError(
          `backend ${backend.name} cannot use ${info.dtype} (${name})`,
          name,
        );
      }
      loaded.set(name, await backend.loadWeight(info, await source.read(name)));
    }
    const rope = { ...config.rope };
    const freqs = source.get("rope_freqs.weight");
    if (freqs && !rope.freqFactors) {
      const values = dequantize(freqs.dtype, await source.read(freqs.name), freqs.shape[0] ?? 0);
      if (values.length !== rope.dim / 2) {
        throw new ModelConfigError(
          `rope_freqs.weight must have ${rope.dim / 2} values`,
          freqs.name,
        );
      }
      Object.assign(rope, { freqFactors: Array.from(values) });
    }
    const c = config, qDim = c.numHeads * c.headDim, kvDim = c.numKvHeads * c.headDim;
    const scratch: Scratch = {
      x: backend.alloc(maxT, c.hiddenSize),
      xn: backend.alloc(maxT, c.hiddenSize),
      q: backend.alloc(maxT, qDim),
      k: backend.alloc(maxT, kvDim),
      v: backend.alloc(maxT, kvDim),
      att: backend.alloc(maxT, qDim),
      o: backend.alloc(maxT, c.hiddenSize),
      gate: backend.alloc(maxT, c.intermediateSize),
      up: backend.alloc(maxT, c.intermediateSize),
      sel: backend.alloc(maxR, c.hiddenSize),
      logits: backend.alloc(maxR, c.vocabSize),
    };
    const get = (n: string) => loaded.get(n)!;
    const opt = (n: string) => loaded.get(n);
    const layers: LayerWeights[] = [];
    for (let l = 0; l < c.numLayers; l++) {
      const p = `blk.${l}.`;
      layers.push({
        attnNorm: get(`${p}attn_norm.weight`),
        wq: get(`${p}attn_q.weight`),
        wk: get(`${p}attn_k.weight`),
        wv: get(`${p}attn_v.weight`),
        bq: opt(`${p}attn_q.bias`),
        bk: opt(`${p}attn_k.bias`),
        bv: opt(`${p}attn_v.bias`),
        qNorm: opt(`${p}attn_q_norm.weight`),
        kNorm: opt(`${p}attn_k_norm.weight`),
        wo: get(`${p}attn_output.weight`),
        ffnNorm: get(`${p}ffn_norm.weight`),
        wGate: get(`${p}ffn_gate.weight`),
        wUp: get(`${p}ffn_up.weight`),
        wDown: get(`${p}ffn_down.weight`),
      });
    }
    const weights: TransformerWeights = {
      tokenEmbd: get("token_embd.weight"),
      outputNorm: get("output_norm.weight"),
      output: c.tieWordEmbeddings ? get("token_embd.weight") : get("output.weight"),
      layers,
    };
    const maxPositions = options.maxPositions ?? c.maxContextLength;
    const table = backend.createRope({ ...rope }, maxPositions);
    return new Transformer({ ...c, rope }, backend, weights, scratch, table, maxT, maxR);
  }

  /** Allocates a paged KV pool sized for this model. */
  createKvPool(
    options: { numBlocks: number; blockSize: number; dtype?: "f32" | "f16" },
  ): KvPool {
    const c = this.config;
    return this.backend.createKvPool({
      numLayers: c.numLayers,
      numBlocks: options.numBlocks,
      blockSize: options.blockSize,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
      dtype: options.dtype ?? "f32",
    });
  }

  /**
   * Runs one flattened step; writes every token's K/V into `pool` and returns logits
   * `[batch.logitRows.length, vocab]`, row-major.
   */
  async forward(batch: ForwardBatch, pool: KvPool): Promise<Float32Array> {
    const c = this.config, s = this.scratch, w = this.weights;
    const ops = this.backend.ops;
    const T = batch.tokens.length, R = batch.logitRows.length;
    if (T > this.maxBatchTokens) {
      throw new LoomError(`batch of ${T} tokens exceeds maxBatchTokens ${this.maxBatchTokens}`);
    }
    if (R > this.maxLogitRows) {
      throw new LoomError(`${R} logit rows exceed maxLogitRows ${this.maxLogitRows}`);
    }
    const step = this.backend.beginStep(batch);
    const attn = {
      numHeads: c.numHeads,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
      scale: 1 / Math.sqrt(c.headDim),
    };
    // x = embedding rows of the tokens
    ops.embed(step, s.x, w.tokenEmbd);
    for (let l = 0; l < c.numLayers; l++) {
      const L = w.layers[l]!;
      // attention block: xn = norm(x); q, k, v = projections (+ bias)
      ops.rmsNorm(s.xn, s.x, L.attnNorm, c.rmsNormEps, T);
      ops.matmul(s.q, s.xn, L.wq, T, L.bq);
      ops.matmul(s.k, s.xn, L.wk, T, L.bk);
      ops.matmul(s.v, s.xn, L.wv, T, L.bv);
      // Qwen3: per-head RMSNorm of q and k, before RoPE
      if (L.qNorm && L.kNorm) {
        ops.rmsNorm(s.q, s.q, L.qNorm, c.rmsNormEps, T * c.numHeads);
        ops.rmsNorm(s.k, s.k, L.kNorm, c.rmsNormEps, T * c.numKvHeads);
      }
      // rotate q and k by position
      ops.rope(step, s.q, c.numHeads, c.headDim, this.rope);
      ops.rope(step, s.k, c.numKvHeads, c.headDim, this.rope);
      // write k, v to the paged pool; attend over each sequence's context
      ops.attention(step, s.att, s.q, s.k, s.v, pool, l, attn);
      // x += o_proj(att)
      ops.matmul(s.o, s.att, L.wo, T);
      ops.add(s.x, s.x, s.o, T);
      // feed-forward block: x += down(silu(gate(xn)) ⊙ up(xn))
      ops.rmsNorm(s.xn, s.x, L.ffnNorm, c.rmsNormEps, T);
      ops.matmul(s.gate, s.xn, L.wGate, T);
      ops.matmul(s.up, s.xn, L.wUp, T);
      ops.siluMul(s.gate, s.gate, s.up, T);
      ops.matmul(s.o, s.gate, L.wDown, T);
      ops.add(s.x, s.x, s.o, T);
    }
    // logits for the rows asked: lm_head(norm(x[rows]))
    ops.gatherRows(step, s.sel, s.x);
    ops.rmsNorm(s.sel, s.sel, w.outputNorm, c.rmsNormEps, R);
    ops.matmul(s.logits, s.sel, w.output, R);
    return await this.backend.read(s.logits, R);
  }
}
