/**
 * Greedy generation through the real Engine (continuous batching, paged KV cache, FCFS)
 * gives the same tokens on WebGPU as on the reference backend, for requests served
 * concurrently, on the built-in demo model and on fixture models.
 */
import assert from "node:assert/strict";
import { type Backend, buildDemoModel, Engine, Model, PagedCacheManager } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";
import { WebGpuBackend } from "@loom/webgpu";
import { modelPath } from "../../tests/_llama_cpp_reference.ts";

if (!(await navigator.gpu?.requestAdapter())) {
  throw new Error("generate_test: no WebGPU adapter (navigator.gpu.requestAdapter() gave none)");
}

const PROMPTS = ["Once upon a time", "The capital of France is", "def fibonacci(n):"];

/** Token ids of greedy completions of every prompt, the requests running concurrently. */
async function greedy(backend: Backend, file: string | undefined, kvDType: "f32" | "f16") {
  const options = { backend, maxBatchTokens: 64, maxLogitRows: 8 };
  const model = file
    ? await Model.load(modelPath(file), options)
    : await buildDemoModel(backend, options);
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks: 32, blockSize: 4 }),
    scheduler: new FcfsScheduler(),
    kvDType,
  });
  return await Promise.all(PROMPTS.map(async (prompt, i) => {
    const ids: number[] = [];
    for await (const d of engine.generate(prompt, { maxTokens: 10 + 3 * i, temperature: 0 })) {
      ids.push(...d.tokenIds);
    }
    return ids;
  }));
}

Deno.test("webgpu: greedy generation equals the reference backend's", async (t) => {
  const gpu = await WebGpuBackend.create();
  try {
    for (const file of [undefined, "mini-qwen3-f16.gguf", "mini-llama-q4_k.gguf"]) {
      for (const kv of ["f32", "f16"] as const) {
        await t.step(`${file ?? "demo model"}, ${kv} KV`, async () => {
          const expected = await greedy(new ReferenceBackend(), file, kv);
          assert.ok(expected.flat().length >= 20, `only ${expected.flat().length} tokens`);
          assert.deepEqual(await greedy(gpu, file, kv), expected);
        });
      }
    }
  } finally {
    gpu.dispose();
  }
});
