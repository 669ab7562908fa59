import { type Backend, InvalidParameterError } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { WasmBackend } from "@loom/wasm";
import { WebGpuBackend } from "@loom/webgpu";

/** Backends the CLI can create. */
export const BACKEND_NAMES = ["reference", "wasm", "webgpu", "auto"] as const;

/** Options of the WASM backend the CLI creates. */
export interface CliBackendOptions {
  /** Threads (default: every core). */
  readonly threads?: number | undefined;
  /** Matmul activations (default `f32`, exact; `q8` quantizes per block as llama.cpp). */
  readonly activations?: "f32" | "q8" | undefined;
}

/**
 * Creates a backend by name. `auto` picks WebGPU when a hardware adapter exists, else WASM
 * (a software WebGPU adapter such as llvmpipe is slower than WASM).
 */
export async function createBackend(name: string, o: CliBackendOptions = {}): Promise<Backend> {
  const wasm = () =>
    WasmBackend.create({
      numThreads: o.threads ?? navigator.hardwareConcurrency,
      activations: o.activations ?? "f32",
    });
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    case "wasm":
      return await wasm();
    case "webgpu":
      return await WebGpuBackend.create();
    case "auto": {
      const adapter = "gpu" in navigator ? await navigator.gpu.requestAdapter() : null;
      return adapter && !adapter.info.isFallbackAdapter
        ? await WebGpuBackend.create()
        : await wasm();
    }
    default:
      throw new InvalidParameterError(
        "backend",
        `unknown backend ${name} (${BACKEND_NAMES.join(", ")})`,
      );
  }
}

/** One line on the backend: its name, and for WASM its threads and activations. */
export function describeBackend(backend: Backend): string {
  return backend instanceof WasmBackend
    ? `${backend.name}, ${backend.numThreads} threads, ${backend.activations} activations`
    : backend.name;
}
