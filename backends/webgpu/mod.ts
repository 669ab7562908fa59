/**
 * @loom/webgpu — the WebGPU backend: WGSL kernels (one file per kernel in `kernels/`),
 * weights kept in their file format (every GGUF dtype Loom reads) and
 * dequantized inside the kernels, f32 arithmetic, one command buffer per step.
 *
 * @example
 * ```ts
 * import { WebGpuBackend } from "@loom/webgpu";
 * const backend = await WebGpuBackend.create();
 * console.log(backend.name); // "webgpu"
 * backend.dispose();
 * ```
 *
 * @module
 */
export * from "./backend.ts";
export {
  CPU_ADAPTER_KERNEL_SIZES,
  DEFAULT_KERNEL_SIZES,
  type KernelSizes,
  WEIGHT_DTYPES,
  type WeightDType,
} from "./kernel_specs.ts";
export { WebGpuOps } from "./ops.ts";
export type { WebGpuDeviceOptions } from "./_device.ts";
