/**
 * Loom's side of `bench:decode`: the real Engine (FCFS scheduler, paged KV cache, f32 unless
 * `kvDType` says f16) over a GGUF file on one backend. Prefill tokens/s = prompt tokens ÷ time
 * to first token; decode tokens/s = (tokens − 1) ÷ time from the first to the last token
 * (greedy, EOS ignored) — the same definitions the peers' runners use.
 *
 * @module
 */
import { type Backend, Engine, Model, PagedCacheManager } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { WasmBackend } from "@loom/wasm";
import { FcfsScheduler } from "@loom/schedulers";
import { percentile } from "./_stats.ts";

/** Options of one engine's decode benchmark. */
export interface DecodeOptions {
  /** Threads (CPU engines). */
  readonly numThreads: number;
  /** Prompt tokens (BOS included). */
  readonly numPromptTokens: number;
  /** Tokens generated per run. */
  readonly numTokens: number;
  /** Measured runs (after one warm-up). */
  readonly numRepeats: number;
  /** Loom's KV-cache dtype: f32 (the engine's default) or f16. */
  readonly kvDType?: "f32" | "f16";
}

/**
 * The `--kv-dtype` flag of the benchmarks: `f32` (Loom's default: the WASM kernels read it
 * without conversion) or `f16` (half the memory, as llama.cpp keeps it).
 *
 * @example
 * ```ts
 * import { kvDTypeFlag } from "./_loom_decode.ts";
 * console.log(kvDTypeFlag("f16"), kvDTypeFlag(undefined)); // f16 f32
 * ```
 */
export function kvDTypeFlag(s: string | undefined): "f32" | "f16" {
  if (s === undefined || s === "f32" || s === "f16") return s ?? "f32";
  throw new Error(`--kv-dtype: f32 or f16, not ${s}`);
}

/** Tokens/s over the measured runs: the median, and the best (least disturbed by load). */
export interface Rate {
  readonly median: number;
  readonly best: number;
  readonly runs: readonly number[];
}

/** One engine's results. */
export interface DecodeResult {
  readonly engine: string;
  readonly numThreads: number;
  readonly prefill: Rate;
  readonly decode: Rate;
  /** Aggregate decode tokens/s with several sequences per step, by batch size. */
  readonly batched: Readonly<Record<number, Rate>>;
}

/**
 * Median and best of some runs' tokens/s.
 *
 * @example
 * ```ts
 * import { rate } from "./_loom_decode.ts";
 * console.log(rate([30, 10, 20])); // { median: 20, best: 30, runs: [ 30, 10, 20 ] }
 * ```
 */
export function rate(runs: readonly number[]): Rate {
  return { median: percentile(runs, 50), best: Math.max(...runs), runs };
}

/**
 * Prompt token ids: BOS (1) then ids of ordinary pieces, different for each `seed` so the
 * prefix cache never serves a run.
 *
 * @example
 * ```ts
 * import { promptIds } from "./_loom_decode.ts";
 * console.log(promptIds(4, 0).length, promptIds(4, 0)[0]); // 4 1
 * ```
 */
export function promptIds(numTokens: number, seed: number): number[] {
  return Array.from(
    { length: numTokens },
    (_, i) => i === 0 ? 1 : 300 + ((i * 7919 + seed * 104729) % 31000),
  );
}

/** Creates a Loom backend by bench name. */
export async function createBenchBackend(
  name: string,
  numThreads: number,
  activations: "f32" | "q8",
): Promise<Backend> {
  if (name === "wasm") return await WasmBackend.create({ numThreads, activations });
  if (name === "reference") return new ReferenceBackend();
  if (name === "webgpu") {
    const { WebGpuBackend } = await import("@loom/webgpu");
    return await WebGpuBackend.create();
  }
  throw new Error(`--backend: wasm, webgpu or reference, not ${name}`);
}

/** Token arrival times (ms) of each sequence of one engine run. */
async function run(engine: Engine, prompts: number[][], numTokens: number): Promise<number[][]> {
  const t0 = performance.now();
  return await Promise.all(prompts.map(async (ids) => {
    const times: number[] = [];
    const deltas = engine.generate(ids, { maxTokens: numTokens, temperature: 0, ignoreEos: true });
    for await (const d of deltas) {
      const t = performance.now() - t0;
      for (let i = 0; i < d.tokenIds.length; i++) times.push(t);
    }
    return times;
  }));
}

/** Aggregate tokens/s while every sequence decodes (last first token to first last token). */
function decodeRate(times: number[][]): number {
  const start = Math.max(...times.map((t) => t[0]!)),
    end = Math.min(...times.map((t) => t.at(-1)!));
  const n = times.reduce((a, t) => a + t.filter((x) => x > start && x <= end).length, 0);
  return end > start ? n / ((end - start) / 1000) : 0;
}

/**
 * Benchmarks Loom on a model file.
 *
 * @example
 * ```ts ignore
 * import { createBenchBackend, loomDecode } from "./_loom_decode.ts";
 * const backend = await createBenchBackend("wasm", 2, "q8");
 * const r = await loomDecode("bench/.models/loom-bench-135m-q8_0-v1.gguf", backend, {
 *   numThreads: 2, numPromptTokens: 128, numTokens: 64, numRepeats: 3,
 * }, [8]);
 * console.log(r.decode.median, r.batched[8]?.best);
 * ```
 */
export async function loomDecode(
  path: string,
  backend: Backend,
  o: DecodeOptions,
  batches: readonly number[],
): Promise<DecodeResult> {
  const maxBatch = Math.max(1, ...batches);
  const model = await Model.load(path, {
    backend,
    maxBatchTokens: Math.max(512, o.numPromptTokens),
    maxLogitRows: maxBatch,
    maxPositions: o.numPromptTokens + o.numTokens + 1,
  });
  const blockSize = 16, perSeq = Math.ceil((o.numPromptTokens + o.numTokens + 1) / blockSize);
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks: maxBatch * perSeq + 1, blockSize }),
    scheduler: new FcfsScheduler(),
    kvDType: o.kvDType ?? "f32",
    maxBatchSeqs: maxBatch,
  });
  let seed = 0;
  await run(engine, [promptIds(o.numPromptTokens, seed++)], 4); // warm-up
  const prefill: number[] = [], decode: number[] = [];
  for (let r = 0; r < o.numRepeats; r++) {
    const [times] = await run(engine, [promptIds(o.numPromptTokens, seed++)], o.numTokens);
    prefill.push(o.numPromptTokens / (times![0]! / 1000));
    decode.push((times!.length - 1) / ((times!.at(-1)! - times![0]!) / 1000));
  }
  const batched: Record<number, Rate> = {};
  for (const b of batches.filter((b) => b > 1)) {
    const runs: number[] = [];
    for (let r = 0; r < o.numRepeats; r++) {
      const prompts = Array.from({ length: b }, () => promptIds(o.numPromptTokens, seed++));
      runs.push(decodeRate(await run(engine, prompts, o.numTokens)));
    }
    batched[b] = rate(runs);
  }
  backend.dispose();
  return {
    engine: `loom ${backend.name}`,
    numThreads: backend.name === "wasm" ? o.numThreads : 0,
    prefill: rate(prefill),
    decode: rate(decode),
    batched,
  };
}
