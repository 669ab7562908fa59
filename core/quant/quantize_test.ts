import assert from "node:assert/strict";
import { quantize } from "./quantize.ts";
import { dequantize } from "./dequantize.ts";
import { f32ToBf16 } from "./f16.ts";
import { GgufFile } from "../model/gguf.ts";
import { byteLengthOf, type DType } from "../dtype.ts";
import { InvalidParameterError, UnsupportedDTypeError } from "../errors.ts";

/** Seeded N(0, std²) samples (mulberry32 + Box–Muller), so failures reproduce. */
function gaussian(n: number, std: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return new Float32Array(n).map(() =>
    std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  );
}

function roundTrip(dtype: DType, x: Float32Array): Float32Array {
  const bytes = quantize(dtype, x);
  assert.equal(bytes.length, byteLengthOf(dtype, x.length));
  return dequantize(dtype, bytes, x.length);
}

function rmse(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum / a.length);
}

/** The f16 at byte `at`, decoded by hand (normal numbers only). */
function halfAt(bytes: Uint8Array, at: number): number {
  const h = bytes[at]! | (bytes[at + 1]! << 8);
  const sign = h & 0x8000 ? -1 : 1;
  return sign * (1 + (h & 0x3ff) / 1024) * 2 ** (((h >> 10) & 31) - 15);
}

// Data with blocks of very different magnitudes, as real weights have.
const X = gaussian(8192, 0.1, 42).map((v, i) => v * (1 + ((i >> 8) % 4) * 3));

Deno.test("quantize q8_0: hand-checked bytes", () => {
  // x = −16..15: d = 16/127 = 0.125984… → f16 0x3008 = 2⁻³·(1 + 8/1024) = 0.1259765625.
  // q[0] = round(−16/d) = round(−127.007) = −127 (0x81); q[31] = round(15/d) = round(119.07) = 119.
  const x = new Float32Array(32).map((_, i) => i - 16);
  const bytes = quantize("q8_0", x);
  assert.deepEqual([bytes[0], bytes[1], bytes[2], bytes[33]], [0x08, 0x30, 0x81, 119]);
  assert.equal(dequantize("q8_0", bytes, 32)[0], -127 * 0.1259765625);
});

Deno.test("quantize q4_0 / q5_0 / q4_1: hand-checked bytes", () => {
  // Q4_0: x_j = j − 8, x_{16+j} = 7 − j; the largest magnitude is −8 → d = −8/−8 = 1 (0x3c00),
  // q = x + 8: element j → j, element 16 + j → 15 − j, so qs[j] = j | (15 − j) << 4.
  const x4 = new Float32Array(32).map((_, i) => i < 16 ? i - 8 : 7 - (i - 16));
  const want4 = [0x00, 0x3c, ...Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4))];
  assert.deepEqual(Array.from(quantize("q4_0", x4)), want4);
  // Q5_0: x_j = j − 16; the largest magnitude is −16 → d = 1, q = j: low nibbles j & 15,
  // so qs[j] = j | j << 4 (element 16 + j has low nibble j too); fifth bits set for j ≥ 16 →
  // qh = 0xffff0000.
  const x5 = new Float32Array(32).map((_, i) => i - 16);
  const want5 = [0x00, 0x3c, 0, 0, 0xff, 0xff, ...Array.from({ length: 16 }, (_, j) => j * 0x11)];
  assert.deepEqual(Array.from(quantize("q5_0", x5)), want5);
  // Q4_1: x = (j % 16)/2 − 1: min −1 (m = 0xbc00), max 6.5, d = 7.5/15 = 0.5 (0x3800), q = j % 16.
  const x41 = new Float32Array(32).map((_, i) => (i % 16) / 2 - 1);
  const want41 = [0x00, 0x38, 0x00, 0xbc, ...Array.from({ length: 16 }, (_, j) => j * 0x11)];
  assert.deepEqual(Array.from(quantize("q4_1", x41)), want41);
});

Deno.test("quantize iq4_nl / iq4_xs: nearest levels of the block's scale", () => {
  // IQ4_NL: x = level_i · 2 for i = j % 16 and largest magnitude −254 → d = −254/−127 = 2 (0x4000),
  // so every value is exactly a level: index i, qs[j] = j | j << 4.
  const levels = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
  const x = new Float32Array(32).map((_, i) => 2 * levels[i % 16]!);
  assert.deepEqual(Array.from(quantize("iq4_nl", x)), [
    0x00,
    0x40,
    ...levels.map((_, j) => j * 0x11),
  ]);
  assert.deepEqual(dequantize("iq4_nl", quantize("iq4_nl", x), 32), x);
  // IQ4_XS: the same block 8 times; each block's scale 2 over d = 2/32 (0x2c00) is 32, which does
  // not fit −32..31: l clamps to 31, and values come back at 31/32 of their size.
  const x8 = new Float32Array(256).map((_, i) => x[i % 32]!);
  const y8 = dequantize("iq4_xs", quantize("iq4_xs", x8), 256);
  for (let i = 0; i < 256; i++) assert.equal(y8[i], x8[i]! * 31 / 32);
});

Deno.test("quantize f32 / f16 / bf16", () => {
  const x = new Float32Array([1, -2.5, 0.1, 65504, 1e-8]);
  assert.deepEqual(roundTrip("f32", x), x);
  const h = roundTrip("f16", x);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(h[i]! - x[i]!) <= Math.abs(x[i]!) * 2 ** -11);
  assert.ok(Math.abs(h[4]! - 1e-8) <= 2 ** -25); // subnormal: half the smallest step
  // bf16 rounds to nearest even: 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷ → 1 (0x3f80);
  // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ → 1 + 2⁻⁶ (0x3f82).
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80);
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(f32ToBf16(-Infinity), 0xff80);
  assert.ok(Number.isNaN(roundTrip("bf16", new Float32Array([NaN]))[0]));
  const b = roundTrip("bf16", X);
  for (let i = 0; i < X.length; i++) {
    assert.ok(Math.abs(b[i]! - X[i]!) <= Math.abs(X[i]!) * 2 ** -8);
  }
});

Deno.test("quantize q8_0: every value within d/2 of its input", () => {
  const bytes = quantize("q8_0", X);
  const y = dequantize("q8_0", bytes, X.length);
  for (let b = 0; b < X.length / 32; b++) {
    const d = halfAt(bytes, b * 34);
    for (let j = 0; j < 32; j++) {
      const i = b * 32 + j;
      assert.ok(Math.abs(y[i]! - X[i]!) <= d / 2 * (1 + 1e-6), `block ${b}: ${X[i]} → ${y[i]}`);
    }
  }
});

Deno.test("quantize q4_0 / q5_0: within one step; q4_1 / q5_1: within half a step", () => {
  // Symmetric formats map the largest magnitude to −8 (−16) exactly; values of the other sign
  // near the top clamp to +7 (+15), so the bound is one step. The affine formats reach both
  // ends, so half a step, plus the f16 rounding of d and m (≤ 2⁻¹¹ relative each).
  for (const [dtype, size, levels] of [["q4_0", 18, 16], ["q5_0", 22, 32]] as const) {
    const bytes = quantize(dtype, X);
    const y = dequantize(dtype, bytes, X.length);
    for (let i = 0; i < X.length; i++) {
      const d = Math.abs(halfAt(bytes, (i >> 5) * size));
      assert.ok(Math.abs(y[i]! - X[i]!) <= d * (1 + 1e-6), `${dtype} ${i}`);
    }
    assert.ok(rmse(y, X) < (levels === 16 ? 0.1 : 0.05) * rmse(X, new Float32Array(X.length)));
  }
  for (const [dtype, size] of [["q4_1", 20], ["q5_1", 24]] as const) {
    const bytes = quantize(dtype, X);
    const y = dequantize(dtype, bytes, X.length);
    for (let i = 0; i < X.length; i++) {
      const d = halfAt(bytes, (i >> 5) * size);
      const m = halfAt(bytes, (i >> 5) * size + 2);
      const bound = d / 2 + 2 ** -11 * (Math.abs(m) + 32 * d) + 1e-7;
      assert.ok(Math.abs(y[i]! - X[i]!) <= bound, `${dtype} ${i}: ${X[i]} → ${y[i]}`);
    }
  }
});

Deno.test("quantize k-quants: error relative to the data's rms", () => {
  // Measured on this data: q2_k 0.27, q3_k 0.15, q4_k 0.07, q5_k 0.036, q6_k 0.018,
  // q8_0 0.005.
  const limits: [DType, number][] = [
    ["q2_k", 0.3],
    ["q3_k", 0.17],
    ["q4_k", 0.08],
    ["q5_k", 0.04],
    ["q6_k", 0.02],
    ["q8_0", 0.008],
  ];
  const zero = new Float32Array(X.length);
  for (const [dtype, limit] of limits) {
    // Compare block by block so the large-magnitude blocks do not hide the small ones.
    for (let b = 0; b < X.length; b += 256) {
      const x = X.subarray(b, b + 256);
      const rel = rmse(roundTrip(dtype, x), x) / rmse(x, zero.subarray(0, 256));
      assert.ok(rel < limit, `${dtype} block ${b / 256}: relative rmse ${rel}`);
    }
  }
});

Deno.test("quantize k-quants: zeros, constants, one spike, exact grids", () => {
  for (
    const dtype of ["q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q4_0", "q4_1", "q5_0", "q5_1"] as const
  ) {
    assert.deepEqual(roundTrip(dtype, new Float32Array(256)), new Float32Array(256), dtype);
    const spike = new Float32Array(256);
    spike[77] = -3;
    const y = roundTrip(dtype, spike);
    assert.ok(Math.abs(y[77]! + 3) < 0.01, `${dtype} spike → ${y[77]}`);
    assert.ok(y.every((v, i) => i === 77 || Math.abs(v) < 0.01), `${dtype} spike leaks`);
    const constant = roundTrip(dtype, new Float32Array(256).fill(0.75));
    assert.ok(constant.every((v) => Math.abs(v - 0.75) < 0.01), `${dtype} constant`);
  }
  // Values already on a format's grid come back within the f16 rounding of the scales
  // (measured rmse ≤ 0.005; 0 for the 32-value formats):
  // unsigned grids 0..levels−1 for the affine formats, −levels/2..levels/2−1 for the others.
  const grids: [DType, number, number][] = [
    ["q2_k", 4, 0],
    ["q4_k", 16, 0],
    ["q5_k", 32, 0],
    ["q4_1", 16, 0],
    ["q5_1", 32, 0],
    ["q3_k", 8, -4],
    ["q6_k", 64, -32],
    ["q4_0", 16, -8],
    ["q5_0", 32, -16],
  ];
  for (const [dtype, levels, offset] of grids) {
    // Every 16 values include both ends, so every sub-block gets the same scale.
    const grid = new Float32Array(256).map((_, i) =>
      offset + (i % 16 === 0 ? 0 : i % 16 === 1 ? levels - 1 : (i * 7) % levels)
    );
    assert.ok(rmse(roundTrip(dtype, grid), grid) < 0.02, dtype);
  }
});

Deno.test("quantize: as accurate as llama.cpp's quantizer on the real weights", async () => {
  // Take the Q8_0 file's blk.0.ffn_up.weight as the "original" (its own error is ~0.4 % of the
  // std); llama.cpp quantized the same F32 weights to Q6_K, Q4_K and Q4_0 in the other files.
  const dir = new URL("../../../shared/fixtures/reference/", import.meta.url).pathname;
  const read = async (file: string) => {
    const f = await GgufFile.open(`${dir}mini-llama-${file}.gguf`);
    try {
      const t = f.get("blk.0.ffn_up.weight")!;
      return dequantize(t.dtype, await f.read(t.name), t.shape[0]! * t.shape[1]!);
    } finally {
      f.close();
    }
  };
  const original = await read("q8_0");
  // Measured (ours / llama.cpp's rmse): q6_k 0.96, q4_k 1.003, q4_0 0.998.
  for (const dtype of ["q6_k", "q4_k", "q4_0"] as const) {
    const ours = rmse(roundTrip(dtype, original), original);
    const theirs = rmse(await read(dtype), original);
    assert.ok(ours < 1.03 * theirs, `${dtype}: ours ${ours}, llama.cpp ${theirs}`);
  }
  // Re-quantizing Q8_0 data to Q8_0 is lossless.
  assert.deepEqual(roundTrip("q8_0", original), original);
});

Deno.test("quantize: bad input gives typed errors", () => {
  assert.throws(() => quantize("q4_k", new Float32Array(255)), UnsupportedDTypeError);
  const x = new Float32Array(32);
  x[3] = NaN;
  assert.throws(() => quantize("q8_0", x), InvalidParameterError);
});
