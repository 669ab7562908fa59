/**
 * Quantizers for GGML's K-quants, inverse of `_k_dequant.ts`. Each reads `256 · numBlocks`
 * values from `x` and writes `numBlocks` super-blocks to `dst` (zero-filled by the caller).
 *
 * Scheme: fit each sub-block on its own ({@linkcode fitAffine} / {@linkcode fitSymmetric}),
 * quantize the sub-block scales (and mins) against one f16 super-block scale, then round
 * every value against the sub-block scale actually stored.
 *
 * @module
 */
import { toHalf, writeHalf } from "./_half.ts";
import { clamp, fitAffine, fitSymmetric, nearestInt } from "./_scale_search.ts";
import { QK_K } from "./_k_dequant.ts";

/** An affine super-block's stored pieces: f16 d and dmin, integer scale/min codes, q. */
interface AffineBlock {
  d: number;
  dmin: number;
  readonly scales: Uint8Array;
  readonly mins: Uint8Array;
  readonly q: Uint8Array;
}

/**
 * Affine super-block (Q2_K, Q4_K, Q5_K): x ≈ d·scale_j·q − dmin·min_j, with `q ∈ [0, nmax]`
 * and codes in `[0, maxCode]` for sub-blocks of `subSize` values.
 */
function quantizeAffine(
  x: Float32Array,
  off: number,
  subSize: number,
  nmax: number,
  maxCode: number,
  block: AffineBlock,
): void {
  const numSub = QK_K / subSize;
  const fitScales = new Float64Array(numSub);
  const fitMins = new Float64Array(numSub);
  const weights = new Float64Array(subSize);
  const fit = new Float64Array(2);
  for (let j = 0; j < numSub; j++) {
    // Weight by magnitude: large values matter more to a dot product (as ggml does).
    let sumSq = 0;
    for (let i = 0; i < subSize; i++) sumSq += x[off + j * subSize + i]! ** 2;
    const rms = Math.sqrt(sumSq / subSize);
    for (let i = 0; i < subSize; i++) weights[i] = rms + Math.abs(x[off + j * subSize + i]!);
    fitAffine(x, off + j * subSize, subSize, nmax, weights, fit);
    fitScales[j] = fit[0]!;
    fitMins[j] = fit[1]!;
  }
  block.d = toHalf(Math.max(...fitScales) / maxCode);
  block.dmin = toHalf(Math.max(...fitMins) / maxCode);
  for (let j = 0; j < numSub; j++) {
    const sc = block.d ? clamp(nearestInt(fitScales[j]! / block.d), 0, maxCode) : 0;
    const m = block.dmin ? clamp(nearestInt(fitMins[j]! / block.dmin), 0, maxCode) : 0;
    block.scales[j] = sc;
    block.mins[j] = m;
    const step = block.d * sc;
    const min = block.dmin * m;
    for (let i = 0; i < subSize; i++) {
      const e = j * subSize + i;
      block.q[e] = step ? clamp(nearestInt((x[off + e]! + min) / step), 0, nmax) : 0;
    }
  }
}

/**
 * Symmetric super-block (Q3_K, Q6_K): x ≈ d·scale_j·q with `q ∈ [−nmax, nmax − 1]` per
 * 16-value sub-block and signed scale codes in `[−maxCode, maxCode − 1]`. Returns the f16 d;
 * codes go to `scales`, values to `q`.
 */
function quantizeSymmetric(
  x: Float32Array,
  off: number,
  nmax: number,
  maxCode: number,
  scales: Int32Array,
  q: Int32Array,
): number {
  const fits = new Float64Array(16);
  let maxFit = 0;
  for (let j = 0; j < 16; j++) {
    fits[j] = fitSymmetric(x, off + 16 * j, 16, nmax);
    if (Math.abs(fits[j]!) > Math.abs(maxFit)) maxFit = fits[j]!;
  }
  const d = toHalf(maxFit / -maxCode);
  for (let j = 0; j < 16; j++) {
    scales[j] = d ? clamp(nearestInt(fits[j]! / d), -maxCode, maxCode - 1) : 0;
    const step = d * scales[j]!;
    for (let i = 0; i < 16; i++) {
      const e = 16 * j + i;
      q[e] = step ? clamp(nearestInt(x[off + e]! / step), -nmax, nmax - 1) : 0;
    }
  }
  return d;
}

function newAffineBlock(numSub: number): AffineBlock {
  return {
    d: 0,
    dmin: 0,
    scales: new Uint8Array(numSub),
    mins: new Uint8Array(numSub),
    q: new Uint8Array(QK_K),
  };
}

/** Writes 2-bit values: element e at byte 32·(e >> 7) + (e & 31), shift 2·((e >> 5) & 3). */
function pack2Bit(q: ArrayLike<number>, dst: Uint8Array, at: number): void {
  for (let e = 0; e < QK_K; e++) {
    dst[at + 32 * (e >> 7) + (e & 31)]! |= (q[e]! & 3) << (2 * ((e >> 5) & 3));
  }
}

/** Writes 4-bit values: element e at byte 32·(e >> 6) + (e & 31), high nibble if e & 32. */
function pack4Bit(q: ArrayLike<number>, dst: Uint8Array, at: number): void {
  for (let e = 0; e < QK_K; e++) {
    dst[at + 32 * (e >> 6) + (e & 31)]! |= (q[e]! & 15) << ((e & 32) ? 4 : 0);
  }
}

/** Packs Q4_K/Q5_K's eight 6-bit scale and min codes into 12 bytes (`get_scale_min_k4`). */
function packScaleMinK4(block: AffineBlock, dst: Uint8Array, at: number): void {
  for (let j = 0; j < 8; j++) {
    const sc = block.scales[j]!;
    const m = block.mins[j]!;
    if (j < 4) {
      dst[at + j]! |= sc;
      dst[at + j + 4]! |= m;
    } else {
      dst[at + j + 4] = (sc & 15) | ((m & 15) << 4);
      dst[at + j - 4]! |= (sc >> 4) << 6;
      dst[at + j]! |= (m >> 4) << 6;
    }
  }
}

/** Q2_K: 16 sub-blocks of 16, q ∈ [0, 3], 4-bit scale and min codes. */
export function quantizeQ2_K(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  const block = newAffineBlock(16);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 84;
    quantizeAffine(x, b * QK_K, 16, 3, 15, block);
    for (let j = 0; j < 16; j++) dst[o + j] = block.scales[j]! | (block.mins[j]! << 4);
    pack2Bit(block.q, dst, o + 16);
    writeHalf(dst, o + 80, block.d);
    writeHalf(dst, o + 82, block.dmin);
  }
}

/** Q3_K: 16 sub-blocks of 16, q ∈ [−4, 3], 6-bit scale codes stored biased by 32. */
export function quantizeQ3_K(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  const scales = new Int32Array(16);
  const q = new Int32Array(QK_K);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 110;
    writeHalf(dst, o + 108, quantizeSymmetric(x, b * QK_K, 4, 32, scales, q));
    for (let e = 0; e < QK_K; e++) {
      const stored = q[e]! + 4; // 0..7: bit 2 goes to hmask, bits 0-1 to qs
      if (stored & 4) dst[o + (e & 31)]! |= 1 << (e >> 5);
      q[e] = stored & 3;
    }
    pack2Bit(q, dst, o + 32);
    for (let k = 0; k < 16; k++) {
      const code = scales[k]! + 32;
      dst[o + 96 + (k < 8 ? k : k - 8)]! |= (code & 15) << (k < 8 ? 0 : 4);
      dst[o + 96 + 8 + (k & 3)]! |= (code >> 4) << (2 * (k >> 2));
    }
  }
}

/** Q4_K: 8 sub-blocks of 32, q ∈ [0, 15], 6-bit scale and min codes. */
export function quantizeQ4_K(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  const block = newAffineBlock(8);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 144;
    quantizeAffine(x, b * QK_K, 32, 15, 63, block);
    writeHalf(dst, o, block.d);
    writeHalf(dst, o + 2, block.dmin);
    packScaleMinK4(block, dst, o + 4);
    pack4Bit(block.q, dst, o + 16);
  }
}

/** Q5_K: 8 sub-blocks of 32, q ∈ [0, 31], 6-bit scale and min codes. */
export function quantizeQ5_K(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  const block = newAffineBlock(8);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 176;
    quantizeAffine(x, b * QK_K, 32, 31, 63, block);
    writeHalf(dst, o, block.d);
    writeHalf(dst, o + 2, block.dmin);
    packScaleMinK4(block, dst, o + 4);
    for (let e = 0; e < QK_K; e++) dst[o + 16 + (e & 31)]! |= (block.q[e]! >> 4) << (e >> 5);
    pack4Bit(block.q, dst, o + 48);
  }
}

/** Q6_K: 16 sub-blocks of 16, q ∈ [−32, 31], int8 scale codes. */
export function quantizeQ6_K(x: Float32Array, dst: Uint8Array, numBlocks: number): void {
  const scales = new Int32Array(16);
  const q = new Int32Array(QK_K);
  for (let b = 0; b < numBlocks; b++) {
    const o = b * 210;
    writeHalf(dst, o + 208, quantizeSymmetric(x, b * QK_K, 32, 128, scales, q));
    for (let e = 0; e < QK_K; e++) {
      const stored = q[e]! + 32; // 0..63: low 4 bits to ql, top 2 bits to qh
      const h = e >> 7;
      const quarter = (e >> 5) & 3;
      const l = e & 31;
      dst[o + 64 * h + l + 32 * (quarter & 1)]! |= (stored & 15) << (quarter < 2 ? 0 : 4);
      dst[o + 128 + 32 * h + l]! |= (stored >> 4) << (2 * quarter);
    }
    for (let j = 0; j < 16; j++) dst[o + 192 + j] = scales[j]! & 0xff;
  }
}
