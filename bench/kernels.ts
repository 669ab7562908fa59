/**
 * Kernel benchmark of the WASM backend: matmul GB/s (weight bytes read per second) and
 * GFLOP/s per dtype on the 1.1B-class benchmark shapes, for 1, 8 and 32 rows (decode,
 * batched decode, prefill-like), on 1 thread and on every core; plus paged attention and the
 * memory read bandwidth measured in the same run (the roofline of memory-bound decode).
 *
 * ```sh
 * deno task bench:kernels                     # every dtype
 * deno task bench:kernels --dtypes q4_0,q8_0  # some
 * deno task bench:kernels --threads 1,2 --rows 1,8
 * ```
 *
 * Q4_0 and Q8_0 run twice: with f32 activations and with int8 (`activations: "q8"`).
 *
 * @module
 */
import { buildForwardBatch, byteLengthOf, type DType, type Weight } from "@loom/core";
import { WasmBackend } from "@loom/wasm";
import { randomWeightBytes, Rng } from "../tests/conformance/_helpers.ts";

const ALL: DType[] = [
  "f32",
  "f16",
  "bf16",
  "q8_0",
  "q4_0",
  "q4_1",
  "q5_0",
  "q5_1",
  "q2_k",
  "q3_k",
  "q4_k",
  "q5_k",
  "q6_k",
];

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}
const list = (s: string | undefined) => s?.split(",").map((x) => x.trim()).filter(Boolean);

const cores = navigator.hardwareConcurrency;
const threadCounts = list(arg("threads"))?.map(Number) ?? [...new Set([1, cores])];
const dtypes = (list(arg("dtypes")) ?? ALL) as DType[];
const rowCounts = list(arg("rows"))?.map(Number) ?? [1, 8, 32];
/** Weight shapes [N, K] of a 1.1B-class model (hidden 2048, FFN 5632). */
const SHAPES: [number, number][] = [[2048, 2048], [5632, 2048], [2048, 5632]];

/** Runs `fn` until `minMs` have passed (after one warm-up); returns ms per run. */
function time(fn: () => void, minMs = 150): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

const rng = new Rng(7);
console.log(`WASM kernels, ${cores} cores, Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`);
const runs = threadCounts.flatMap((t) => [[t, "f32"], [t, "q8"]] as const);
for (const [numThreads, activations] of runs) {
  const be = await WasmBackend.create({ numThreads, activations });
  const only = activations === "q8" ? ["q4_0", "q8_0"] : undefined;
  if (only && !dtypes.some((d) => only.includes(d))) continue;
  console.log(
    `\n== ${numThreads} thread(s), ${be.relaxedSimd ? "relaxed SIMD" : "SIMD128"}, ` +
      `${activations} activations: memory read ${be.measureReadBandwidth().toFixed(1)} GB/s ==`,
  );
  console.log("dtype  rows  weight bytes    ms/call    GB/s   GFLOP/s");
  const maxRows = Math.max(...rowCounts);
  const x = be.alloc(maxRows, 5632), y = be.alloc(maxRows, 5632);
  be.write(x, rng.normals(maxRows * 5632));
  for (const dtype of dtypes) {
    if (only && !only.includes(dtype)) continue;
    const weights: Weight[] = [];
    for (const [n, k] of SHAPES) {
      const bytes = randomWeightBytes(dtype, n * k, rng);
      const info = { name: `w${n}x${k}`, dtype, shape: [n, k], byteLength: bytes.length };
      weights.push(await be.loadWeight(info, bytes));
    }
    const weightBytes = SHAPES.reduce((a, [n, k]) => a + byteLengthOf(dtype, n * k), 0);
    const flops = SHAPES.reduce((a, [n, k]) => a + 2 * n * k, 0);
    for (const rows of rowCounts) {
      // one call of each shape: the three kinds of projection of a layer
      const ms = time(() => {
        for (const w of weights) be.ops.matmul(y, x, w, rows);
      });
      const gbs = weightBytes / (ms / 1000) / 1e9;
      const gflops = (flops * rows) / (ms / 1000) / 1e9;
      console.log(
        `${dtype.padEnd(5)} ${String(rows).padStart(5)} ${String(weightBytes).padStart(14)} ` +
          `${ms.toFixed(3).padStart(10)} ${gbs.toFixed(2).padStart(7)} ${
            gflops.toFixed(2).padStart(9)
          }`,
      );
    }
  }
  if (only) {
    be.dispose();
    continue;
  }
  // paged attention, decode: 32 heads, 4 KV heads, head dim 64, f16 KV, context 1024
  const ctx = 1024, blockSize = 16, numBlocks = ctx / blockSize + 1;
  const spec = { numHeads: 32, numKvHeads: 4, headDim: 64, scale: 1 / 8 };
  const pool = be.createKvPool({
    numLayers: 1,
    numBlocks,
    blockSize,
    numKvHeads: 4,
    headDim: 64,
    dtype: "f16",
  });
  const q = be.alloc(1, 2048), k = be.alloc(1, 256), v = be.alloc(1, 256), o = be.alloc(1, 2048);
  const table = Array.from({ length: numBlocks }, (_, i) => i);
  const batch = buildForwardBatch(
    [{ tokens: [1], startPos: ctx - 1, blockTable: table, logits: "last" }],
    blockSize,
  );
  const step = be.beginStep(batch);
  const ms = time(() => be.ops.attention(step, o, q, k, v, pool, 0, spec));
  const kvBytes = 2 * ctx * 4 * 64 * 2;
  console.log(
    `attention decode, context ${ctx}, f16 KV: ${ms.toFixed(3)} ms, ` +
      `${(kvBytes / (ms / 1000) / 1e9).toFixed(2)} GB/s of KV`,
  );
  be.dispose();
}
