import { type Backend, InvalidParameterError } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { WasmBackend } from "@loom/wasm";
import { WebGpuBackend } from "@loom/webgpu";

/** Backends the CLI can create. */
export const BACKEND_NAMES = ["reference", "wasm", "webgpu", "auto"] as const;

/**
 * Creates a backend by name. `auto` picks WebGPU when a hardware adapter exists, else WASM
 * (a software WebGPU adapter such as llvmpipe is slower than WASM).
 */
export async function createBackend(name: string): Promise<Backend> {
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    case "wasm":
      return await WasmBackend.create({ numThreads: navigator.hardwareConcurrency });
    case "webgpu":
      return await WebGpuBackend.create();
    case "auto": {
      const adapter = "gpu" in navigator ? await navigator.gpu.requestAdapter() : null;
      return adapter && !adapter.info.isFallbackAdapter
        ? await WebGpuBackend.create()
        : await WasmBackend.create({ numThreads: navigator.hardwareConcurrency });
    }
    default:
      throw new InvalidParameterError(
        "backend",
        `unknown backend ${name} (${BACKEND_NAMES.join(", ")})`,
      );
  }
}
