/**
 * The browser-safe part of `@loom/core`: everything in `mod.ts` except what needs Deno's file
 * system or a server — `GgufFile` / `GgufSplit` (files), safetensors folders, the Hugging Face
 * hub download, `readModelInfo`, the test writers of Hugging Face folders, and the HTTP server
 * pieces. In a page or a Web Worker, load a model from bytes (`Model.fromGguf(new
 * GgufBuffer(bytes), ...)`); `scripts/build_browser.ts` bundles this entry.
 *
 * @example
 * ```ts
 * import { buildDemoModel, Engine, PagedCacheManager } from "./browser.ts";
 * import { ReferenceBackend } from "@loom/reference";
 * import { FcfsScheduler } from "@loom/schedulers";
 * const engine = new Engine({
 *   model: await buildDemoModel(new ReferenceBackend()),
 *   cache: new PagedCacheManager({ numBlocks: 64 }),
 *   scheduler: new FcfsScheduler(),
 * });
 * let n = 0;
 * for await (const d of engine.generate("Hi", { maxTokens: 3, temperature: 0 })) {
 *   n += d.tokenIds.length;
 * }
 * console.log(n); // 3
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./dtype.ts";
export * from "./backend.ts";
export * from "./model/weights.ts";
export {
  GgufBuffer,
  type GgufHeader,
  type GgufTensorInfo,
  type GgufValue,
  parseGgufHeader,
} from "./model/gguf.ts";
export * from "./model/gguf_writer.ts";
export * from "./model/config.ts";
export * from "./model/forward_batch.ts";
export * from "./quant/f16.ts";
export * from "./quant/dequantize.ts";
export * from "./quant/quantize.ts";
export * from "./tokenizer/tokenizer.ts";
export * from "./model/batch_builder.ts";
export * from "./model/transformer.ts";
export * from "./cache/cache_manager.ts";
export * from "./scheduler.ts";
export * from "./engine/rng.ts";
export * from "./engine/sampling_params.ts";
export * from "./engine/sampler.ts";
export * from "./engine/stop_matcher.ts";
export * from "./cache/paged_cache_manager.ts";
export * from "./model/test_model.ts";
export * from "./model/model.ts";
export * from "./engine/engine_model.ts";
export * from "./engine/request_state.ts";
export * from "./engine/stats.ts";
export * from "./engine/engine.ts";
export * from "./tokenizer/gguf_vocab.ts";
export * from "./tokenizer/detokenizer.ts";
export * from "./tokenizer/hf_tokenizer.ts";
export * from "./tokenizer/tokenizer_json.ts";
export * from "./model/hf_config.ts";
export * from "./tokenizer/chat_template.ts";
export * from "./engine/chat_prompt.ts";
