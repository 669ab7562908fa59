/**
 * Deterministic generator of small random-weight models as real GGUF files: Loom's
 * built-in demo model and the tiny models of its tests. Same options, same bytes.
 *
 * @module
 */
import type { DType } from "../dtype.ts";
import { Rng } from "../engine/rng.ts";
import { quantize } from "../quant/quantize.ts";
import type { Architecture } from "./config.ts";
import { GgufWriter } from "./gguf_writer.ts";
import { TEST_CHAT_TEMPLATE, TEST_SPECIALS, testVocabulary } from "./_test_vocab.ts";

/** Shape and format of a generated model. */
export interface TestModelOptions {
  /** Architecture (default llama). */
  readonly architecture?: Architecture;
  /** Seed of the weights (default 1). */
  readonly seed?: number;
  /** dtype of the matrices (default f32); norms and biases stay f32. */
  readonly dtype?: DType;
  /** Model width (default 64). */
  readonly hiddenSize?: number;
  /** Blocks (default 2). */
  readonly numLayers?: number;
  /** Query heads (default 4). */
  readonly numHeads?: number;
  /** KV heads (default 2). */
  readonly numKvHeads?: number;
  /** Head dimension (default hidden / heads). */
  readonly headDim?: number;
  /** Feed-forward width (default 2 · hidden). */
  readonly intermediateSize?: number;
  /** Context length (default 2048). */
  readonly maxContextLength?: number;
  /** Share the embedding table with the LM head (default: true for qwen2/qwen3). */
  readonly tieWordEmbeddings?: boolean;
  /** Name written as general.name. */
  readonly name?: string;
}

function normal(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng.next(), v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Writes a random-weight model with a small byte-level BPE vocabulary and a ChatML
 * template, as GGUF bytes.
 *
 * @example
 * ```ts
 * import { parseGgufHeader, writeTestModelGguf } from "@loom/core";
 * const bytes = writeTestModelGguf({ architecture: "qwen2", seed: 3 });
 * const h = parseGgufHeader(bytes);
 * console.log(h.metadata["general.architecture"], h.metadata["qwen2.block_count"]); // "qwen2" 2
 * ```
 */
export function writeTestModelGguf(options: TestModelOptions = {}): Uint8Array {
  const arch = options.architecture ?? "llama";
  const d = options.hiddenSize ?? 64, L = options.numLayers ?? 2;
  const H = options.numHeads ?? 4, KV = options.numKvHeads ?? 2;
  const hd = options.headDim ?? d / H, ffn = options.intermediateSize ?? 2 * d;
  const tied = options.tieWordEmbeddings ?? (arch === "qwen2" || arch === "qwen3");
  const dtype = options.dtype ?? "f32";
  const rng = new Rng(options.seed ?? 1);
  const vocab = testVocabulary();
  const V = vocab.tokens.length;
  const w = new GgufWriter();
  w.add("general.architecture", "string", arch);
  w.add("general.name", "string", options.name ?? `loom-test-${arch}`);
  const k = (s: string) => `${arch}.${s}`;
  w.add(k("context_length"), "u32", options.maxContextLength ?? 2048);
  w.add(k("embedding_length"), "u32", d);
  w.add(k("block_count"), "u32", L);
  w.add(k("feed_forward_length"), "u32", ffn);
  w.add(k("attention.head_count"), "u32", H);
  w.add(k("attention.head_count_kv"), "u32", KV);
  w.add(k("attention.key_length"), "u32", hd);
  w.add(k("attention.value_length"), "u32", hd);
  w.add(k("rope.dimension_count"), "u32", hd);
  w.add(k("rope.freq_base"), "f32", arch === "llama" || arch === "mistral" ? 10000 : 1000000);
  w.add(k("attention.layer_norm_rms_epsilon"), "f32", 1e-5);
  w.add("tokenizer.ggml.model", "string", "gpt2");
  w.add("tokenizer.ggml.pre", "string", "gpt-2");
  w.addArray("tokenizer.ggml.tokens", "string", vocab.tokens);
  w.addArray("tokenizer.ggml.token_type", "i32", vocab.tokenTypes);
  w.addArray("tokenizer.ggml.merges", "string", vocab.merges);
  const specialId = (s: string) => vocab.tokens.indexOf(s);
  w.add("tokenizer.ggml.bos_token_id", "u32", specialId(TEST_SPECIALS[0]));
  w.add("tokenizer.ggml.eos_token_id", "u32", specialId(TEST_SPECIALS[1]));
  w.add("tokenizer.ggml.add_bos_token", "bool", true);
  w.add("tokenizer.chat_template", "string", TEST_CHAT_TEMPLATE);

  const matrix = (name: string, rows: number, cols: number, std: number) => {
    const values = normal(rng, rows * cols, std);
    w.addTensor(name, dtype, [rows, cols], quantize(dtype, values));
  };
  const vector = (name: string, n: number, f: (v: number) => number) => {
    const values = normal(rng, n, 1).map(f);
    w.addTensor(name, "f32", [n], new Uint8Array(values.buffer));
  };
  const norm = (name: string, n: number) => vector(name, n, (v) => 1 + 0.1 * v);
  // embeddings: rows of non-printable tokens are zero in a tied head, so text stays readable
  const embd = normal(rng, V * d, 0.5);
  if (tied) {
    vocab.printable.forEach((ok, id) => ok || embd.fill(0, id * d, (id + 1) * d));
  }
  w.addTensor("token_embd.weight", dtype, [V, d], quantize(dtype, embd));
  for (let l = 0; l < L; l++) {
    const p = `blk.${l}.`;
    norm(`${p}attn_norm.weight`, d);
    matrix(`${p}attn_q.weight`, H * hd, d, 0.2);
    matrix(`${p}attn_k.weight`, KV * hd, d, 0.2);
    matrix(`${p}attn_v.weight`, KV * hd, d, 0.2);
    if (arch === "qwen2") {
      vector(`${p}attn_q.bias`, H * hd, (v) => 0.3 * v);
      vector(`${p}attn_k.bias`, KV * hd, (v) => 0.3 * v);
      vector(`${p}attn_v.bias`, KV * hd, (v) => 0.3 * v);
    }
    if (arch === "qwen3") {
      norm(`${p}attn_q_norm.weight`, hd);
      norm(`${p}attn_k_norm.weight`, hd);
    }
    matrix(`${p}attn_output.weight`, d, H * hd, 0.2);
    norm(`${p}ffn_norm.weight`, d);
    matrix(`${p}ffn_gate.weight`, ffn, d, 0.2);
    matrix(`${p}ffn_up.weight`, ffn, d, 0.2);
    matrix(`${p}ffn_down.weight`, d, ffn, 0.2);
  }
  norm("output_norm.weight", d);
  if (!tied) {
    const out = normal(rng, V * d, 0.5);
    vocab.printable.forEach((ok, id) => ok || out.fill(0, id * d, (id + 1) * d));
    w.addTensor("output.weight", dtype, [V, d], quantize(dtype, out));
  }
  return w.toBytes();
}
