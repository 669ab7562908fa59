/**
 * Quantizers: f32 values → stored bytes of a dtype, the inverse of
 * {@linkcode dequantize}. Loom's test-model generator writes GGUF files with them. They use
 * GGML's block layouts and natural round-to-nearest schemes (not bit-for-bit llama.cpp's
 * rounding): Q8_0 d = max|x| / 127; Q4_0/Q5_0 map the signed value of largest magnitude to
 * −8/−16; Q4_1/Q5_1 use min and (max − min) / levels; the K-quants search a scale (and min)
 * per sub-block and store them quantized against an f16 super-block scale.
 *
 * @module
 */
import { byteLengthOf, type DType, dtypeInfo } from "../dtype.ts";
import { InvalidParameterError, UnsupportedDTypeError } from "../errors.ts";
import { f32ToBf16, f32ToF16 } from "./f16.ts";
import { quantizeIQ4_NL, quantizeIQ4_XS } from "./_iq4.ts";
import {
  quantizeQ4_0,
  quantizeQ4_1,
  quantizeQ5_0,
  quantizeQ5_1,
  quantizeQ8_0,
} from "./_legacy_quantize.ts";
import {
  quantizeQ2_K,
  quantizeQ3_K,
  quantizeQ4_K,
  quantizeQ5_K,
  quantizeQ6_K,
} from "./_k_quantize.ts";

type BlockQuantizer = (x: Float32Array, dst: Uint8Array, numBlocks: number) => void;

const BLOCK_QUANTIZERS: Readonly<Partial<Record<DType, BlockQuantizer>>> = {
  q8_0: quantizeQ8_0,
  q4_0: quantizeQ4_0,
  q4_1: quantizeQ4_1,
  q5_0: quantizeQ5_0,
  q5_1: quantizeQ5_1,
  q2_k: quantizeQ2_K,
  q3_k: quantizeQ3_K,
  q4_k: quantizeQ4_K,
  q5_k: quantizeQ5_K,
  q6_k: quantizeQ6_K,
  iq4_nl: quantizeIQ4_NL,
  iq4_xs: quantizeIQ4_XS,
};

/**
 * Quantizes `values` to `dtype` and returns the stored bytes (`byteLengthOf(dtype,
 * values.length)` of them). For the block formats `values.length` must be a multiple of the
 * block size (32, or 256 for the K-quants) and every value must be finite; block scales are
 * clamped to the f16 range.
 *
 * @example
 * ```ts
 * import { dequantize, quantize } from "@loom/core";
 * const x = new Float32Array(32).map((_, i) => i === 0 ? -127 : i - 16);
 * const bytes = quantize("q8_0", x); // 34 bytes: f16 d = 127/127, then 32 int8 values
 * const y = dequantize("q8_0", bytes, 32);
 * console.log(bytes.length, y[0], y[31]); // 34 -127 15
 * ```
 */
export function quantize(dtype: DType, values: Float32Array): Uint8Array {
  const numValues = values.length;
  const out = new Uint8Array(byteLengthOf(dtype, numValues));
  switch (dtype) {
    case "f32":
      out.set(new Uint8Array(values.buffer, values.byteOffset, numValues * 4));
      return out;
    case "f16":
    case "bf16": {
      const encode = dtype === "f16" ? f32ToF16 : f32ToBf16;
      for (let i = 0; i < numValues; i++) {
        const bits = encode(values[i]!);
        out[2 * i] = bits & 0xff;
        out[2 * i + 1] = bits >> 8;
      }
      return out;
    }
  }
  const blockQuantizer = BLOCK_QUANTIZERS[dtype];
  if (blockQuantizer === undefined) throw new UnsupportedDTypeError(dtype);
  for (let i = 0; i < numValues; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new InvalidParameterError(
        "values",
        `value ${i} is ${values[i]}; ${dtype} needs finite values`,
      );
    }
  }
  blockQuantizer(values, out, numValues / dtypeInfo(dtype).blockElements);
  return out;
}
