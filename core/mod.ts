/**
 * @loom/core — Loom's backend-agnostic heart: contracts (Backend/Ops, Model, CacheManager,
 * Scheduler, Engine), model files (GGUF, safetensors), tokenizers, chat templates, the
 * paged KV-cache manager, the engine and the server pieces.
 *
 * @example
 * ```ts
 * import { GgufFile } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * console.log(f.metadata["general.architecture"]); // "llama"
 * f.close();
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./dtype.ts";
export * from "./backend.ts";
export * from "./model/weights.ts";
export * from "./model/gguf.ts";
export * from "./model/gguf_writer.ts";
export * from "./model/config.ts";
export * from "./model/forward_batch.ts";
export * from "./quant/f16.ts";
export * from "./quant/dequantize.ts";
export * from "./tokenizer/tokenizer.ts";
export * from "./model/batch_builder.ts";
export * from "./model/transformer.ts";
