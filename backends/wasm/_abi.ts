/**
 * The kernels' ABI shared by the calling thread and the workers: exported names, the
 * dispatchable kernel list, and instantiation on the shared memory.
 *
 * @module
 */

/** Kernels workers can run, by index (the dispatch word in the thread control block). */
export const KERNELS = [
  "k_embed",
  "k_matmul",
  "k_rms_norm",
  "k_rope",
  "k_silu_mul",
  "k_add",
  "k_kv_write",
  "k_attention",
  "k_read",
  "k_quantize_q8",
  "k_matmul_q8",
  "k_dot_peak",
] as const;

/** A kernel's name. */
export type KernelName = typeof KERNELS[number];

/** A dispatchable kernel: `(argsPtr, ith, nth)`. */
export type KernelFn = (args: number, ith: number, nth: number) => void;

/**
 * A load-time repacker: `numRows` rows of `blocksPerRow` GGML blocks at `src` into a quant
 * plane at `qs` and a scale plane at `scales` (layouts in `_src/common.h`).
 */
export type RepackFn = (
  src: number,
  numRows: number,
  blocksPerRow: number,
  qs: number,
  scales: number,
) => void;

/** What the module exports. */
export type KernelExports = Record<KernelName, KernelFn> & {
  __stack_pointer: WebAssembly.Global;
  __heap_base: WebAssembly.Global;
  repack_q8_0: RepackFn;
  repack_q4_0: RepackFn;
  repack_q4_1: RepackFn;
  repack_q5_0: RepackFn;
  repack_q5_1: RepackFn;
  repack_iq4_xs: RepackFn;
  repack_q2_k: RepackFn;
  repack_q3_k: RepackFn;
  repack_q4_k: RepackFn;
  repack_q5_k: RepackFn;
  repack_q6_k: RepackFn;
  dequant_rows(desc: number, row0: number, numRows: number, dst: number): void;
  /** 1 when the relaxed int8 dot is exact for unsigned bytes above 127 (x86 AVX-VNNI). */
  probe_u8dot(): number;
};

/** Instantiates the module on `memory` and sets this instance's stack pointer. */
export function instantiate(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  stackTop?: number,
): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  if (stackTop !== undefined) exports.__stack_pointer.value = stackTop;
  return exports;
}
