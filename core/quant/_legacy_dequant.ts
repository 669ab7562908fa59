/**
 * Dequantization of GGML's 32-value block formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1), following
 * the block structs of ggml-common.h and the formulas of ggml-quants.c. Every function reads
 * `numBlocks` consecutive blocks from the start of `src` and writes `32 · numBlocks` values
 * to the start of `dst`.
 *
 * Within a 4- or 5-bit block, byte `j` of `qs` holds element `j` in its low nibble and
 * element `j + 16` in its high nibble. In the 5-bit formats bit `j` of the little-endian
 * u32 `qh` is the fifth bit of element `j`.
 *
 * @module
 */
import { halfTable } from "./_half.ts";

/** Q8_0 block (34 bytes): f16 d, int8 qs[32]. x = qs[j] · d. */
export function dequantQ8_0(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  const qs = new Int8Array(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 34;
    const y = b * 32;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    for (let j = 0; j < 32; j++) dst[y + j] = qs[o + 2 + j]! * d;
  }
}

/** Q4_0 block (18 bytes): f16 d, u8 qs[16]. x = (nibble − 8) · d. */
export function dequantQ4_0(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 18;
    const y = b * 32;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = ((q & 15) - 8) * d;
      dst[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/** Q4_1 block (20 bytes): f16 d, f16 m, u8 qs[16]. x = nibble · d + m. */
export function dequantQ4_1(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 20;
    const y = b * 32;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    const m = half[src[o + 2]! | (src[o + 3]! << 8)]!;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j]!;
      dst[y + j] = (q & 15) * d + m;
      dst[y + j + 16] = (q >> 4) * d + m;
    }
  }
}

/** Q5_0 block (22 bytes): f16 d, u8 qh[4], u8 qs[16]. x = (5-bit q − 16) · d. */
export function dequantQ5_0(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 22;
    const y = b * 32;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    const qh = src[o + 2]! | (src[o + 3]! << 8) | (src[o + 4]! << 16) | (src[o + 5]! << 24);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j]!;
      const q0 = (q & 15) | (((qh >>> j) & 1) << 4);
      const q1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      dst[y + j] = (q0 - 16) * d;
      dst[y + j + 16] = (q1 - 16) * d;
    }
  }
}

/** Q5_1 block (24 bytes): f16 d, f16 m, u8 qh[4], u8 qs[16]. x = 5-bit q · d + m. */
export function dequantQ5_1(src: Uint8Array, dst: Float32Array, numBlocks: number): void {
  const half = halfTable();
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 24;
    const y = b * 32;
    const d = half[src[o]! | (src[o + 1]! << 8)]!;
    const m = half[src[o + 2]! | (src[o + 3]! << 8)]!;
    const qh = src[o + 4]! | (src[o + 5]! << 8) | (src[o + 6]! << 16) | (src[o + 7]! << 24);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j]!;
      const q0 = (q & 15) | (((qh >>> j) & 1) << 4);
      const q1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      dst[y + j] = q0 * d + m;
      dst[y + j + 16] = q1 * d + m;
    }
  }
}
