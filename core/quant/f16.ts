/**
 * IEEE half-precision and bfloat16 conversions.
 *
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Decodes an IEEE 754 binary16 value from its 16 bits.
 *
 * @example
 * ```ts
 * import { f16ToF32 } from "@loom/core";
 * console.log(f16ToF32(0x3c00), f16ToF32(0xc000)); // 1 -2
 * ```
 */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Encodes a number as IEEE 754 binary16 bits, rounding to nearest even.
 *
 * @example
 * ```ts
 * import { f32ToF16 } from "@loom/core";
 * console.log(f32ToF16(1).toString(16)); // "3c00"
 * ```
 */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/**
 * Decodes a bfloat16 value from its 16 bits.
 *
 * @example
 * ```ts
 * import { bf16ToF32 } from "@loom/core";
 * console.log(bf16ToF32(0x3f80)); // 1
 * ```
 */
export function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/**
 * Encodes a number as bfloat16 bits (the top half of its f32 bits), rounding to nearest
 * even; NaN stays NaN.
 *
 * @example
 * ```ts
 * import { f32ToBf16 } from "@loom/core";
 * console.log(f32ToBf16(1).toString(16), f32ToBf16(-2).toString(16)); // "3f80" "c000"
 * ```
 */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff; // quiet NaN
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
