/**
 * Round-to-nearest quantizers for GGML's 32-value block formats, inverse of
 * `_legacy_dequant.ts`. Each reads `32 · numBlocks` values from `x` and writes `numBlocks`
 * blocks to `dst` (zero-filled by the caller). Scales are chosen as ggml does (Q8_0:
 * max|x| / 127; Q4_0/Q5_0: the signed value of largest magnitude maps to −8/−16; Q4_1/Q5_1:
 * min and (max − min) / levels), then rounded to f16, and the values are rounded against
 * the stored f16 scale, so every unclamped value is within half a step of its input.
 *
 * @module
 */
import { writeHalf } from "./_half.ts";
import { clamp, nearestInt } from "./_scale_search.ts";

/** Signed value of largest magnitude in `x[off .. off + n)`. */
function signedMaxAbs(x: Float32Array, off: number, n: number): number {
  let max = 0;
  for (let i = 0; i < n; i++) if (Math.abs(x[off + i]!) > Math.abs(max)) max = x[off + i]!;
  return max;
}

/** Q8_0: d = max|x| / 127, q = round(x / d) ∈ [−127, 127]. */
export function quantizeQ8_0(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 34;
    const d = writeHalf(dst, o, Math.abs(signedMaxAbs(x, b * 32, 32)) / 127);
    const id = d ? 1 / d : 0;
    for (let j = 0; j < 32; j++) {
      dst[o + 2 + j] = clamp(nearestInt(x[b * 32 + j]! * id), -127, 127) & 0xff;
    }
  }
}

/** Q4_0 / Q5_0 share everything but the bit packing; `levels` is 16 or 32. */
function symmetricCodes(
  x: Float32Array,
  off: number,
  levels: number,
  dst: Uint8Array,
  at: number,
): Uint8Array {
  const half = levels / 2;
  const d = writeHalf(dst, at, signedMaxAbs(x, off, 32) / -half);
  const id = d ? 1 / d : 0;
  const codes = new Uint8Array(32);
  for (let j = 0; j < 32; j++) codes[j] = clamp(nearestInt(x[off + j]! * id) + half, 0, levels - 1);
  return codes;
}

/** Q4_1 / Q5_1: d = (max − min) / (levels − 1), m = min, q = round((x − m) / d). */
function affineCodes(
  x: Float32Array,
  off: number,
  levels: number,
  dst: Uint8Array,
  at: number,
): Uint8Array {
  let lo = x[off]!;
  let hi = x[off]!;
  for (let j = 1; j < 32; j++) {
    lo = Math.min(lo, x[off + j]!);
    hi = Math.max(hi, x[off + j]!);
  }
  const d = writeHalf(dst, at, (hi - lo) / (levels - 1));
  const m = writeHalf(dst, at + 2, lo);
  const id = d ? 1 / d : 0;
  const codes = new Uint8Array(32);
  for (let j = 0; j < 32; j++) {
    codes[j] = clamp(nearestInt((x[off + j]! - m) * id), 0, levels - 1);
  }
  return codes;
}

/** Packs 4-bit codes: byte j = code j (low nibble) | code j + 16 (high nibble). */
function packNibbles(codes: Uint8Array, dst: Uint8Array, at: number): void {
  for (let j = 0; j < 16; j++) dst[at + j] = (codes[j]! & 15) | ((codes[j + 16]! & 15) << 4);
}

/** Packs the fifth bits of 32 codes into a little-endian u32 (bit j = code j's bit 4). */
function packHighBits(codes: Uint8Array, dst: Uint8Array, at: number): void {
  for (let j = 0; j < 32; j++) dst[at + (j >> 3)]! |= ((codes[j]! >> 4) & 1) << (j & 7);
}

/** Q4_0: d = max / −8, q = round(x / d) + 8 ∈ [0, 15]. */
export function quantizeQ4_0(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  for (let b = 0; b < numBlocks; b++) {
    packNibbles(symmetricCodes(x, b * 32, 16, dst, b * 18), dst, b * 18 + 2);
  }
}

/** Q4_1: d = (max − min) / 15, m = min, q = round((x − m) / d) ∈ [0, 15]. */
export function quantizeQ4_1(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  for (let b = 0; b < numBlocks; b++) {
    packNibbles(affineCodes(x, b * 32, 16, dst, b * 20), dst, b * 20 + 4);
  }
}

/** Q5_0: d = max / −16, q = round(x / d) + 16 ∈ [0, 31]. */
export function quantizeQ5_0(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  for (let b = 0; b < numBlocks; b++) {
    const codes = symmetricCodes(x, b * 32, 32, dst, b * 22);
    packHighBits(codes, dst, b * 22 + 2);
    packNibbles(codes, dst, b * 22 + 6);
  }
}

/** Q5_1: d = (max − min) / 31, m = min, q = round((x − m) / d) ∈ [0, 31]. */
export function quantizeQ5_1(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  for (let b = 0; b < numBlocks; b++) {
    const codes = affineCodes(x, b * 32, 32, dst, b * 24);
    packHighBits(codes, dst, b * 24 + 4);
    packNibbles(codes, dst, b * 24 + 8);
  }
}
