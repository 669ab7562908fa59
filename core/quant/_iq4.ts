/**
 * The non-linear 4-bit types: IQ4_NL (blocks of 32: f16 d, 16 bytes of indices) and IQ4_XS
 * (super-blocks of 256: f16 d, u16 scales_h, u8 scales_l[4], 128 bytes of indices). Each 4-bit
 * index picks one of 16 fixed levels (`IQ4_LEVELS`); byte j of a block of 32 holds value j's
 * index in its low nibble and value j + 16's in its high one. IQ4_XS scales each block of 32 by
 * d · (ls − 32), ls a 6-bit value: its low 4 bits in scales_l (block b: byte b / 2, nibble
 * b % 2), its high 2 bits at bits 2b of scales_h.
 *
 * @module
 */
import { f32ToF16 } from "./f16.ts";
import { halfTable } from "./_half.ts";

/** The 16 levels of the non-linear 4-bit types (GGML's table). */
export const IQ4_LEVELS: readonly number[] = [
  -127,
  -104,
  -83,
  -65,
  -49,
  -35,
  -22,
  -10,
  1,
  13,
  25,
  38,
  53,
  69,
  89,
  113,
];

/** The 32 values of one block: `scale` · level of each index in `src` at `o` (16 bytes). */
function putLevels(src: Uint8Array, o: number, scale: number, dst: Float32Array, y: number) {
  for (let j = 0; j < 16; j++) {
    const q = src[o + j]!;
    dst[y + j] = scale * IQ4_LEVELS[q & 15]!;
    dst[y + j + 16] = scale * IQ4_LEVELS[q >> 4]!;
  }
}

/** IQ4_NL blocks (18 bytes) → values. */
export function dequantIQ4_NL(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    putLevels(src, 18 * b + 2, half[src[18 * b]! | (src[18 * b + 1]! << 8)]!, dst, 32 * b);
  }
}

/** The 6-bit scale of block `b` (0..7) of the IQ4_XS super-block at `o`. */
function xsScale(src: Uint8Array, o: number, b: number): number {
  const low = (src[o + 4 + (b >> 1)]! >> (4 * (b & 1))) & 15;
  const high = ((src[o + 2]! | (src[o + 3]! << 8)) >> (2 * b)) & 3;
  return low | (high << 4);
}

/** IQ4_XS super-blocks (136 bytes) → values. */
export function dequantIQ4_XS(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let s = 0; s < numBlocks; s++) {
    const o = 136 * s;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    for (let b = 0; b < 8; b++) {
      putLevels(src, o + 8 + 16 * b, d * (xsScale(src, o, b) - 32), dst, 256 * s + 32 * b);
    }
  }
}

/** The index of the level nearest `v`. */
function nearestLevel(v: number): number {
  let best = 0;
  for (let i = 1; i < 16; i++) {
    if (Math.abs(IQ4_LEVELS[i]! - v) < Math.abs(IQ4_LEVELS[best]! - v)) best = i;
  }
  return best;
}

/** The value of largest magnitude among `n` values at `x[o]`, with its sign. */
function signedMax(x: Float32Array, o: number, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) if (Math.abs(x[o + i]!) > Math.abs(m)) m = x[o + i]!;
  return m;
}

/** Writes the 16 index bytes of 32 values at `x[o]` for block scale `scale`. */
function putIndices(x: Float32Array, o: number, scale: number, out: Uint8Array, p: number) {
  const inv = scale !== 0 ? 1 / scale : 0;
  for (let j = 0; j < 16; j++) {
    out[p + j] = nearestLevel(x[o + j]! * inv) | (nearestLevel(x[o + j + 16]! * inv) << 4);
  }
}

/**
 * IQ4_NL: per block the scale that maps the value of largest magnitude to level −127, then the
 * nearest level of each value (no search for a better scale, which GGML's quantizer adds).
 */
export function quantizeIQ4_NL(x: Float32Array, out: Uint8Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    const h = f32ToF16(signedMax(x, 32 * b, 32) / -127);
    out[18 * b] = h & 255, out[18 * b + 1] = h >> 8;
    putIndices(x, 32 * b, half[h]!, out, 18 * b + 2);
  }
}

/**
 * IQ4_XS: each block's IQ4_NL scale, rounded to a multiple (−32..31) of the super-block's d, then
 * the nearest level of each value.
 */
export function quantizeIQ4_XS(x: Float32Array, out: Uint8Array, numBlocks: number): void {
  const half = halfTable();
  for (let s = 0; s < numBlocks; s++) {
    const o = 136 * s;
    const scales = Array.from({ length: 8 }, (_, b) => signedMax(x, 256 * s + 32 * b, 32) / -127);
    const h = f32ToF16(Math.max(...scales.map(Math.abs)) / 32);
    const d = half[h]!;
    out.fill(0, o, o + 8);
    out[o] = h & 255, out[o + 1] = h >> 8;
    let scalesH = 0;
    for (let b = 0; b < 8; b++) {
      const l = d === 0 ? 0 : Math.max(-32, Math.min(31, Math.round(scales[b]! / d)));
      const ls = l + 32;
      out[o + 4 + (b >> 1)]! |= (ls & 15) << (4 * (b & 1));
      scalesH |= (ls >> 4) << (2 * b);
      putIndices(x, 256 * s + 32 * b, d * l, out, o + 8 + 16 * b);
    }
    out[o + 2] = scalesH & 255, out[o + 3] = scalesH >> 8;
  }
}
