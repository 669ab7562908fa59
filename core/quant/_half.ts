/**
 * Fast f16 decoding for the dequantizers (a 65536-entry table built on first use) and the
 * f16 rounding and little-endian writing of the scales inside quantized blocks.
 *
 * @module
 */
import { f16ToF32, f32ToF16 } from "./f16.ts";

let table: Float32Array | undefined;

/** f16 bits → f32 value, for every one of the 65536 bit patterns (built on first use). */
export function halfTable(): Float32Array {
  if (table === undefined) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16ToF32(h);
  }
  return table;
}

/** Largest finite f16 magnitude. */
const F16_MAX = 65504;

/** f16 bits of `value`, clamped to the finite f16 range, with −0 stored as +0. */
function halfBits(value: number): number {
  return f32ToF16(Math.max(-F16_MAX, Math.min(F16_MAX, value)) + 0);
}

/** `value` rounded to the nearest f16, clamped to the finite f16 range. */
export function toHalf(value: number): number {
  return halfTable()[halfBits(value)]!;
}

/**
 * Writes `value` as a little-endian f16 at `offset` (clamped to the finite f16 range, so a
 * block scale never becomes infinite) and returns the value actually stored.
 */
export function writeHalf(bytes: Uint8Array, offset: number, value: number): number {
  const bits = halfBits(value);
  bytes[offset] = bits & 0xff;
  bytes[offset + 1] = bits >> 8;
  return halfTable()[bits]!;
}
