/**
 * Tensor data types Loom reads from model files, with their GGML type ids and block
 * layouts (elements per block, bytes per block).
 *
 * @module
 */
import { UnsupportedDTypeError } from "./errors.ts";

/** A weight data type: plain floats or one of GGML's block-quantized formats. */
export type DType =
  | "f32"
  | "f16"
  | "bf16"
  | "q8_0"
  | "q4_0"
  | "q4_1"
  | "q5_0"
  | "q5_1"
  | "q2_k"
  | "q3_k"
  | "q4_k"
  | "q5_k"
  | "q6_k"
  | "iq4_nl"
  | "iq4_xs";

/** Layout of one dtype: `blockElements` values are stored in `blockBytes` bytes. */
export interface DTypeInfo {
  /** GGML's numeric type id (as stored in GGUF tensor infos). */
  readonly ggmlType: number;
  /** Values per block (1 for plain floats). */
  readonly blockElements: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

const INFO: Readonly<Record<DType, DTypeInfo>> = {
  f32: { ggmlType: 0, blockElements: 1, blockBytes: 4 },
  f16: { ggmlType: 1, blockElements: 1, blockBytes: 2 },
  q4_0: { ggmlType: 2, blockElements: 32, blockBytes: 18 },
  q4_1: { ggmlType: 3, blockElements: 32, blockBytes: 20 },
  q5_0: { ggmlType: 6, blockElements: 32, blockBytes: 22 },
  q5_1: { ggmlType: 7, blockElements: 32, blockBytes: 24 },
  q8_0: { ggmlType: 8, blockElements: 32, blockBytes: 34 },
  q2_k: { ggmlType: 10, blockElements: 256, blockBytes: 84 },
  q3_k: { ggmlType: 11, blockElements: 256, blockBytes: 110 },
  q4_k: { ggmlType: 12, blockElements: 256, blockBytes: 144 },
  q5_k: { ggmlType: 13, blockElements: 256, blockBytes: 176 },
  q6_k: { ggmlType: 14, blockElements: 256, blockBytes: 210 },
  iq4_nl: { ggmlType: 20, blockElements: 32, blockBytes: 18 },
  iq4_xs: { ggmlType: 23, blockElements: 256, blockBytes: 136 },
  bf16: { ggmlType: 30, blockElements: 1, blockBytes: 2 },
};

/**
 * Every dtype Loom reads, plain floats first.
 *
 * @example
 * ```ts
 * import { DTYPES } from "@loom/core";
 * console.log(DTYPES.length, DTYPES.includes("q6_k")); // 15 true
 * ```
 */
export const DTYPES: readonly DType[] = [
  "f32",
  "f16",
  "bf16",
  "q8_0",
  "q4_0",
  "q4_1",
  "q5_0",
  "q5_1",
  "q2_k",
  "q3_k",
  "q4_k",
  "q5_k",
  "q6_k",
  "iq4_nl",
  "iq4_xs",
];

const BY_GGML = new Map<number, DType>(
  (Object.entries(INFO) as [DType, DTypeInfo][]).map(([k, v]) => [v.ggmlType, k]),
);

/** Names GGML gives the type ids Loom does not read, for clear error messages. */
const GGML_OTHER_NAMES: Readonly<Record<number, string>> = {
  9: "q8_1",
  15: "q8_k",
  16: "iq2_xxs",
  17: "iq2_xs",
  18: "iq3_xxs",
  19: "iq1_s",
  21: "iq3_s",
  22: "iq2_s",
  24: "i8",
  25: "i16",
  26: "i32",
  27: "i64",
  28: "f64",
  29: "iq1_m",
};

/**
 * Layout of a dtype.
 *
 * @example
 * ```ts
 * import { dtypeInfo } from "@loom/core";
 * console.log(dtypeInfo("q8_0").blockBytes); // 34
 * ```
 */
export function dtypeInfo(dtype: DType): DTypeInfo {
  return INFO[dtype];
}

/**
 * Maps a GGML type id to a Loom dtype; throws {@linkcode UnsupportedDTypeError} for ids
 * Loom does not read.
 *
 * @example
 * ```ts
 * import { dtypeFromGgml } from "@loom/core";
 * console.log(dtypeFromGgml(8)); // "q8_0"
 * ```
 */
export function dtypeFromGgml(ggmlType: number, tensor?: string): DType {
  const d = BY_GGML.get(ggmlType);
  if (d === undefined) {
    throw new UnsupportedDTypeError(GGML_OTHER_NAMES[ggmlType] ?? `ggml type ${ggmlType}`, tensor);
  }
  return d;
}

/**
 * True when `s` names a Loom dtype.
 *
 * @example
 * ```ts
 * import { isDType } from "@loom/core";
 * console.log(isDType("q4_k"), isDType("int4")); // true false
 * ```
 */
export function isDType(s: string): s is DType {
  return Object.hasOwn(INFO, s);
}

/**
 * Bytes taken by `numElements` values of `dtype`. `numElements` must be a multiple of the
 * block size (the row length of a quantized matrix always is).
 *
 * @example
 * ```ts
 * import { byteLengthOf } from "@loom/core";
 * console.log(byteLengthOf("q4_0", 64)); // 36
 * ```
 */
export function byteLengthOf(dtype: DType, numElements: number): number {
  const { blockElements, blockBytes } = INFO[dtype];
  if (numElements % blockElements !== 0) {
    throw new UnsupportedDTypeError(
      `${dtype} with ${numElements} elements (not a multiple of ${blockElements})`,
    );
  }
  return (numElements / blockElements) * blockBytes;
}
