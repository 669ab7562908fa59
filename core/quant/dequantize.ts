/**
 * Reference dequantization: stored bytes of any supported dtype → f32 values. This is the
 * oracle every backend's kernels are checked against.
 *
 * @module
 */
import { byteLengthOf, type DType } from "../dtype.ts";
import { UnsupportedDTypeError } from "../errors.ts";
import { bf16ToF32, f16ToF32 } from "./f16.ts";

/**
 * Dequantizes `numElements` values of `dtype` from `bytes` into `out` (allocated when not
 * given) and returns it.
 *
 * @example
 * ```ts
 * import { dequantize } from "@loom/core";
 * const bytes = new Uint8Array(new Uint16Array([0x3c00, 0x4000]).buffer); // f16 1, 2
 * console.log(dequantize("f16", bytes, 2)); // Float32Array(2) [ 1, 2 ]
 * ```
 */
export function dequantize(
  dtype: DType,
  bytes: Uint8Array,
  numElements: number,
  out: Float32Array = new Float32Array(numElements),
): Float32Array {
  const need = byteLengthOf(dtype, numElements);
  if (bytes.length < need) {
    throw new UnsupportedDTypeError(`${dtype}: ${bytes.length} bytes for ${numElements} values`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "f32":
      for (let i = 0; i < numElements; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case "f16":
      for (let i = 0; i < numElements; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
      return out;
    case "bf16":
      for (let i = 0; i < numElements; i++) out[i] = bf16ToF32(view.getUint16(i * 2, true));
      return out;
    default:
      throw new UnsupportedDTypeError(dtype);
  }
}
