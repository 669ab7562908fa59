// Batch-1 prefill and decode of native llama.cpp through node-llama-cpp, for
// bench/decode.ts (run with Node from bench/peers, where npm installed the peer).
//
//   node llama_decode.mjs '{"model":"...","threads":2,"prompts":[[1,2,3],[1,4,5]],"tokens":64}'
//
// Prints one JSON line: {"prefillMs":[...],"decodeMs":[...],"numDecoded":[...]}, one entry
// a prompt (a fresh sequence history each), where
// prefillMs is the time to the first generated token after evaluating the prompt (TTFT) and
// decodeMs the time from the first to the last generated token (tokens - 1 steps), greedy.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const args = JSON.parse(process.argv[2] ?? "{}");
const llama = await getLlama({
  gpu: false,
  build: "never",
  maxThreads: args.threads,
  logLevel: LlamaLogLevel.error,
});
const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
const context = await model.createContext({
  contextSize: Math.ceil((args.prompts[0].length + args.tokens + 16) / 256) * 256,
  sequences: 1,
  threads: { ideal: args.threads, min: args.threads },
  batchSize: Math.max(512, args.prompts[0].length),
});
const sequence = context.getSequence();
const out = { prefillMs: [], decodeMs: [], numDecoded: [], threads: context.currentThreads };
for (const prompt of args.prompts) {
  await sequence.clearHistory();
  const t0 = performance.now();
  let first = 0, last = 0, n = 0;
  for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
    last = performance.now();
    if (n++ === 0) first = last;
    if (n >= args.tokens) break;
  }
  out.prefillMs.push(first - t0);
  out.decodeMs.push(last - first);
  out.numDecoded.push(n - 1);
}
console.log(JSON.stringify(out));
await context.dispose();
await model.dispose();
await llama.dispose();
