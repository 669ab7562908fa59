/**
 * Loom for web pages and Web Workers: the browser-safe core (engine, paged cache, models from
 * bytes, tokenizers, chat templates), the reference, WASM-SIMD and WebGPU backends, the
 * schedulers, and loading a model from a URL. `deno task build:browser` bundles this module
 * into `dist/loom.js` (an ES module with the WASM kernels and WGSL shaders inlined).
 *
 * @example
 * ```ts
 * import {
 *   Engine,
 *   FcfsScheduler,
 *   loadModelFromUrl,
 *   PagedCacheManager,
 *   pickBackend,
 *   writeTestModelGguf,
 * } from "./mod.ts";
 * // in a page: loadModelFromUrl("https://example.com/model.gguf", ...)
 * const url = URL.createObjectURL(new Blob([new Uint8Array(writeTestModelGguf())]));
 * const backend = await pickBackend("reference");
 * const model = await loadModelFromUrl(url, { backend });
 * const engine = new Engine({
 *   model,
 *   cache: new PagedCacheManager({ numBlocks: 64 }),
 *   scheduler: new FcfsScheduler(),
 * });
 * let n = 0;
 * for await (const d of engine.generate("Hi", { maxTokens: 4, temperature: 0 })) {
 *   n += d.tokenIds.length;
 * }
 * console.log(n); // 4
 * URL.revokeObjectURL(url);
 * ```
 *
 * @module
 */
export * from "../core/browser.ts";
export * from "../backends/reference/mod.ts";
export * from "../backends/wasm/mod.ts";
export * from "../backends/webgpu/mod.ts";
export * from "../schedulers/mod.ts";
export * from "./fetch_model.ts";
export * from "./pick_backend.ts";
