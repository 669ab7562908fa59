// The engine's Web Worker: loads a GGUF model from a URL onto the best backend this page
// allows (WASM-SIMD threads when cross-origin isolated, else WebGPU, else the reference
// backend) and runs every prompt it is sent through one Engine, so concurrent prompts share
// each step (continuous batching). Streams deltas back to the page.
//
// Messages in:  { type: "load", url, backend, numThreads }
//               { type: "generate", id, prompt, maxTokens, temperature }
// Messages out: { type: "progress", receivedBytes, totalBytes }
//               { type: "loaded", backend, numThreads, modelName, loadMs, chat, skipped }
//               { type: "delta", id, text, ttftMs }   { type: "done", id, numTokens, ttftMs,
//               tokensPerS }   { type: "batch", numRunning, maxBatchSeqs, numSteps }
//               { type: "error", id?, message }

// Loom's browser bundle (dist/loom.js, built by `deno task build:browser`), served beside this
// file. A plain `import` works as well; importing it lazily lets this file type-check in a
// fresh clone where dist/ does not exist yet.
const loom = import("./loom.js");

let engine;
/** Largest number of sequences one step has run. */
let maxBatchSeqs = 0;

async function load({ url, backend: name, numThreads }) {
  const t0 = performance.now();
  const { Engine, FcfsScheduler, loadModelFromUrl, PagedCacheManager, pickBackend } = await loom;

  /** FCFS, counting how many sequences each step batches together (to show batching). */
  class CountingScheduler extends FcfsScheduler {
    schedule(ctx) {
      const plan = super.schedule(ctx);
      maxBatchSeqs = Math.max(maxBatchSeqs, plan.run.length);
      return plan;
    }
  }

  const skipped = [];
  const backend = await pickBackend(name, {
    ...(numThreads ? { numThreads } : {}),
    onSkip: (n, reason) => skipped.push(`${n}: ${reason}`),
  });
  const model = await loadModelFromUrl(url, {
    backend,
    onProgress: (p) => postMessage({ type: "progress", ...p }),
  });
  engine = new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
    scheduler: new CountingScheduler(),
  });
  postMessage({
    type: "loaded",
    backend: backend.name,
    numThreads: backend.numThreads ?? 1,
    modelName: model.config.name ?? url,
    loadMs: performance.now() - t0,
    chat: model.chatTemplate !== undefined,
    skipped,
  });
}

async function generate({ id, prompt, maxTokens, temperature }) {
  if (!engine) throw new Error("no model loaded");
  const options = { maxTokens, temperature, seed: 1 };
  const stream = engine.model.chatTemplate
    ? engine.chat([{ role: "user", content: prompt }], options)
    : engine.generate(prompt, options);
  const t0 = performance.now();
  let firstMs, numTokens = 0;
  for await (const d of stream) {
    numTokens += d.tokenIds.length;
    firstMs ??= performance.now();
    postMessage({ type: "delta", id, text: d.text, ttftMs: firstMs - t0 });
    postMessage({
      type: "batch",
      numRunning: engine.numRunning,
      maxBatchSeqs,
      numSteps: engine.metrics().numSteps,
    });
  }
  const decodeS = (performance.now() - (firstMs ?? t0)) / 1000;
  postMessage({
    type: "done",
    id,
    numTokens,
    ttftMs: (firstMs ?? performance.now()) - t0,
    tokensPerS: numTokens > 1 && decodeS > 0 ? (numTokens - 1) / decodeS : 0,
  });
}

self.onmessage = (e) => {
  const msg = e.data;
  const run = msg.type === "load" ? load(msg) : generate(msg);
  run.catch((err) =>
    postMessage({ type: "error", id: msg.id, message: String(err?.stack ?? err) })
  );
};
