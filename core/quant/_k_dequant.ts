/**
 * Dequantization of GGML's K-quants: super-blocks of 256 values split into sub-blocks with
 * their own quantized scales (ggml-common.h structs, ggml-quants.c formulas). Every function
 * reads `numBlocks` consecutive super-blocks from the start of `src` and writes
 * `256 · numBlocks` values to the start of `dst`.
 *
 * Throughout, element `e` of a super-block lies in 128-value half `e >> 7`; the 2-bit
 * formats put element `e` in byte `32 · (e >> 7) + (e & 31)` of `qs` at bit shift
 * `2 · ((e >> 5) & 3)`; the 4-bit formats put it in byte `32 · (e >> 6) + (e & 31)`, low
 * nibble when `e & 32` is 0, high nibble otherwise.
 *
 * @module
 */
import { halfTable } from "./_half.ts";

/** Super-block size of every K-quant. */
export const QK_K = 256;

/**
 * Q2_K (84 bytes): u8 scales[16] (low nibble scale, high nibble min, one per 16 values),
 * u8 qs[64] (2-bit q), f16 d, f16 dmin. x = d · sc · q − dmin · m.
 */
export function dequantQ2_K(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 84;
    const y = b * QK_K;
    const d = half[src[o + 80]! | (src[o + 81]! << 8)]!;
    const dmin = half[src[o + 82]! | (src[o + 83]! << 8)]!;
    for (let e = 0; e < QK_K; e++) {
      const sc = src[o + (e >> 4)]!;
      const q = (src[o + 16 + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e >> 5) & 3))) & 3;
      dst[y + e] = d * (sc & 15) * q - dmin * (sc >> 4);
    }
  }
}

/**
 * Decodes Q3_K's sixteen 6-bit scales (stored biased by 32) from the 12 bytes at `at`:
 * scale k has low 4 bits in byte k (k < 8) or the high nibble of byte k − 8, and its top 2
 * bits at shift 2·⌊k/4⌋ of byte 8 + k % 4.
 */
function q3kScales(src: Uint8Array, at: number, out: Int32Array): void {
  for (let k = 0; k < 16; k++) {
    const low = k < 8 ? src[at + k]! & 15 : src[at + k - 8]! >> 4;
    const high = (src[at + 8 + (k & 3)]! >> (2 * (k >> 2))) & 3;
    out[k] = (low | (high << 4)) - 32;
  }
}

/**
 * Q3_K (110 bytes): u8 hmask[32] (third bit of each q), u8 qs[64] (low 2 bits), u8
 * scales[12] (16 × 6 bits, see {@linkcode q3kScales}), f16 d. The 3-bit value is
 * `low2 − (hbit ? 0 : 4)` ∈ [−4, 3]; x = d · (scale − 32) · value. Element `e`'s hbit is bit
 * `e >> 5` of `hmask[e & 31]`.
 */
export function dequantQ3_K(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  const scales = new Int32Array(16);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 110;
    const y = b * QK_K;
    const d = half[src[o + 108]! | (src[o + 109]! << 8)]!;
    q3kScales(src, o + 96, scales);
    for (let e = 0; e < QK_K; e++) {
      const low = (src[o + 32 + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e >> 5) & 3))) & 3;
      const hbit = (src[o + (e & 31)]! >> (e >> 5)) & 1;
      dst[y + e] = d * scales[e >> 4]! * (low - (hbit ? 0 : 4));
    }
  }
}

/**
 * Scale and min `j` (0..7) of Q4_K/Q5_K's 12 packed bytes at `at` (ggml's
 * `get_scale_min_k4`): for j < 4 the low 6 bits of bytes j and j + 4; for j ≥ 4 the nibbles
 * of byte j + 4 with their top 2 bits in the top 2 bits of bytes j − 4 and j.
 */
function scaleMinK4(src: Uint8Array, at: number, j: number, out: Int32Array): void {
  if (j < 4) {
    out[0] = src[at + j]! & 63;
    out[1] = src[at + j + 4]! & 63;
  } else {
    out[0] = (src[at + j + 4]! & 15) | ((src[at + j - 4]! >> 6) << 4);
    out[1] = (src[at + j + 4]! >> 4) | ((src[at + j]! >> 6) << 4);
  }
}

/**
 * Q4_K (144 bytes): f16 d, f16 dmin, u8 scales[12] (8 × 6-bit scale + 8 × 6-bit min, one
 * pair per 32 values), u8 qs[128] (4-bit q). x = d · sc · q − dmin · m.
 */
export function dequantQ4_K(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  const sm = new Int32Array(2);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 144;
    const y = b * QK_K;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    const dmin = half[src[o + 2]! | (src[o + 3]! << 8)]!;
    for (let j = 0; j < 8; j++) {
      scaleMinK4(src, o + 4, j, sm);
      const scale = d * sm[0]!;
      const min = dmin * sm[1]!;
      const shift = (j & 1) * 4;
      const qs = o + 16 + 32 * (j >> 1);
      for (let l = 0; l < 32; l++) {
        dst[y + 32 * j + l] = scale * ((src[qs + l]! >> shift) & 15) - min;
      }
    }
  }
}

/**
 * Q5_K (176 bytes): f16 d, f16 dmin, u8 scales[12] (as Q4_K), u8 qh[32] (fifth bits: bit j
 * of qh[l] for sub-block j), u8 qs[128] (low 4 bits, as Q4_K). x = d · sc · q − dmin · m.
 */
export function dequantQ5_K(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  const sm = new Int32Array(2);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 176;
    const y = b * QK_K;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    const dmin = half[src[o + 2]! | (src[o + 3]! << 8)]!;
    for (let j = 0; j < 8; j++) {
      scaleMinK4(src, o + 4, j, sm);
      const scale = d * sm[0]!;
      const min = dmin * sm[1]!;
      const shift = (j & 1) * 4;
      const qs = o + 48 + 32 * (j >> 1);
      for (let l = 0; l < 32; l++) {
        const q = ((src[qs + l]! >> shift) & 15) | (((src[o + 16 + l]! >> j) & 1) << 4);
        dst[y + 32 * j + l] = scale * q - min;
      }
    }
  }
}

/**
 * Q6_K (210 bytes): u8 ql[128] (low 4 bits), u8 qh[64] (top 2 bits), int8 scales[16] (one
 * per 16 values), f16 d. x = d · scale · (q − 32). In 128-value half `h`, for l < 32:
 * elements l, l+32, l+64, l+96 take the low/low/high/high nibbles of ql[64h + l],
 * ql[64h + l + 32], ql[64h + l], ql[64h + l + 32] and bits 0-1/2-3/4-5/6-7 of qh[32h + l].
 */
export function dequantQ6_K(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  const signed = new Int8Array(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 210;
    const y = b * QK_K;
    const d = half[src[o + 208]! | (src[o + 209]! << 8)]!;
    for (let e = 0; e < QK_K; e++) {
      const h = e >> 7;
      const quarter = (e >> 5) & 3; // which of l, l+32, l+64, l+96
      const l = e & 31;
      const lowByte = src[o + 64 * h + l + 32 * (quarter & 1)]!;
      const low = quarter < 2 ? lowByte & 15 : lowByte >> 4;
      const high = (src[o + 128 + 32 * h + l]! >> (2 * quarter)) & 3;
      dst[y + e] = d * signed[o + 192 + (e >> 4)]! * ((low | (high << 4)) - 32);
    }
  }
}
