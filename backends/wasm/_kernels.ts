/**
 * The compiled kernels: picks the relaxed-SIMD build when the engine validates it, else the
 * plain SIMD128 build.
 *
 * @module
 */
import { BackendError } from "@loom/core";
import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from "./_kernels.generated.ts";

/** Which build to run: `auto` prefers relaxed SIMD (fused multiply-add) when available. */
export type SimdLevel = "auto" | "relaxed" | "simd";

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Compiles the chosen build. */
export async function compileKernels(
  level: SimdLevel,
): Promise<{ module: WebAssembly.Module; relaxed: boolean }> {
  if (typeof WebAssembly?.validate !== "function") {
    throw new BackendError("WebAssembly is not available", "wasm");
  }
  const relaxedBytes = level === "simd" ? undefined : decode(RELAXED_WASM_BASE64);
  const relaxed = relaxedBytes !== undefined && WebAssembly.validate(relaxedBytes);
  if (level === "relaxed" && !relaxed) {
    throw new BackendError("this engine does not support relaxed SIMD", "wasm");
  }
  const bytes = relaxed ? relaxedBytes! : decode(SIMD_WASM_BASE64);
  if (!WebAssembly.validate(bytes)) {
    throw new BackendError("this engine does not support WebAssembly SIMD128", "wasm");
  }
  return { module: await WebAssembly.compile(bytes), relaxed };
}
