/**
 * `deno task bench:decode`: batch-1 decode and prefill tokens/s of Loom and of the peers on
 * the same benchmark file and thread count, against the read-bandwidth roofline measured in
 * the same run (before and after the engines; the better of the two is the roofline). Loom
 * also runs batched decode (aggregate tokens/s of several sequences per step).
 *
 * ```sh
 * deno task bench:decode                                # 1.1b Q4_0, WASM, all cores, peers
 * deno task bench:decode --shape 135m --dtype q8_0 --threads 1
 * deno task bench:decode --backend webgpu --peers none --json
 * ```
 *
 * Peers (`--peers`, comma-separated; `none` skips them): `node-llama-cpp` (native llama.cpp,
 * prebuilt), `llama-bench` (native llama.cpp built here, `deno task bench:llama-server`),
 * `llama-batched-bench` (the same build, batch 1 and each of `--batches` together) and
 * `wllama` (llama.cpp in WASM, in headless Chromium); see bench/peers/README.md. Each figure
 * is the median (and best) of `--repeats` runs after a warm-up: the machine may be shared.
 * `--rounds N` runs Loom and the peers N times in turn: the table pools the runs of all
 * rounds, and the ratios are paired (each round's Loom ÷ the same round's peer; median and
 * range), which a machine whose speed drifts over minutes disturbs less.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { DType } from "@loom/core";
import {
  createBenchBackend,
  type DecodeOptions,
  type DecodeResult,
  kvDTypeFlag,
  loomDecode,
  type Rate,
} from "./_loom_decode.ts";
import { llamaBatchedBenchDecode, llamaBenchDecode, nodeLlamaCppDecode } from "./_peer_llama.ts";
import { wllamaDecode } from "./_peer_wllama.ts";
import { measureReadBandwidth, weightBytesPerToken } from "./_roofline.ts";
import { mergeRounds, type PairedRatio, pairedRatio } from "./_rounds.ts";
import { ensureBenchModel } from "./models.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    shape: { type: "string", default: "1.1b" },
    dtype: { type: "string", default: "q4_0" },
    model: { type: "string" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    activations: { type: "string", default: "q8" },
    "kv-dtype": { type: "string", default: "f32" },
    prompt: { type: "string", default: "128" },
    tokens: { type: "string", default: "64" },
    repeats: { type: "string", default: "3" },
    rounds: { type: "string", default: "1" },
    batches: { type: "string", default: "1,8" },
    peers: { type: "string", default: "node-llama-cpp,llama-bench,wllama" },
    json: { type: "boolean", default: false },
  },
});
const log = (s: string) => a.json ? console.error(s) : console.log(s);
const path = a.model ?? await ensureBenchModel(a.shape, a.dtype as DType);
const o = {
  numThreads: Number(a.threads),
  numPromptTokens: Number(a.prompt),
  numTokens: Number(a.tokens),
  numRepeats: Number(a.repeats),
  kvDType: kvDTypeFlag(a["kv-dtype"]),
};
const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
log(
  `bench:decode ${path}\n  ${navigator.hardwareConcurrency} cores, load ${load()}, ` +
    `${o.numThreads} threads, KV ${o.kvDType}, prompt ${o.numPromptTokens}, ${o.numTokens} tokens, ` +
    `median of ${o.numRepeats} runs`,
);
const bytesPerToken = await weightBytesPerToken(path);
const bw0 = await measureReadBandwidth(o.numThreads);
log(`  read bandwidth (WASM k_read, ${o.numThreads} threads): ${bw0.toFixed(1)} GB/s`);

const batches = a.batches.split(",").map(Number);
const PEERS: Record<string, (path: string, o: DecodeOptions) => Promise<DecodeResult>> = {
  "node-llama-cpp": nodeLlamaCppDecode,
  "llama-bench": llamaBenchDecode,
  "llama-batched-bench": (p, o) => llamaBatchedBenchDecode(p, o, batches),
  wllama: wllamaDecode,
};
const peers = a.peers.split(",").filter((p) => p && p !== "none");
for (const peer of peers) {
  if (!PEERS[peer]) {
    throw new Error(`--peers: ${Object.keys(PEERS).join(", ")} or none, not ${peer}`);
  }
}
const numRounds = Number(a.rounds);
// rounds[engine index][round]: Loom first, then the peers in --peers order
const rounds: (DecodeResult | undefined)[][] = [[], ...peers.map(() => [])];
for (let round = 0; round < numRounds; round++) {
  const tag = numRounds > 1 ? ` (round ${round + 1} of ${numRounds})` : "";
  const backend = await createBenchBackend(a.backend, o.numThreads, a.activations as "f32" | "q8");
  const mine = await loomDecode(path, backend, o, batches);
  rounds[0]!.push(mine);
  log(`  ${mine.engine}: done${tag}, load ${load()}`);
  for (const [i, peer] of peers.entries()) {
    try {
      rounds[i + 1]!.push(await PEERS[peer]!(path, o));
      log(`  ${peer}: done${tag}, load ${load()}`);
    } catch (e) {
      rounds[i + 1]!.push(undefined);
      log(`  ${peer}: skipped${tag} (${(e as Error).message})`);
    }
  }
}
const ran = rounds.map((r) => r.filter((x): x is DecodeResult => x !== undefined));
const results = ran.filter((r) => r.length > 0).map(mergeRounds);
/** Round-paired ratios of Loom to each peer that ran (decode, prefill). */
const paired = new Map<
  string,
  { decode: PairedRatio | undefined; prefill: PairedRatio | undefined }
>();
for (const [i, r] of ran.slice(1).entries()) {
  if (r.length === 0) continue;
  const mine = rounds[0] as DecodeResult[];
  paired.set(r[0]!.engine, {
    decode: pairedRatio(mine, rounds[i + 1]!, (x) => x.decode.median),
    prefill: pairedRatio(mine, rounds[i + 1]!, (x) => x.prefill.median),
  });
}
const bw1 = await measureReadBandwidth(o.numThreads);
const rooflineTokS = (Math.max(bw0, bw1) * 1e9) / bytesPerToken; // the better of the two
const loom = results[0]!;

if (a.json) {
  const summary = {
    model: path,
    weightBytesPerToken: bytesPerToken,
    bandwidthGBs: [bw0, bw1],
    rooflineTokS,
    loadAvg: Deno.loadavg(),
    options: { ...o, backend: a.backend, activations: a.activations },
    results: results.map((r) => ({
      ...r,
      rooflineFraction: r.decode.median / rooflineTokS,
      loomDecodeRatio: loom.decode.median / r.decode.median,
      loomPrefillRatio: loom.prefill.median / r.prefill.median,
      pairedRatios: paired.get(r.engine),
    })),
  };
  console.log(JSON.stringify(summary, null, 2));
} else {
  console.log(
    `\n  bandwidth ${bw0.toFixed(1)} → ${bw1.toFixed(1)} GB/s, ` +
      `${(bytesPerToken / 1e6).toFixed(0)} MB of weights per token → roofline ` +
      `${rooflineTokS.toFixed(1)} tokens/s; load now ${load()}\n`,
  );
  const row = (cells: string[]) => console.log(`| ${cells.join(" | ")} |`);
  const fmt = (r: Rate) => `${r.median.toFixed(1)} (${r.best.toFixed(1)})`;
  const ratio = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(2)}×` : "-");
  row(["engine", "threads", "prefill tok/s", "decode tok/s", "of roofline", "Loom ÷ it"]);
  row(["---", "---:", "---:", "---:", "---:", "---:"]);
  for (const r of results) {
    row([
      r.engine,
      String(r.numThreads || "-"),
      fmt(r.prefill),
      fmt(r.decode),
      `${(100 * r.decode.median / rooflineTokS).toFixed(0)} %`,
      r === loom
        ? "-"
        : `decode ${ratio(loom.decode.median, r.decode.median)}, prefill ${
          ratio(loom.prefill.median, r.prefill.median)
        }`,
    ]);
  }
  for (const r of results) {
    for (const [b, tokS] of Object.entries(r.batched)) {
      const mine = loom.batched[Number(b)];
      row([
        `${r.engine}, batch ${b}`,
        String(r.numThreads),
        "",
        fmt(tokS),
        "",
        `${ratio(tokS.median, r.decode.median)} its batch 1` +
        (r === loom || !mine ? "" : `; Loom ${ratio(mine.median, tokS.median)}`),
      ]);
    }
  }
  console.log("\n  median (best) of the runs; tok/s aggregate over the batch");
  const span = (p: PairedRatio | undefined) =>
    p ? `${p.median.toFixed(2)}× (${p.min.toFixed(2)}–${p.max.toFixed(2)}×)` : "-";
  for (const [engine, p] of numRounds > 1 ? paired : []) {
    console.log(
      `  paired by round, Loom ÷ ${engine}: decode ${span(p.decode)}, prefill ${span(p.prefill)}`,
    );
  }
}
