/**
 * Decode and prefill throughput of the WebGPU backend on a synthetic model (random weights in
 * one dtype, no file needed), measured against the device's own copy bandwidth in the same
 * run. Decode is memory-bound: a step reads every weight once plus each sequence's K/V, so
 * the achieved GB/s over the copy kernel's GB/s is the fraction of the roofline reached.
 *
 * ```sh
 * deno run -A bench/decode_webgpu.ts                          # small shape, Q4_0 (llvmpipe-friendly)
 * deno run -A bench/decode_webgpu.ts --shape 1b --dtype q8_0  # Llama-3.2-1B-like shape
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  buildForwardBatch,
  byteLengthOf,
  type DType,
  f32ToF16,
  MemoryWeightSource,
  type ModelConfig,
  Transformer,
} from "@loom/core";
import { WebGpuBackend } from "@loom/webgpu";

/** Model shapes: `small` runs in seconds on llvmpipe; `1b` is Llama-3.2-1B's shape. */
const SHAPES: Record<string, Omit<ModelConfig, "rope" | "architecture">> = {
  small: {
    vocabSize: 8192,
    hiddenSize: 512,
    intermediateSize: 1536,
    numLayers: 4,
    numHeads: 8,
    numKvHeads: 4,
    headDim: 64,
    maxContextLength: 2048,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    qkNorm: false,
  },
  "1b": {
    vocabSize: 128256,
    hiddenSize: 2048,
    intermediateSize: 8192,
    numLayers: 16,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 64,
    maxContextLength: 2048,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    qkNorm: false,
  },
};

/** Byte offsets of the f16 scales in one block, set to small sane values. */
const SCALES: Partial<Record<DType, { blockBytes: number; offsets: number[] }>> = {
  q8_0: { blockBytes: 34, offsets: [0] },
  q4_0: { blockBytes: 18, offsets: [0] },
  q4_k: { blockBytes: 144, offsets: [0, 2] },
  q6_k: { blockBytes: 210, offsets: [208] },
};

/** Random stored bytes of a tensor (valid scales, random quants; floats from a small set). */
function randomBytes(dtype: DType, numElements: number): Uint8Array {
  const bytes = new Uint8Array(byteLengthOf(dtype, numElements));
  if (dtype === "f32" || dtype === "f16") {
    const pattern = Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.05);
    const view = dtype === "f32" ? new Float32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
    for (let i = 0; i < view.length; i++) {
      view[i] = dtype === "f32" ? pattern[i % 64]! : f32ToF16(pattern[i % 64]!);
    }
    return bytes;
  }
  for (let i = 0; i < bytes.length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, bytes.length)));
  }
  const s = SCALES[dtype]!, view = new DataView(bytes.buffer), scale = f32ToF16(0.002);
  for (let b = 0; b < bytes.length; b += s.blockBytes) {
    for (const o of s.offsets) view.setUint16(b + o, scale, true);
  }
  return bytes;
}

/** A synthetic model's tensors: matrices in `dtype`, norms f32. */
function syntheticWeights(
  c: ModelConfig,
  dtype: DType,
): { source: MemoryWeightSource; weightBytes: number } {
  const source = new MemoryWeightSource();
  let weightBytes = 0;
  const add = (name: string, shape: number[], dt: DType) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = dt === "f32"
      ? new Uint8Array(new Float32Array(n).fill(1).buffer)
      : randomBytes(dt, n);
    source.add({ name, dtype: dt, shape, byteLength: bytes.byteLength }, bytes);
    if (name !== "token_embd.weight" || c.tieWordEmbeddings) weightBytes += bytes.byteLength;
  };
  const d = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  add("token_embd.weight", [c.vocabSize, d], dtype);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `blk.${l}.`;
    add(`${p}attn_norm.weight`, [d], "f32");
    add(`${p}attn_q.weight`, [q, d], dtype);
    add(`${p}attn_k.weight`, [kv, d], dtype);
    add(`${p}attn_v.weight`, [kv, d], dtype);
    add(`${p}attn_output.weight`, [d, q], dtype);
    add(`${p}ffn_norm.weight`, [d], "f32");
    add(`${p}ffn_gate.weight`, [c.intermediateSize, d], dtype);
    add(`${p}ffn_up.weight`, [c.intermediateSize, d], dtype);
    add(`${p}ffn_down.weight`, [d, c.intermediateSize], dtype);
  }
  add("output_norm.weight", [d], "f32");
  return { source, weightBytes };
}

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    shape: { type: "string", default: "small" },
    dtype: { type: "string", default: "q4_0" },
    batches: { type: "string", default: "1,8,32" },
    context: { type: "string", default: "256" },
    steps: { type: "string", default: "8" },
    prefill: { type: "string", default: "256" },
  },
});
const shape = SHAPES[args.shape];
if (!shape) throw new Error(`--shape: one of ${Object.keys(SHAPES).join(", ")}`);
const dtype = args.dtype as DType;
const batches = args.batches.split(",").map(Number);
const numCtx = Number(args.context), numSteps = Number(args.steps);
const numPrefill = Number(args.prefill);
const config: ModelConfig = {
  ...shape,
  architecture: "llama",
  rope: { theta: 500000, style: "normal", dim: shape.headDim },
};

const backend = await WebGpuBackend.create();
console.log(`device: ${backend.adapterDescription}; shape ${args.shape}, ${dtype} matrices`);
const bandwidth = await backend.measureBandwidth();
console.log(`copy kernel: ${(bandwidth / 1e9).toFixed(1)} GB/s (read + write)`);
const { source, weightBytes } = syntheticWeights(config, dtype);
const maxBatch = Math.max(...batches);
const model = await Transformer.load(backend, config, source, {
  maxBatchTokens: Math.max(maxBatch, numPrefill),
  maxLogitRows: maxBatch,
  maxPositions: numCtx + numSteps + numPrefill + 1,
});
source.close();
const blockSize = 16;
const blocksPerSeq = Math.ceil((numCtx + numSteps + 1) / blockSize);
const numBlocks = Math.max(maxBatch * blocksPerSeq, Math.ceil(numPrefill / blockSize));
const pool = model.createKvPool({ numBlocks, blockSize, dtype: "f16" });
console.log(`weights read per step: ${(weightBytes / 1e6).toFixed(1)} MB; KV pool f16`);

// prefill: one sequence of numPrefill tokens
const prefillTable = Array.from({ length: Math.ceil(numPrefill / blockSize) }, (_, i) => i);
const prefill = buildForwardBatch([{
  tokens: Array.from({ length: numPrefill }, (_, i) => (i * 7) % config.vocabSize),
  startPos: 0,
  blockTable: prefillTable,
  logits: "last",
}], blockSize);
await model.forward(prefill, pool); // warm-up
let t0 = performance.now();
await model.forward(prefill, pool);
const prefillMs = performance.now() - t0;
console.log(
  `prefill ${numPrefill} tokens: ${(numPrefill / (prefillMs / 1000)).toFixed(1)} tokens/s`,
);

// decode: B sequences, each with numCtx positions already cached (contents do not matter)
console.log("batch | tokens/s | ms/step | GB/s (weights + KV) | of copy bandwidth");
const kvBytesPerPos = 2 * config.numLayers * config.numKvHeads * config.headDim * 2;
for (const B of batches) {
  const step = (k: number) =>
    buildForwardBatch(
      Array.from({ length: B }, (_, s) => ({
        tokens: [(s * 31 + k) % config.vocabSize],
        startPos: numCtx + k,
        blockTable: Array.from({ length: blocksPerSeq }, (_, i) => s * blocksPerSeq + i),
        logits: "last" as const,
      })),
      blockSize,
    );
  await model.forward(step(0), pool); // warm-up
  t0 = performance.now();
  let bytes = 0;
  for (let k = 1; k <= numSteps; k++) {
    await model.forward(step(k), pool);
    bytes += weightBytes + B * (numCtx + k + 1) * kvBytesPerPos;
  }
  const s = (performance.now() - t0) / 1000;
  const gbs = bytes / s / 1e9;
  console.log(
    `${String(B).padStart(5)} | ${(B * numSteps / s).toFixed(1).padStart(8)} | ` +
      `${(s * 1000 / numSteps).toFixed(1).padStart(7)} | ${gbs.toFixed(2).padStart(19)} | ` +
      `${(gbs / (bandwidth / 1e9) * 100).toFixed(1)} %`,
  );
}
backend.dispose();
