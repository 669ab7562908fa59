/**
 * The memory-bandwidth roofline of batch-1 decode: a decode step reads every weight once, so
 * tokens/s ≤ read bandwidth ÷ weight bytes per token. Bandwidth is measured with the WASM
 * backend's read kernel (`k_read`: SIMD128 loads summed over 256 MiB on every thread), in
 * the same run as the figures it bounds.
 *
 * @module
 */
import { GgufFile } from "@loom/core";
import { WasmBackend } from "@loom/wasm";

/**
 * Bytes of weights one decode token reads from a GGUF file: every tensor except the
 * embedding table, of which one row is read (the whole table when it is also the LM head).
 *
 * @example
 * ```ts
 * import { weightBytesPerToken } from "./_roofline.ts";
 * const n = await weightBytesPerToken("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * console.log(n > 0); // true
 * ```
 */
export async function weightBytesPerToken(path: string): Promise<number> {
  const f = await GgufFile.open(path);
  try {
    const tied = !f.header.tensors.some((t) => t.name === "output.weight");
    return f.header.tensors
      .filter((t) => tied || t.name !== "token_embd.weight")
      .reduce((a, t) => a + t.byteLength, 0);
  } finally {
    f.close();
  }
}

/**
 * Read bandwidth in GB/s on `numThreads` threads (best of 7 passes over 256 MiB).
 *
 * @example
 * ```ts ignore
 * import { measureReadBandwidth } from "./_roofline.ts";
 * console.log(await measureReadBandwidth(2)); // e.g. 30.5
 * ```
 */
export async function measureReadBandwidth(numThreads: number): Promise<number> {
  const backend = await WasmBackend.create({ numThreads });
  try {
    return backend.measureReadBandwidth();
  } finally {
    backend.dispose();
  }
}
