/**
 * wllama (llama.cpp compiled to WASM, `@wllama/wllama` 3.8.1 from npm in `bench/peers/`) as
 * users run it: in a browser page, here headless Chromium driven by playwright-core, served
 * with COOP/COEP headers so it gets threads (without them it silently runs one). The model
 * is the same file, fetched from the same local server. wllama returns text, not token ids:
 * prompts are bench words (one token each) and the output is timed per streamed chunk, with
 * byte tokens and EOS banned so every token is a chunk.
 *
 * @module
 */
import { type DecodeOptions, type DecodeResult, rate } from "./_loom_decode.ts";
import { banBytesLogitBias, benchWords } from "./_bench_vocab.ts";

const ESM = new URL("./peers/node_modules/@wllama/wllama/esm/", import.meta.url);
const HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};
const TYPES: Record<string, string> = { js: "text/javascript", wasm: "application/wasm" };

/** Serves the page, wllama's files and the model file. */
function serveFiles(modelPath: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const file = path === "/model.gguf"
      ? modelPath
      : path.startsWith("/wllama/")
      ? new URL(path.slice("/wllama/".length), ESM).pathname
      : undefined;
    if (path === "/") {
      return new Response("<!doctype html><title>wllama bench</title>", {
        headers: { ...HEADERS, "content-type": "text/html" },
      });
    }
    if (!file || file.includes("..")) return new Response("not found", { status: 404 });
    try {
      const f = await Deno.open(file);
      const type = TYPES[file.split(".").at(-1)!] ?? "application/octet-stream";
      return new Response(f.readable, { headers: { ...HEADERS, "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

/** Runs in the page: loads the model, then times `repeats` streamed completions. */
async function inPage(a: {
  threads: number;
  prompts: string[];
  tokens: number;
  bias: Record<string, number>;
}) {
  const mod = "/wllama/index.js";
  const { Wllama } = await import(mod);
  const w = new Wllama({ default: "/wllama/wasm/wllama.wasm" }, { suppressNativeLog: true });
  await w.loadModelFromUrl(`${location.origin}/model.gguf`, {
    n_threads: a.threads,
    n_ctx: 1024,
    n_batch: 512,
    n_gpu_layers: 0,
    useCache: false,
  });
  const out = { prefillMs: [] as number[], decodeMs: [] as number[], numDecoded: [] as number[] };
  for (const prompt of a.prompts) {
    const t0 = performance.now();
    const times: number[] = [];
    const stream = await w.createCompletion({
      prompt,
      max_tokens: a.tokens,
      temperature: 0,
      logit_bias: a.bias,
      stream: true,
    });
    for await (const chunk of stream) {
      if (chunk.choices?.[0]?.text) times.push(performance.now() - t0);
    }
    out.prefillMs.push(times[0]!);
    out.decodeMs.push(times.at(-1)! - times[0]!);
    out.numDecoded.push(times.length - 1);
  }
  return { ...out, threads: w.getNumThreads(), multithread: w.isMultithread() };
}

/**
 * Batch-1 prefill and decode of wllama in headless Chromium (one warm-up run, then medians).
 *
 * @example
 * ```ts ignore
 * import { wllamaDecode } from "./_peer_wllama.ts";
 * const r = await wllamaDecode("bench/.models/loom-bench-135m-q8_0-v1.gguf", {
 *   numThreads: 2, numPromptTokens: 128, numTokens: 64, numRepeats: 3,
 * });
 * ```
 */
export async function wllamaDecode(path: string, o: DecodeOptions): Promise<DecodeResult> {
  const { chromium } = await import("playwright-core");
  const server = serveFiles(path);
  const browser = await chromium.launch({
    executablePath: Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);
    const r = await page.evaluate(inPage, {
      threads: o.numThreads,
      // BOS + (n - 1) words, different each run: wllama reuses the KV of a common prefix
      prompts: Array.from(
        { length: o.numRepeats + 1 },
        (_, r) => benchWords(o.numPromptTokens - 1, r),
      ),
      tokens: o.numTokens,
      bias: banBytesLogitBias(true),
    });
    const prefill = r.prefillMs.slice(1).map((ms) => o.numPromptTokens / (ms / 1000));
    const decode = r.decodeMs.slice(1).map((ms, i) => r.numDecoded[i + 1]! / (ms / 1000));
    return {
      engine: `wllama 3.8.1 (Chromium${r.multithread ? "" : ", single-thread build"})`,
      numThreads: r.threads,
      prefill: rate(prefill),
      decode: rate(decode),
      batched: {},
    };
  } finally {
    await browser.close();
    await server.shutdown();
  }
}
