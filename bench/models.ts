/**
 * Benchmark models: random-weight GGUF files in real shapes, generated once (seeded, same
 * bytes every time) into the ignored folder `bench/.models/` and loaded by Loom and by the
 * peers alike. Shapes: `135m` (SmolLM-135M-like: hidden 576, 30 layers, 9 heads, 3 KV heads,
 * FFN 1536, tied embeddings) and `1.1b` (TinyLlama-like: hidden 2048, 22 layers, 32 heads,
 * 4 KV heads, FFN 5632), vocabulary 32000 (see `_bench_vocab.ts`). dtypes `f16`, `q8_0`,
 * `q4_0`, `q5_0`, `q4_k`, `q5_k` and `iq4_xs` (K-quants and IQ4_XS 1.1b only: 576 is not a
 * multiple of their block of 256). As llama.cpp's quantizer does, 4- and 5-bit files keep `output.weight` in Q6_K
 * (Q8_0 in the 135m shape).
 *
 * ```sh
 * deno task bench:models                               # every shape and dtype
 * deno task bench:models --shape 1.1b --dtype q4_0     # one file
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type DType, dtypeInfo, InvalidParameterError, quantize } from "@loom/core";
import { benchVocab } from "./_bench_vocab.ts";
import { type DeclaredTensor, GgufStreamWriter } from "./_gguf_stream.ts";

/** A benchmark model shape. */
export interface BenchShape {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly intermediateSize: number;
  readonly tieWordEmbeddings: boolean;
}

/** The benchmark shapes by name. */
export const BENCH_SHAPES: Readonly<Record<string, BenchShape>> = {
  "135m": {
    hiddenSize: 576,
    numLayers: 30,
    numHeads: 9,
    numKvHeads: 3,
    intermediateSize: 1536,
    tieWordEmbeddings: true,
  },
  "1.1b": {
    hiddenSize: 2048,
    numLayers: 22,
    numHeads: 32,
    numKvHeads: 4,
    intermediateSize: 5632,
    tieWordEmbeddings: false,
  },
};

/** Weight dtypes of benchmark files. */
export const BENCH_DTYPES: readonly DType[] = [
  "f16",
  "q8_0",
  "q4_0",
  "q5_0",
  "q4_k",
  "q5_k",
  "iq4_xs",
];
/** Bump when the generator's output changes, so cached files are regenerated. */
const VERSION = 1;
const DIR = new URL("./.models/", import.meta.url);
const FILE_TYPE: Partial<Record<DType, number>> = {
  f16: 1,
  q4_0: 2,
  q8_0: 7,
  q5_0: 8,
  q4_k: 14,
  q5_k: 17,
  iq4_xs: 30,
};

/**
 * Path of a benchmark file (whether or not it exists yet).
 *
 * @example
 * ```ts
 * import { benchModelPath } from "./models.ts";
 * console.log(benchModelPath("1.1b", "q4_0").endsWith("loom-bench-1.1b-q4_0-v1.gguf")); // true
 * ```
 */
export function benchModelPath(shape: string, dtype: DType): string {
  return new URL(`loom-bench-${shape}-${dtype}-v${VERSION}.gguf`, DIR).pathname;
}

function shapeOf(name: string, dtype: DType): BenchShape {
  const s = BENCH_SHAPES[name];
  if (!s) throw new InvalidParameterError("shape", `one of ${Object.keys(BENCH_SHAPES)}`);
  const block = dtypeInfo(dtype).blockElements;
  if (s.hiddenSize % block !== 0 || !BENCH_DTYPES.includes(dtype)) {
    throw new InvalidParameterError("dtype", `${dtype} is not generated for shape ${name}`);
  }
  return s;
}

/** The tensors of a shape in file order, with the std of their random values. */
function tensorsOf(s: BenchShape, dtype: DType): (DeclaredTensor & { std: number })[] {
  const d = s.hiddenSize, hd = d / s.numHeads, ffn = s.intermediateSize, V = 32000;
  const lowBit = ["q4_0", "q5_0", "q4_k", "q5_k", "iq4_xs"].includes(dtype);
  const headType: DType = lowBit ? (d % 256 === 0 ? "q6_k" : "q8_0") : dtype;
  const m = (name: string, rows: number, cols: number) => ({
    name,
    dtype,
    shape: [rows, cols],
    std: 1 / Math.sqrt(cols),
  });
  const norm = (name: string) => ({ name, dtype: "f32" as DType, shape: [d], std: 0 });
  const out = [{ ...m("token_embd.weight", V, d), std: 1 }];
  for (let l = 0; l < s.numLayers; l++) {
    const p = `blk.${l}.`;
    out.push(norm(`${p}attn_norm.weight`), m(`${p}attn_q.weight`, d, d));
    out.push(m(`${p}attn_k.weight`, s.numKvHeads * hd, d));
    out.push(m(`${p}attn_v.weight`, s.numKvHeads * hd, d));
    out.push(m(`${p}attn_output.weight`, d, d), norm(`${p}ffn_norm.weight`));
    out.push(m(`${p}ffn_gate.weight`, ffn, d), m(`${p}ffn_up.weight`, ffn, d));
    out.push(m(`${p}ffn_down.weight`, d, ffn));
  }
  out.push(norm("output_norm.weight"));
  if (!s.tieWordEmbeddings) out.push({ ...m("output.weight", V, d), dtype: headType });
  return out;
}

/** Uniform values of the given std from a per-tensor seeded stream (fast; shape is moot). */
function fillRandom(out: Float32Array, state: Uint32Array, std: number): void {
  const a = std * Math.sqrt(3) * 2 / 4294967296;
  let s = state[0]!;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) * a - std * Math.sqrt(3);
  }
  state[0] = s;
}

async function generate(path: string, shape: string, dtype: DType, log: boolean): Promise<void> {
  const s = shapeOf(shape, dtype);
  const d = s.hiddenSize, vocab = benchVocab();
  const w = new GgufStreamWriter();
  const k = (x: string) => `llama.${x}`;
  w.add("general.architecture", "string", "llama");
  w.add("general.name", "string", `loom-bench-${shape}-${dtype}`);
  w.add("general.file_type", "u32", FILE_TYPE[dtype] ?? 0);
  w.add(k("context_length"), "u32", 2048);
  w.add(k("embedding_length"), "u32", d);
  w.add(k("block_count"), "u32", s.numLayers);
  w.add(k("feed_forward_length"), "u32", s.intermediateSize);
  w.add(k("attention.head_count"), "u32", s.numHeads);
  w.add(k("attention.head_count_kv"), "u32", s.numKvHeads);
  w.add(k("rope.dimension_count"), "u32", d / s.numHeads);
  w.add(k("rope.freq_base"), "f32", 10000);
  w.add(k("attention.layer_norm_rms_epsilon"), "f32", 1e-5);
  w.add("tokenizer.ggml.model", "string", "llama");
  w.addArray("tokenizer.ggml.tokens", "string", vocab.tokens);
  w.addArray("tokenizer.ggml.scores", "f32", vocab.scores);
  w.addArray("tokenizer.ggml.token_type", "i32", vocab.tokenTypes);
  w.add("tokenizer.ggml.unknown_token_id", "u32", 0);
  w.add("tokenizer.ggml.bos_token_id", "u32", 1);
  w.add("tokenizer.ggml.eos_token_id", "u32", 2);
  w.add("tokenizer.ggml.add_bos_token", "bool", true);
  w.add("tokenizer.ggml.add_eos_token", "bool", false);
  const tensors = tensorsOf(s, dtype);
  for (const t of tensors) w.addTensor(t);
  const t0 = performance.now();
  let i = 0, lastLogMs = 0;
  await w.write(path, async (t, sink) => {
    const info = tensors[i++]!;
    const cols = t.shape.at(-1)!, rows = t.shape.length > 1 ? t.shape[0]! : 1;
    if (info.std === 0) {
      const v = new Float32Array(cols).map((_, j) => 1 + 0.1 * Math.sin(j + i));
      return await sink(new Uint8Array(v.buffer));
    }
    const state = Uint32Array.of((i * 2654435761) ^ 0x5bd1e995 || 1);
    const rowsPerChunk = Math.max(1, Math.floor((1 << 20) / cols));
    const chunk = new Float32Array(rowsPerChunk * cols);
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const values = chunk.subarray(0, Math.min(rowsPerChunk, rows - r) * cols);
      fillRandom(values, state, info.std);
      await sink(quantize(t.dtype, values));
    }
    const now = performance.now();
    if (log && (now - lastLogMs > 5000 || i === tensors.length)) {
      lastLogMs = now;
      console.error(`  ${i}/${tensors.length} tensors, ${((now - t0) / 1000).toFixed(0)} s`);
    }
  });
}

/**
 * Path of a benchmark model, generated first when missing (minutes for the 1.1b shape;
 * memory stays small: tensors are written in 1M-value chunks).
 *
 * @example
 * ```ts ignore
 * import { ensureBenchModel } from "./models.ts";
 * const path = await ensureBenchModel("135m", "q8_0");
 * ```
 */
export async function ensureBenchModel(
  shape: string,
  dtype: DType,
  options: { log?: boolean } = {},
): Promise<string> {
  shapeOf(shape, dtype);
  const path = benchModelPath(shape, dtype);
  try {
    await Deno.stat(path);
    return path;
  } catch {
    await Deno.mkdir(DIR, { recursive: true });
    if (options.log ?? true) console.error(`generating ${path} ...`);
    await generate(path, shape, dtype, options.log ?? true);
    return path;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { shape: { type: "string" }, dtype: { type: "string" } },
  });
  const shapes = values.shape ? values.shape.split(",") : Object.keys(BENCH_SHAPES);
  const dtypes = (values.dtype ? values.dtype.split(",") : BENCH_DTYPES) as DType[];
  for (const shape of shapes) {
    for (const dtype of dtypes) {
      if (shape === "135m" && dtype === "q4_k" && !values.dtype) continue;
      console.log(await ensureBenchModel(shape, dtype));
    }
  }
}
