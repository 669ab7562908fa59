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
// everything that also runs in a browser, then what needs Deno's file system or a server
export * from "./browser.ts";
export * from "./model/gguf.ts";
export * from "./model/gguf_split.ts";
export * from "./model/safetensors.ts";
export * from "./model/safetensors_writer.ts";
export * from "./model/hub.ts";
export * from "./model/test_model_hf.ts";
export * from "./model/model_info.ts";
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
