/**
 * Loom — an LLM inference-serving SDK for Deno: the core (models, tokenizers, paged KV
 * cache, engine, server pieces), the backends and the schedulers in one import.
 *
 * @example
 * ```ts
 * import { buildDemoModel, Engine, FcfsScheduler, PagedCacheManager, ReferenceBackend } from "./mod.ts";
 * const engine = new Engine({
 *   model: await buildDemoModel(new ReferenceBackend()),
 *   cache: new PagedCacheManager({ numBlocks: 64 }),
 *   scheduler: new FcfsScheduler(),
 * });
 * for await (const d of engine.generate("Hello", { maxTokens: 4, temperature: 0 })) {
 *   console.log(d.tokenIds.length); // 1 per step
 * }
 * ```
 *
 * @module
 */
export * from "@loom/core";
export * from "@loom/reference";
export * from "@loom/webgpu";
export * from "@loom/schedulers";
