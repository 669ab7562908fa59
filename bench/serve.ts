/**
 * `deno task bench:serve`: a load generator for any OpenAI-compatible endpoint, with vLLM's
 * serving-benchmark definitions (see `_stats.ts`). Either `--url` names a running server,
 * or `--spawn loom,llama-server` starts each server in turn on the same benchmark file and
 * threads, runs the same load against it, and compares them.
 *
 * ```sh
 * deno task bench:serve --url http://127.0.0.1:8000 --num-requests 32 --request-rate 2
 * deno task bench:serve --spawn loom,llama-server --shape 135m --dtype q8_0 \
 *   --num-requests 16 --max-concurrency 4 --input-len 110 --output-len 64
 * ```
 *
 * Load: `--num-requests`, `--request-rate` (req/s, `inf` = all at once), `--burstiness`
 * (gamma shape, 1 = Poisson), `--max-concurrency`, `--input-len`, `--output-len`,
 * `--range-ratio`, `--prefix-len` (shared prefix words), `--seed`. Requests ignore EOS;
 * `--ban-byte-tokens` adds `logit_bias` −100 on ids 3..258 (byte tokens of the benchmark
 * and Llama vocabularies, which random weights emit as invalid UTF-8). SLOs for goodput:
 * `--slo-ttft-ms`, `--slo-tpot-ms`, `--slo-e2e-ms`. Output: tables (`--timeline` adds one row a
 * request: when it was sent, its first and last token), `--json`, and an SVG
 * of the latency CDFs (`--svg PATH`, default `bench/out/serve-<time>.svg`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { DType } from "@loom/core";
import { banBytesLogitBias } from "./_bench_vocab.ts";
import { type LoadResult, runLoad } from "./_load_run.ts";
import type { EndpointOptions } from "./_openai_stream.ts";
import { printComparison, printMetrics, printTimeline } from "./_serve_report.ts";
import { kvDTypeFlag } from "./_loom_decode.ts";
import { type ServerHandle, startLlamaServer, startLoom } from "./_servers.ts";
import { computeMetrics, type ServeMetrics, type Slo, tpotMs } from "./_stats.ts";
import { cdfSvg } from "./_svg.ts";
import { buildWorkload } from "./_workload.ts";
import { ensureBenchModel } from "./models.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string" },
    spawn: { type: "string" },
    api: { type: "string", default: "completions" },
    "model-name": { type: "string" },
    "api-key": { type: "string" },
    shape: { type: "string", default: "135m" },
    dtype: { type: "string", default: "q8_0" },
    model: { type: "string" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    parallel: { type: "string", default: "4" },
    backend: { type: "string", default: "wasm" },
    scheduler: { type: "string", default: "fcfs" },
    "pack-prefills": { type: "string" },
    "kv-dtype": { type: "string", default: "f32" },
    "max-batch-tokens": { type: "string", default: "128" },
    "num-requests": { type: "string", default: "16" },
    "request-rate": { type: "string", default: "inf" },
    burstiness: { type: "string", default: "1" },
    "max-concurrency": { type: "string", default: "inf" },
    "input-len": { type: "string", default: "110" },
    "output-len": { type: "string", default: "64" },
    "range-ratio": { type: "string", default: "0" },
    "prefix-len": { type: "string", default: "0" },
    seed: { type: "string", default: "0" },
    "ban-byte-tokens": { type: "boolean", default: false },
    "slo-ttft-ms": { type: "string" },
    "slo-tpot-ms": { type: "string" },
    "slo-e2e-ms": { type: "string" },
    warmup: { type: "string", default: "1" },
    svg: { type: "string" },
    json: { type: "boolean", default: false },
    timeline: { type: "boolean", default: false },
  },
});
const num = (
  s: string | undefined,
) => (s === undefined ? undefined : s === "inf" ? Infinity : Number(s));
const log = (s: string) => (a.json ? console.error(s) : console.log(s));
const slo: Slo = Object.fromEntries(
  [["ttftMs", a["slo-ttft-ms"]], ["tpotMs", a["slo-tpot-ms"]], ["e2eMs", a["slo-e2e-ms"]]]
    .filter(([, v]) => v !== undefined).map(([k, v]) => [k, Number(v)]),
);
const workload = {
  numRequests: num(a["num-requests"])!,
  requestRate: num(a["request-rate"])!,
  burstiness: num(a.burstiness)!,
  inputLen: num(a["input-len"])!,
  outputLen: num(a["output-len"])!,
  rangeRatio: num(a["range-ratio"])!,
  prefixLen: num(a["prefix-len"])!,
  seed: num(a.seed)!,
};
const requests = buildWorkload(workload);
const maxConcurrency = num(a["max-concurrency"])!;
const spawnNames = a.spawn?.split(",").filter(Boolean) ?? [];
const banBytes = a["ban-byte-tokens"] || spawnNames.length > 0;
const extraBody = {
  temperature: 0,
  ignore_eos: true,
  ...(banBytes ? { logit_bias: banBytesLogitBias() } : {}),
};
const endpointOf = (baseUrl: string): EndpointOptions => ({
  baseUrl,
  api: a.api === "chat" ? "chat" : "completions",
  model: a["model-name"],
  apiKey: a["api-key"],
  extraBody,
});

/** Warm-up requests (not measured), then the load. */
async function measure(baseUrl: string): Promise<LoadResult> {
  const ep = endpointOf(baseUrl);
  const warm = buildWorkload({
    ...workload,
    numRequests: num(a.warmup)!,
    seed: workload.seed + 99,
  });
  await runLoad(ep, warm.map((r) => ({ ...r, sendAtMs: 0, maxTokens: 4 })), {
    maxConcurrency: Infinity,
    progress: false,
  });
  return await runLoad(ep, requests, { maxConcurrency });
}

const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
log(
  `bench:serve: ${workload.numRequests} requests, rate ${workload.requestRate} req/s ` +
    `(burstiness ${workload.burstiness}), max concurrency ${maxConcurrency}, input ` +
    `${workload.inputLen} words, output ${workload.outputLen} tokens ` +
    `(range ±${workload.rangeRatio}), ` +
    `shared prefix ${workload.prefixLen}; ${navigator.hardwareConcurrency} cores, load ${load()}`,
);
const runs: { name: string; command: string; result: LoadResult; metrics: ServeMetrics }[] = [];
if (a.url) {
  const result = await measure(a.url);
  runs.push({
    name: a.url,
    command: a.url,
    result,
    metrics: computeMetrics(result.records, result.durationMs, slo),
  });
}
if (spawnNames.length > 0) {
  const model = a.model ?? await ensureBenchModel(a.shape, a.dtype as DType);
  const spawnOptions = {
    model,
    numThreads: Number(a.threads),
    numParallel: Number(a.parallel),
    contextPerSeq: Math.ceil(
      (workload.inputLen * (1 + workload.rangeRatio) +
        workload.outputLen * (1 + workload.rangeRatio) + 64) / 256,
    ) * 256,
    maxBatchTokens: Number(a["max-batch-tokens"]),
    backend: a.backend,
    scheduler: a.scheduler,
    packPrefills: a["pack-prefills"],
    kvDType: kvDTypeFlag(a["kv-dtype"]),
  };
  log(`model ${model}, ${spawnOptions.numThreads} threads`);
  for (const name of spawnNames) {
    let server: ServerHandle;
    if (name === "loom") server = await startLoom(spawnOptions);
    else if (name === "llama-server") server = await startLlamaServer(spawnOptions);
    else throw new Error(`--spawn: loom or llama-server, not ${name}`);
    log(`${server.name}: ${server.command}`);
    try {
      const result = await measure(server.baseUrl);
      const metrics = computeMetrics(result.records, result.durationMs, slo);
      runs.push({ name: server.name, command: server.command, result, metrics });
    } finally {
      await server.stop();
    }
    log(`  load after: ${load()}`);
  }
}
if (runs.length === 0) throw new Error("give --url URL or --spawn loom,llama-server");

const failures = runs.flatMap((r) =>
  r.result.records.filter((x) => !x.success).map((x) => `${r.name}: ${x.error}`)
);
if (a.json) {
  console.log(
    JSON.stringify(
      {
        workload,
        maxConcurrency,
        slo,
        runs: runs.map((r) => ({ name: r.name, command: r.command, metrics: r.metrics })),
        failures: failures.slice(0, 10),
      },
      null,
      2,
    ),
  );
} else {
  for (const r of runs) {
    printMetrics(r.name, r.metrics, slo);
    if (a.timeline) printTimeline(r.result.records);
  }
  if (runs.length > 1) printComparison(runs.map((r) => ({ name: r.name, metrics: r.metrics })));
  for (const f of failures.slice(0, 5)) console.log(`  failed: ${f}`);
}
const svgPath = a.svg ??
  new URL(`./out/serve-${new Date().toISOString().replace(/[:.]/g, "-")}.svg`, import.meta.url)
    .pathname;
await Deno.mkdir(svgPath.slice(0, svgPath.lastIndexOf("/") + 1) || ".", { recursive: true });
await Deno.writeTextFile(
  svgPath,
  cdfSvg(
    ["TTFT", "TPOT", "ITL", "E2E"],
    runs.map((r) => {
      const ok = r.result.records.filter((x) => x.success);
      return {
        label: r.name,
        values: {
          TTFT: ok.map((x) => x.ttftMs),
          TPOT: ok.map(tpotMs),
          ITL: ok.flatMap((x) => x.itlMs),
          E2E: ok.map((x) => x.e2eMs),
        },
      };
    }),
    `bench:serve ${Deno.args.join(" ")}`,
  ),
);
log(`latency CDFs: ${svgPath}`);
