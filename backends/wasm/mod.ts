/**
 * @loom/wasm — the WASM-SIMD backend: C kernels compiled to WebAssembly SIMD128, weights
 * resident in their stored dtype, Workers over one shared memory.
 *
 * @example
 * ```ts
 * import { WasmBackend } from "@loom/wasm";
 * const backend = await WasmBackend.create({ numThreads: 1 });
 * console.log(backend.name); // "wasm"
 * backend.dispose();
 * ```
 *
 * @module
 */
export * from "./backend.ts";
export { WasmMemoryError } from "./_heap.ts";
export type { SimdLevel } from "./_kernels.ts";
