/**
 * Reference dequantization: stored bytes of any supported dtype → f32 values. This is the
 * oracle every backend's kernels are checked against. The block layouts and formulas are
 * exactly GGML's (ggml-common.h / ggml-quants.c); the arithmetic is done in f64 and rounded
 * once to f32, which gives the same bits as GGML's f32 code because every intermediate
 * product of an f16 scale and a small integer is exact.
 *
 * @module
 */
import { byteLengthOf, type DType, dtypeInfo } from "../dtype.ts";
import { InvalidParameterError, UnsupportedDTypeError } from "../errors.ts";
import { halfTable } from "./_half.ts";
import {
  dequantQ4_0,
  dequantQ4_1,
  dequantQ5_0,
  dequantQ5_1,
  dequantQ8_0,
} from "./_legacy_dequant.ts";
import { dequantQ2_K, dequantQ3_K, dequantQ4_K, dequantQ5_K, dequantQ6_K } from "./_k_dequant.ts";
import { dequantIQ4_NL, dequantIQ4_XS } from "./_iq4.ts";

type BlockDequantizer = (src: Uint8Array, dst: Float32Array, numBlocks: number) => void;

const BLOCK_DEQUANTIZERS: Readonly<Partial<Record<DType, BlockDequantizer>>> = {
  q8_0: dequantQ8_0,
  q4_0: dequantQ4_0,
  q4_1: dequantQ4_1,
  q5_0: dequantQ5_0,
  q5_1: dequantQ5_1,
  q2_k: dequantQ2_K,
  q3_k: dequantQ3_K,
  q4_k: dequantQ4_K,
  q5_k: dequantQ5_K,
  q6_k: dequantQ6_K,
  iq4_nl: dequantIQ4_NL,
  iq4_xs: dequantIQ4_XS,
};

/**
 * Dequantizes `numElements` values of `dtype` from `bytes` into `out` (allocated when not
 * given) and returns it. `numElements` must be a multiple of the dtype's block size.
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
  if (out.length < numElements) {
    throw new InvalidParameterError("out", `holds ${out.length} values, need ${numElements}`);
  }
  switch (dtype) {
    case "f32":
      // Byte copy: works for any alignment of `bytes` (hosts are little-endian, as GGUF).
      new Uint8Array(out.buffer, out.byteOffset, need).set(bytes.subarray(0, need));
      return out;
    case "f16": {
      const half = halfTable();
      for (let i = 0; i < numElements; i++) {
        out[i] = half[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
      }
      return out;
    }
    case "bf16": {
      // bf16 is the top half of an f32: place its bits there.
      const bits = new Uint32Array(out.buffer, out.byteOffset, numElements);
      for (let i = 0; i < numElements; i++) {
        bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
      }
      return out;
    }
  }
  const blockDequantizer = BLOCK_DEQUANTIZERS[dtype];
  if (blockDequantizer === undefined) throw new UnsupportedDTypeError(dtype);
  blockDequantizer(bytes, out, numElements / dtypeInfo(dtype).blockElements);
  return out;
}

/**
 * Bytes taken by one matrix row of `numCols` values of `dtype` (rows of a quantized matrix
 * are whole blocks, so `numCols` must be a multiple of the block size).
 *
 * @example
 * ```ts
 * import { rowByteLength } from "@loom/core";
 * console.log(rowByteLength("q4_k", 512)); // 288
 * ```
 */
export function rowByteLength(dtype: DType, numCols: number): number {
  return byteLengthOf(dtype, numCols);
}

/**
 * Dequantizes row `row` of a row-major `[numRows, numCols]` matrix stored in `bytes` (e.g.
 * one token's embedding) into `out` (allocated when not given) and returns it.
 *
 * @example
 * ```ts
 * import { dequantizeRow, quantize } from "@loom/core";
 * const matrix = quantize("q8_0", new Float32Array(64).map((_, i) => i < 32 ? 1 : -127));
 * console.log(dequantizeRow("q8_0", matrix, 1, 32)[0]); // -127
 * ```
 */
export function dequantizeRow(
  dtype: DType,
  bytes: Uint8Array,
  row: number,
  numCols: number,
  out: Float32Array = new Float32Array(numCols),
): Float32Array {
  const rowBytes = rowByteLength(dtype, numCols);
  if (!Number.isInteger(row) || row < 0 || (row + 1) * rowBytes > bytes.length) {
    throw new InvalidParameterError("row", `row ${row} is outside the ${bytes.length}-byte matrix`);
  }
  return dequantize(dtype, bytes.subarray(row * rowBytes, (row + 1) * rowBytes), numCols, out);
}
