// Cross-checks on real llama.cpp-quantized tensors (../shared/fixtures/reference, see its
// README): the four mini-llama files quantize the same F32 weights, drawn from N(0, 0.1²) for
// layer matrices and N(0, 0.25²) for output.weight. A wrong block layout leaves the mean near
// 0 but breaks the std or the agreement between files.
import assert from "node:assert/strict";
import { dequantize } from "./dequantize.ts";
import { GgufFile } from "../model/gguf.ts";
import type { DType } from "../dtype.ts";

const DIR = new URL("../../../shared/fixtures/reference/", import.meta.url).pathname;

async function load(file: string, name: string): Promise<{ dtype: DType; values: Float32Array }> {
  const f = await GgufFile.open(`${DIR}mini-llama-${file}.gguf`);
  try {
    const t = f.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    return { dtype: t.dtype, values: dequantize(t.dtype, await f.read(name), n) };
  } finally {
    f.close();
  }
}

function meanStd(x: Float32Array): [number, number] {
  let sum = 0;
  let sumSq = 0;
  for (const v of x) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / x.length;
  return [mean, Math.sqrt(sumSq / x.length - mean * mean)];
}

function correlation(a: Float32Array, b: Float32Array): number {
  const [ma] = meanStd(a);
  const [mb] = meanStd(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

// file → [tensor, its dtype in that file, the std it was drawn with]
const CASES: Record<string, [string, DType, number][]> = {
  q8_0: [["blk.0.ffn_up.weight", "q8_0", 0.1], ["token_embd.weight", "q4_0", 0.1]],
  q6_k: [["blk.0.ffn_up.weight", "q6_k", 0.1], ["output.weight", "q4_k", 0.25]],
  q4_k: [["blk.0.ffn_up.weight", "q4_k", 0.1], ["blk.1.attn_v.weight", "q4_k", 0.1]],
  q4_0: [["blk.0.ffn_up.weight", "q4_0", 0.1], ["output.weight", "q4_0", 0.25]],
};

for (const [file, cases] of Object.entries(CASES)) {
  Deno.test(`dequantize real ${file} tensors: mean ≈ 0, std ≈ the drawn std`, async () => {
    for (const [name, dtype, std] of cases) {
      const t = await load(file, name);
      assert.equal(t.dtype, dtype, name);
      const [mean, got] = meanStd(t.values);
      assert.ok(Math.abs(mean) < 0.02 * std, `${file} ${name}: mean ${mean}`);
      assert.ok(Math.abs(got / std - 1) < 0.02, `${file} ${name}: std ${got}, want ${std}`);
    }
  });
}

Deno.test("dequantize real tensors: the four files agree on blk.0.attn_q.weight", async () => {
  const name = "blk.0.attn_q.weight";
  const [q8, q6, q4k, q4] = await Promise.all(
    ["q8_0", "q6_k", "q4_k", "q4_0"].map((f) => load(f, name)),
  );
  // Measured: 0.99983 (q6_k), 0.99743 (q4_k), 0.99625 (q4_0).
  assert.ok(correlation(q8!.values, q6!.values) > 0.999);
  assert.ok(correlation(q8!.values, q4k!.values) > 0.99);
  assert.ok(correlation(q8!.values, q4!.values) > 0.99);
  assert.ok(correlation(q4k!.values, q4!.values) > 0.99);
});
