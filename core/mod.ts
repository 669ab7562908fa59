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
export * from "./model/safetensors.ts";
export * from "./model/safetensors_writer.ts";
export * from "./model/hf_config.ts";
export * from "./model/hub.ts";
export * from "./model/test_model_hf.ts";
export * from "./model/model_info.ts";
export * from "./model/gguf_split.ts";
export * from "./tokenizer/chat_template.ts";
export * from "./server/http_errors.ts";
export * from "./server/read_body.ts";
export * from "./server/request_params.ts";
export * from "./server/completion_request.ts";
export * from "./server/chat_request.ts";
export * from "./server/sse.ts";
export * from "./server/openai_response.ts";
export * from "./server/histogram.ts";
export * from "./server/prometheus.ts";
export * from "./server/handler.ts";
export * from "./engine/chat_prompt.ts";
