/**
 * Kernel sizes (override constants) and the pipeline spec of every op variant: which kernel
 * file and entry point, which bindings, which constants.
 *
 * @module
 */
import { BackendError } from "@loom/core";
import type { PipelineSpec } from "./_pipelines.ts";

/** Weight dtypes with a matmul/embed kernel (the kernel file has the dtype's name). */
export const WEIGHT_DTYPES = [
  "f32",
  "f16",
  "bf16",
  "q8_0",
  "q2_k",
  "q3_k",
  "q4_0",
  "q4_1",
  "q5_0",
  "q5_1",
  "q4_k",
  "q5_k",
  "q6_k",
  "iq4_nl",
  "iq4_xs",
] as const;
/** One of {@linkcode WEIGHT_DTYPES}. */
export type WeightDType = typeof WEIGHT_DTYPES[number];

/** Workgroup sizes of the kernels (override constants). */
export interface KernelSizes {
  /** Threads of a matmul workgroup. */
  readonly matmulWorkgroup: number;
  /** Most threads sharing one weight row in a matmul (a power of two ≤ matmulWorkgroup). */
  readonly matmulThreadsPerRow: number;
  /**
   * Fewest units (32-value blocks, or values of F32/F16 rows) each of a row's threads takes:
   * short rows get fewer threads.
   */
  readonly matmulUnitsPerThread: number;
  /** Activation rows per matmul workgroup when more than one row is live (at most 8). */
  readonly matmulTileRows: number;
  /** Threads of the element-wise, norm and attention workgroups (a power of two, ≥ 32). */
  readonly workgroup: number;
}

/** Defaults for GPUs: a warp-sized group of threads per weight row. */
export const DEFAULT_KERNEL_SIZES: KernelSizes = {
  matmulWorkgroup: 64,
  matmulThreadsPerRow: 32,
  matmulUnitsPerThread: 4,
  matmulTileRows: 8,
  workgroup: 64,
};

/**
 * Defaults for software adapters (llvmpipe, SwiftShader), which run a workgroup's threads as
 * SIMD lanes of one CPU thread: a thread per weight row (no reduction) is fastest there.
 */
export const CPU_ADAPTER_KERNEL_SIZES: KernelSizes = {
  matmulWorkgroup: 32,
  matmulThreadsPerRow: 1,
  matmulUnitsPerThread: 4,
  matmulTileRows: 8,
  workgroup: 64,
};

const RRW = ["read", "read", "write"] as const;

/** Weight dtypes with a kernel file of their own. */
type KernelDType = Exclude<
  WeightDType,
  "bf16" | "q4_1" | "q5_0" | "q5_1" | "q5_k" | "q2_k" | "q3_k" | "iq4_nl" | "iq4_xs"
>;

/** Weight dtypes that share a kernel file, and the override that picks them. */
const SHARED_KERNELS: Partial<Record<WeightDType, [KernelDType, string, number]>> = {
  f16: ["f16", "BF16", 0],
  bf16: ["f16", "BF16", 1],
  q4_0: ["q4_0", "FORMAT", 0],
  q4_1: ["q4_0", "FORMAT", 1],
  q5_0: ["q4_0", "FORMAT", 2],
  q5_1: ["q4_0", "FORMAT", 3],
  iq4_nl: ["q4_0", "FORMAT", 4],
  iq4_xs: ["q4_0", "FORMAT", 5],
  q4_k: ["q4_k", "Q5K", 0],
  q5_k: ["q4_k", "Q5K", 1],
  q6_k: ["q6_k", "FORMAT", 0],
  q3_k: ["q6_k", "FORMAT", 1],
  q2_k: ["q6_k", "FORMAT", 2],
};

/**
 * The WGSL file of a weight dtype's matmul and embed: BF16 shares F16's (override BF16), Q4_1,
 * Q5_0, Q5_1, IQ4_NL and IQ4_XS Q4_0's (override FORMAT), Q5_K Q4_K's (override Q5K), Q3_K and Q2_K Q6_K's
 * (override FORMAT).
 */
function weightKernel(dtype: WeightDType): KernelDType {
  return SHARED_KERNELS[dtype]?.[0] ?? (dtype as KernelDType);
}

/** The override that picks a shared kernel's dtype (none for the other kernels). */
function dtypeFlags(dtype: WeightDType): Record<string, number> {
  const shared = SHARED_KERNELS[dtype];
  return shared ? { [shared[1]]: shared[2] } : {};
}

/** Every pipeline spec the ops use, by name. */
export function kernelSpecs(s: KernelSizes): {
  matmul(dtype: WeightDType, tileRows: number): PipelineSpec;
  embed(dtype: WeightDType): PipelineSpec;
  common(): PipelineSpec[];
  rmsNorm(inPlace: boolean): PipelineSpec;
  add(alias: number): PipelineSpec;
  siluMul(alias: number): PipelineSpec;
  rope(_?: number): PipelineSpec;
  kvWrite(f16: boolean): PipelineSpec;
  attention(f16: boolean): PipelineSpec;
  gatherRows(_?: number): PipelineSpec;
  copy(): PipelineSpec;
} {
  const WG_SIZE = s.workgroup;
  const specs = {
    matmul: (dtype: WeightDType, tileRows: number): PipelineSpec => ({
      kernel: weightKernel(dtype),
      entry: "matmul",
      bindings: ["read", "read", "write", "read"],
      constants: { WG_SIZE: s.matmulWorkgroup, TILE_M: tileRows, ...dtypeFlags(dtype) },
    }),
    embed: (dtype: WeightDType): PipelineSpec => ({
      kernel: weightKernel(dtype),
      entry: "embed",
      bindings: ["read", "read", "write", "read"],
      constants: { WG_SIZE: s.matmulWorkgroup, ...dtypeFlags(dtype) },
    }),
    rmsNorm: (inPlace: boolean): PipelineSpec => ({
      kernel: "rms_norm",
      entry: "main",
      bindings: RRW,
      constants: { WG_SIZE, IN_PLACE: inPlace ? 1 : 0 },
    }),
    add: (alias: number): PipelineSpec => ({
      kernel: "add",
      entry: "main",
      bindings: RRW,
      constants: { WG_SIZE, ALIAS: alias },
    }),
    siluMul: (alias: number): PipelineSpec => ({
      kernel: "silu_mul",
      entry: "main",
      bindings: RRW,
      constants: { WG_SIZE, ALIAS: alias },
    }),
    rope: (_?: number): PipelineSpec => ({
      kernel: "rope",
      entry: "main",
      bindings: RRW,
      constants: { WG_SIZE },
    }),
    kvWrite: (f16: boolean): PipelineSpec => ({
      kernel: "kv_write",
      entry: "main",
      bindings: ["read", "read", "read", "write", "write"],
      constants: { WG_SIZE, F16_KV: f16 ? 1 : 0 },
    }),
    attention: (f16: boolean): PipelineSpec => ({
      kernel: "attention",
      entry: "main",
      bindings: ["read", "read", "read", "read", "read", "read", "write"],
      constants: { WG_SIZE, F16_KV: f16 ? 1 : 0 },
    }),
    gatherRows: (_?: number): PipelineSpec => ({
      kernel: "gather_rows",
      entry: "main",
      bindings: RRW,
      constants: { WG_SIZE },
    }),
    copy: (): PipelineSpec => ({
      kernel: "copy",
      entry: "main",
      bindings: ["read", "write"],
      constants: { WG_SIZE: 256 },
    }),
  };
  return {
    ...specs,
    common: () => [
      specs.rmsNorm(false),
      specs.rmsNorm(true),
      ...[0, 1, 2, 3].flatMap((a) => [specs.add(a), specs.siluMul(a)]),
      specs.rope(),
      specs.kvWrite(false),
      specs.kvWrite(true),
      specs.attention(false),
      specs.attention(true),
      specs.gatherRows(),
      specs.copy(),
    ],
  };
}

/** Throws a BackendError unless the sizes are powers of two the kernels accept. */
export function checkKernelSizes(s: KernelSizes): void {
  const pow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (
    !pow2(s.workgroup) || s.workgroup < 32 || !pow2(s.matmulThreadsPerRow) ||
    !pow2(s.matmulWorkgroup) || s.matmulThreadsPerRow > s.matmulWorkgroup ||
    !(s.matmulUnitsPerThread >= 1) ||
    !(s.matmulTileRows >= 1 && s.matmulTileRows <= 8)
  ) {
    throw new BackendError(`invalid kernel sizes ${JSON.stringify(s)}`, "webgpu");
  }
}
