import type { Weight } from "../backend.ts";
import type { ModelConfig } from "./config.ts";

/** One block's weights. */
export interface LayerWeights {
  attnNorm: Weight;
  wq: Weight;
  wk: Weight;
  wv: Weight;
  bq: Weight | undefined;
  bk: Weight | undefined;
  bv: Weight | undefined;
  qNorm: Weight | undefined;
  kNorm: Weight | undefined;
  wo: Weight;
  ffnNorm: Weight;
  wGate: Weight;
  wUp: Weight;
  wDown: Weight;
}

/** All weights of a transformer. */
export interface TransformerWeights {
  tokenEmbd: Weight;
  outputNorm: Weight;
  output: Weight;
  layers: LayerWeights[];
}

/** Canonical tensor names and their expected row-major shapes for a config. */
export function expectedShapes(c: ModelConfig): Map<string, number[]> {
  const d = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  const m = new Map<string, number[]>();
  m.set("token_embd.weight", [c.vocabSize, d]);
  m.set("output_norm.weight", [d]);
  if (!c.tieWordEmbeddings) m.set("output.weight", [c.vocabSize, d]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `blk.${l}.`;
    m.set(`${p}attn_norm.weight`, [d]);
    m.set(`${p}attn_q.weight`, [q, d]);
    m.set(`${p}attn_k.weight`, [kv, d]);
    m.set(`${p}attn_v.weight`, [kv, d]);
    if (c.attentionBias) {
      m.set(`${p}attn_q.bias`, [q]);
      m.set(`${p}attn_k.bias`, [kv]);
      m.set(`${p}attn_v.bias`, [kv]);
    }
    if (c.qkNorm) {
      m.set(`${p}attn_q_norm.weight`, [c.headDim]);
      m.set(`${p}attn_k_norm.weight`, [c.headDim]);
    }
    m.set(`${p}attn_output.weight`, [d, q]);
    m.set(`${p}ffn_norm.weight`, [d]);
    m.set(`${p}ffn_gate.weight`, [c.intermediateSize, d]);
    m.set(`${p}ffn_up.weight`, [c.intermediateSize, d]);
    m.set(`${p}ffn_down.weight`, [d, c.intermediateSize]);
  }
  return m;
}
