/**
 * Native llama.cpp two ways: through node-llama-cpp (installed by npm in `bench/peers/`,
 * never a dependency of the SDK; its prebuilt CPU binary, run under Node by
 * `bench/peers/llama_decode.mjs`), and as `llama-bench` built from the same llama.cpp source
 * node-llama-cpp ships (`_llama_build.ts`: `-march=native`, the same build as llama-server).
 *
 * @module
 */
import type { DecodeOptions, DecodeResult, Rate } from "./_loom_decode.ts";
import { promptIds, rate } from "./_loom_decode.ts";
import { llamaServerPath } from "./_llama_build.ts";

const PEERS = new URL("./peers/", import.meta.url);

/** The command that installs the peers (run in `bench/peers/`). */
export const PEERS_INSTALL = "cd bench/peers && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install " +
  "--omit=optional node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1";

/**
 * Whether node-llama-cpp is installed in `bench/peers/node_modules`.
 *
 * @example
 * ```ts
 * import { hasNodeLlamaCpp } from "./_peer_llama.ts";
 * console.log(typeof await hasNodeLlamaCpp()); // "boolean"
 * ```
 */
export async function hasNodeLlamaCpp(): Promise<boolean> {
  try {
    await Deno.stat(new URL("node_modules/node-llama-cpp/package.json", PEERS));
    return true;
  } catch {
    return false;
  }
}

/**
 * Batch-1 prefill and decode of node-llama-cpp on a model file (one warm-up run, then
 * medians), with the same prompts as Loom's runs.
 *
 * @example
 * ```ts ignore
 * import { nodeLlamaCppDecode } from "./_peer_llama.ts";
 * const r = await nodeLlamaCppDecode("bench/.models/loom-bench-135m-q8_0-v1.gguf", {
 *   numThreads: 2, numPromptTokens: 128, numTokens: 64, numRepeats: 3,
 * });
 * ```
 */
export async function nodeLlamaCppDecode(path: string, o: DecodeOptions): Promise<DecodeResult> {
  if (!(await hasNodeLlamaCpp())) throw new Error(`node-llama-cpp missing: ${PEERS_INSTALL}`);
  const args = {
    model: path,
    threads: o.numThreads,
    prompts: Array.from({ length: o.numRepeats + 1 }, (_, r) => promptIds(o.numPromptTokens, r)),
    tokens: o.numTokens,
  };
  const out = await new Deno.Command("node", {
    args: ["llama_decode.mjs", JSON.stringify(args)],
    cwd: PEERS,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`node-llama-cpp run failed (exit ${out.code})`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const r = JSON.parse(lines.at(-1)!) as {
    prefillMs: number[];
    decodeMs: number[];
    numDecoded: number[];
    threads: number;
  };
  const prefill = r.prefillMs.slice(1).map((ms) => o.numPromptTokens / (ms / 1000));
  const decode = r.decodeMs.slice(1).map((ms, i) => r.numDecoded[i + 1]! / (ms / 1000));
  return {
    engine: "node-llama-cpp 3.22.1 (native llama.cpp)",
    numThreads: r.threads,
    prefill: rate(prefill),
    decode: rate(decode),
    batched: {},
  };
}

/** Runs binary `name` of the native build and returns its stdout (throws on a failed exit). */
async function runNative(name: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(await llamaServerPath(name), {
    args,
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`${name} failed (exit ${out.code})`);
  return new TextDecoder().decode(out.stdout);
}

/**
 * `llama-bench` of the native build: `pp<prompt>` and `tg<tokens>` tokens/s per repetition
 * (its own definitions: prompt processing without sampling; generation from an empty
 * context), on the same file and threads.
 *
 * @example
 * ```ts ignore
 * import { llamaBenchDecode } from "./_peer_llama.ts";
 * const r = await llamaBenchDecode("bench/.models/loom-bench-135m-q8_0-v1.gguf", {
 *   numThreads: 2, numPromptTokens: 128, numTokens: 64, numRepeats: 3,
 * });
 * ```
 */
export async function llamaBenchDecode(path: string, o: DecodeOptions): Promise<DecodeResult> {
  const args = ["-m", path, "-t", String(o.numThreads), "-p", String(o.numPromptTokens)];
  args.push("-n", String(o.numTokens), "-r", String(o.numRepeats), "-o", "json");
  const tests = JSON.parse(await runNative("llama-bench", args)) as {
    n_prompt: number;
    n_gen: number;
    samples_ts: number[];
    build_commit: string;
  }[];
  const pp = tests.find((t) => t.n_prompt > 0), tg = tests.find((t) => t.n_gen > 0);
  return {
    engine: `llama-bench ${pp?.build_commit ?? ""} (native build)`,
    numThreads: o.numThreads,
    prefill: rate(pp?.samples_ts ?? [0]),
    decode: rate(tg?.samples_ts ?? [0]),
    batched: {},
  };
}

/**
 * The rows of `llama-batched-bench`'s table: per batch size B, prompt tokens/s (`S_PP`, the B
 * prompts processed together) and aggregate generation tokens/s (`S_TG`, B sequences a step).
 *
 * @example
 * ```ts
 * import { parseBatchedBench } from "./_peer_llama.ts";
 * const table = [
 *   "|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |",
 *   "|-------|--------|------|--------|----------|----------|----------|----------|----------|----------|",
 *   "|   128 |     64 |    1 |    192 |    0.632 |   202.38 |    1.273 |    50.29 |    1.905 |   100.78 |",
 *   "|   128 |     64 |    8 |   1536 |    4.481 |   228.51 |    4.023 |   127.26 |    8.504 |   180.61 |",
 * ].join("\n");
 * console.log(parseBatchedBench(table));
 * // [ { batch: 1, prefill: 202.38, decode: 50.29 }, { batch: 8, prefill: 228.51, decode: 127.26 } ]
 * ```
 */
export function parseBatchedBench(
  text: string,
): { batch: number; prefill: number; decode: number }[] {
  const rows = [];
  for (const line of text.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length !== 10 || !/^\d+$/.test(cells[2]!)) continue;
    rows.push({ batch: Number(cells[2]), prefill: Number(cells[5]), decode: Number(cells[7]) });
  }
  return rows;
}

/**
 * `llama-batched-bench` of the native build: batch 1 prefill and decode, and the aggregate
 * decode tokens/s of each batch size in `batches` (B prompts of the same length, then B
 * sequences generating together), `numRepeats` runs each.
 *
 * @example
 * ```ts ignore
 * import { llamaBatchedBenchDecode } from "./_peer_llama.ts";
 * const r = await llamaBatchedBenchDecode("bench/.models/loom-bench-135m-q8_0-v1.gguf", {
 *   numThreads: 2, numPromptTokens: 128, numTokens: 64, numRepeats: 3,
 * }, [1, 8]);
 * ```
 */
export async function llamaBatchedBenchDecode(
  path: string,
  o: DecodeOptions,
  batches: readonly number[],
): Promise<DecodeResult> {
  const sizes = [...new Set([1, ...batches])].sort((x, y) => x - y);
  const ctx = (o.numPromptTokens + o.numTokens) * sizes.at(-1)!;
  const args = ["-m", path, "-t", String(o.numThreads), "-tb", String(o.numThreads)];
  args.push("-c", String(ctx), "-npp", String(o.numPromptTokens), "-ntg", String(o.numTokens));
  args.push("-npl", sizes.join(","));
  const runs: ReturnType<typeof parseBatchedBench>[] = [];
  for (let r = 0; r < o.numRepeats; r++) {
    runs.push(parseBatchedBench(await runNative("llama-batched-bench", args)));
  }
  const at = (b: number, key: "prefill" | "decode") =>
    rate(runs.map((rows) => rows.find((x) => x.batch === b)?.[key] ?? 0));
  const batched: Record<number, Rate> = {};
  for (const b of sizes) if (b > 1) batched[b] = at(b, "decode");
  return {
    engine: "llama-batched-bench (native build)",
    numThreads: o.numThreads,
    prefill: at(1, "prefill"),
    decode: at(1, "decode"),
    batched,
  };
}
