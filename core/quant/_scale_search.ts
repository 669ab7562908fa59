/**
 * Per-sub-block scale searches used by the K-quant quantizers: a few candidate scales
 * around the plain min/max one, each refined by weighted least squares, keeping the best
 * (the idea of ggml's `make_qkx2_quants` / `make_qx_quants`, written afresh).
 *
 * @module
 */

/** Candidate inverse scales span (nmax + RMIN … nmax + RMIN + RDELTA·NUM_STEPS) / range. */
const RMIN = -1;
const RDELTA = 0.1;
const NUM_STEPS = 20;

/**
 * Fits `x[off + i] ≈ scale · q_i − min` with integer `q_i ∈ [0, nmax]`, `scale ≥ 0` and
 * `min ≥ 0` (the K-quants store the offset as an unsigned min that is subtracted),
 * minimising `Σ w_i · error²`. Writes `[scale, min]` to `result`.
 */
export function fitAffine(
  x: Float32Array,
  off: number,
  n: number,
  nmax: number,
  weights: Float64Array,
  result: Float64Array,
): void {
  let lo = x[off]!;
  let hi = x[off]!;
  let sumW = 0;
  let sumX = 0;
  let sumX2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    const w = weights[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sumW += w;
    sumX += w * v;
    sumX2 += w * v * v;
  }
  if (lo > 0) lo = 0; // the offset can only pull values down
  if (hi === lo) {
    result[0] = 0;
    result[1] = -lo;
    return;
  }
  // Start from the plain min/max fit (q = round((x − lo) / scale) reproduces lo and hi), then
  // try the candidates. Error of scale s and offset o for codes l, from the weighted sums:
  // Σ w (s·l + o − x)² = s²·Σwl² + 2so·Σwl + o²·Σw − 2s·Σwlx − 2o·Σwx + Σwx².
  let bestScale = (hi - lo) / nmax;
  let bestOffset = lo;
  let bestErr = Infinity;
  for (let step = -1; step <= NUM_STEPS; step++) {
    const iscale = step < 0 ? nmax / (hi - lo) : (nmax + RMIN + RDELTA * step) / (hi - lo);
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const v = x[off + i]!;
      const l = clamp(nearestInt(iscale * (v - lo)), 0, nmax);
      const w = weights[i]!;
      sumL += w * l;
      sumL2 += w * l * l;
      sumXL += w * l * v;
    }
    let scale: number;
    let offset: number;
    if (step < 0) {
      scale = bestScale;
      offset = bestOffset;
    } else {
      const det = sumW * sumL2 - sumL * sumL;
      if (!(det > 0)) continue;
      scale = (sumW * sumXL - sumX * sumL) / det;
      offset = (sumL2 * sumX - sumL * sumXL) / det;
      if (offset > 0) {
        offset = 0;
        scale = sumXL / sumL2;
      }
      if (!(scale > 0)) continue;
    }
    const err = scale * scale * sumL2 + 2 * scale * offset * sumL + offset * offset * sumW -
      2 * scale * sumXL - 2 * offset * sumX + sumX2;
    if (err < bestErr) {
      bestErr = err;
      bestScale = scale;
      bestOffset = offset;
    }
  }
  result[0] = bestScale;
  result[1] = -bestOffset;
}

/**
 * Fits `x[off + i] ≈ scale · q_i` with integer `q_i ∈ [−nmax, nmax − 1]` (scale may be
 * negative, so the largest magnitude can use the longer negative side), maximising the
 * x²-weighted fit `(Σ w·x·q)² / Σ w·q²` over candidate scales. Returns the scale.
 */
export function fitSymmetric(x: Float32Array, off: number, n: number, nmax: number): number {
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    if (Math.abs(v) > Math.abs(max)) max = v;
  }
  if (Math.abs(max) < 1e-30) return 0;
  let bestScale = max / -nmax;
  let bestFit = -1;
  for (let step = -9; step <= 9; step++) {
    const iscale = -(nmax + 0.1 * step) / max;
    let sumLX = 0;
    let sumL2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[off + i]!;
      const l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
      const w = v * v;
      sumLX += w * v * l;
      sumL2 += w * l * l;
    }
    if (sumL2 > 0 && sumLX * sumLX > bestFit * sumL2) {
      bestFit = (sumLX * sumLX) / sumL2;
      bestScale = sumLX / sumL2;
    }
  }
  return bestScale;
}

/**
 * `v` rounded to the nearest integer, halves up (as `Math.round`, which is several times
 * slower in these loops because it must keep −0).
 */
export function nearestInt(v: number): number {
  return Math.floor(v + 0.5);
}

/** `v` limited to `[lo, hi]`. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
