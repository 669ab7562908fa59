/**
 * Picking a backend where the page runs: WASM-SIMD on every core when shared memory is
 * allowed (a cross-origin-isolated page, or Deno), else WebGPU when `navigator.gpu` gives an
 * adapter, else the plain-TypeScript reference backend.
 *
 * @module
 */
import type { Backend } from "../core/backend.ts";
import { InvalidParameterError } from "../core/errors.ts";
import { ReferenceBackend } from "../backends/reference/mod.ts";
import { WasmBackend } from "../backends/wasm/mod.ts";
import { WebGpuBackend } from "../backends/webgpu/mod.ts";

/** Backends {@linkcode pickBackend} knows; `auto` tries them in that order. */
export const BROWSER_BACKENDS = ["auto", "wasm", "webgpu", "reference"] as const;

/** A name in {@linkcode BROWSER_BACKENDS}. */
export type BrowserBackendName = typeof BROWSER_BACKENDS[number];

/** Options of {@linkcode pickBackend}. */
export interface PickBackendOptions {
  /** WASM threads, the calling one included (default `navigator.hardwareConcurrency`). */
  readonly numThreads?: number;
  /** Told why each backend `auto` skipped could not start. */
  readonly onSkip?: (name: string, reason: string) => void;
}

/** Whether this context may share a `WebAssembly.Memory` with workers. */
function canShareMemory(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer === "function" && isolated !== false;
}

async function createWasm(numThreads: number | undefined): Promise<Backend> {
  if (!canShareMemory()) {
    throw new Error("shared memory needs a cross-origin-isolated page (COOP/COEP headers)");
  }
  return await WasmBackend.create(numThreads === undefined ? {} : { numThreads });
}

/**
 * Creates the named backend; `auto` takes the first of wasm, webgpu, reference that starts.
 * A named backend that cannot start throws.
 *
 * @example
 * ```ts
 * import { pickBackend } from "./pick_backend.ts";
 * const skipped: string[] = [];
 * const backend = await pickBackend("auto", { numThreads: 1, onSkip: (n) => skipped.push(n) });
 * console.log(["wasm", "webgpu", "reference"].includes(backend.name)); // true
 * backend.dispose();
 * ```
 */
export async function pickBackend(
  name: BrowserBackendName = "auto",
  options: PickBackendOptions = {},
): Promise<Backend> {
  switch (name) {
    case "wasm":
      return await createWasm(options.numThreads);
    case "webgpu":
      return await WebGpuBackend.create();
    case "reference":
      return new ReferenceBackend();
    case "auto":
      break;
    default:
      throw new InvalidParameterError(
        "backend",
        `unknown backend ${name} (${BROWSER_BACKENDS.join(", ")})`,
      );
  }
  for (const next of ["wasm", "webgpu"] as const) {
    if (next === "webgpu" && !(globalThis.navigator as Navigator | undefined)?.gpu) {
      options.onSkip?.(next, "navigator.gpu is missing");
      continue;
    }
    try {
      return await pickBackend(next, options);
    } catch (e) {
      options.onSkip?.(next, e instanceof Error ? e.message : String(e));
    }
  }
  return new ReferenceBackend();
}
