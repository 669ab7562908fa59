/**
 * Loom's OpenAI-compatible server as `bench:serve --spawn loom` runs it: the same handler as
 * `deno task serve`, over any bench backend, with the flags a benchmark varies that `loom serve`
 * does not have: the KV-cache dtype (`--kv-dtype`, f32 by default as in `loom serve`) and the
 * chunked-prefill budget (`--max-batch-tokens`).
 *
 * ```sh
 * deno run -A bench/_loom_server.ts --model bench/.models/loom-bench-135m-q8_0-v1.gguf \
 *   --backend wasm --threads 2 --port 8000 --max-batch-tokens 128 --kv-blocks 256
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createHandler, Engine, Model, PagedCacheManager } from "@loom/core";
import { createScheduler } from "../cli/_engine_flags.ts";
import { createBenchBackend, kvDTypeFlag } from "./_loom_decode.ts";

if (import.meta.main) {
  const { values: a } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string" },
      backend: { type: "string", default: "wasm" },
      threads: { type: "string", default: String(navigator.hardwareConcurrency) },
      activations: { type: "string", default: "q8" },
      port: { type: "string", default: "8000" },
      scheduler: { type: "string", default: "fcfs" },
      "pack-prefills": { type: "string" },
      "kv-blocks": { type: "string", default: "512" },
      "block-size": { type: "string", default: "16" },
      "max-batch-tokens": { type: "string", default: "128" },
      "kv-dtype": { type: "string", default: "f32" },
      "max-seqs": { type: "string", default: "64" },
    },
  });
  if (!a.model) throw new Error("--model is required");
  const backend = await createBenchBackend(
    a.backend,
    Number(a.threads),
    a.activations as "f32" | "q8",
  );
  const maxBatchTokens = Number(a["max-batch-tokens"]);
  const model = await Model.load(a.model, {
    backend,
    maxBatchTokens,
    maxLogitRows: Number(a["max-seqs"]),
  });
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({
      numBlocks: Number(a["kv-blocks"]),
      blockSize: Number(a["block-size"]),
    }),
    scheduler: createScheduler(a.scheduler, a["pack-prefills"]),
    kvDType: kvDTypeFlag(a["kv-dtype"]),
    maxBatchTokens,
    maxBatchSeqs: Number(a["max-seqs"]),
  });
  const handler = createHandler(engine);
  Deno.serve({
    hostname: "127.0.0.1",
    port: Number(a.port),
    onListen: ({ port }) => console.error(`loom (${backend.name}) listening on ${port}`),
  }, handler);
}
