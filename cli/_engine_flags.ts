/**
 * The flags every model command shares (`--model`, `--backend`, `--scheduler`, KV-cache
 * sizing) and the engine they build. With no `--model`, the built-in demo model is used and
 * the user is told how to run a real one.
 *
 * @module
 */
import {
  buildDemoModel,
  Engine,
  InvalidParameterError,
  Model,
  PagedCacheManager,
  type Scheduler,
} from "@loom/core";
import * as schedulers from "@loom/schedulers";
import { createBackend } from "./_backends.ts";

/** `node:util` parseArgs options of the shared flags. */
export const ENGINE_OPTIONS = {
  model: { type: "string" },
  backend: { type: "string", default: "auto" },
  threads: { type: "string" },
  activations: { type: "string", default: "q8" },
  scheduler: { type: "string", default: "fcfs" },
  "pack-prefills": { type: "string" },
  "kv-blocks": { type: "string" },
  "kv-memory": { type: "string" },
  "block-size": { type: "string", default: "16" },
  "max-batch-tokens": { type: "string" },
  "max-queue": { type: "string" },
  help: { type: "boolean", default: false },
} as const;

/** Help text of the shared flags. */
export const ENGINE_HELP = `Model and engine options:
  --model PATH|hf:REPO   GGUF file, Hugging Face folder or hf:ORG/REPO[/FILE]
                         (default: the built-in demo model, generated in memory)
  --backend NAME         reference, wasm, webgpu or auto (default: auto = WebGPU on a
                         hardware adapter, else WASM)
  --threads N            WASM threads (default: every core)
  --activations q8|f32   WASM matmul activations: q8 (default) quantizes them per block of
                         32 to int8 for quantized weights, as llama.cpp does (several times
                         faster); f32 is exact
  --scheduler NAME       fcfs (default), preemptive or slo
  --pack-prefills MODE   fcfs: whole (default) lets a prompt join a step that already
                         prefills another only when all of it fits, so prompts of a burst
                         finish one after another; chunk fills the budget, splitting one
                         (with --scheduler fcfs only)
  --kv-blocks N          KV-cache blocks (default: 4 full contexts, at most --kv-memory)
  --kv-memory SIZE       KV-cache memory, e.g. 512MiB or 2GiB (default 1GiB)
  --block-size N         tokens per KV block (default 16)
  --max-batch-tokens N   tokens a step computes, prefill chunks included (default: 128 on
                         WASM, where a shorter step lets new requests in sooner; else 512)
  --max-queue N          requests waiting before new ones get 429 (default unlimited)`;

/** The shared flags' values, as parseArgs returns them. */
export interface EngineFlags {
  readonly model?: string | undefined;
  readonly backend: string;
  readonly threads?: string | undefined;
  readonly activations: string;
  readonly scheduler: string;
  readonly "pack-prefills"?: string | undefined;
  readonly "kv-blocks"?: string | undefined;
  readonly "kv-memory"?: string | undefined;
  readonly "block-size": string;
  readonly "max-batch-tokens"?: string | undefined;
  readonly "max-queue"?: string | undefined;
}

const SCHEDULER_CLASSES: Readonly<Record<string, string>> = {
  fcfs: "FcfsScheduler",
  preemptive: "PreemptiveScheduler",
  slo: "SloAwareScheduler",
};

/**
 * A scheduler by CLI name; `packPrefills` (`--pack-prefills`) is FCFS's prompt packing, whole
 * by default.
 */
export function createScheduler(name: string, packPrefills?: string): Scheduler {
  if (name === "fcfs") {
    if (packPrefills !== undefined && packPrefills !== "whole" && packPrefills !== "chunk") {
      throw new InvalidParameterError("pack-prefills", `whole or chunk, not ${packPrefills}`);
    }
    return new schedulers.FcfsScheduler({ packPrefills: packPrefills ?? "whole" });
  }
  if (packPrefills !== undefined) {
    throw new InvalidParameterError("pack-prefills", `applies to the fcfs scheduler, not ${name}`);
  }
  const className = SCHEDULER_CLASSES[name];
  const ctor = className === undefined
    ? undefined
    : (schedulers as Record<string, unknown>)[className] as (new () => Scheduler) | undefined;
  if (!ctor) {
    const known = Object.keys(SCHEDULER_CLASSES).filter((k) =>
      (schedulers as Record<string, unknown>)[SCHEDULER_CLASSES[k]!] !== undefined
    );
    throw new InvalidParameterError("scheduler", `unknown scheduler ${name} (${known.join(", ")})`);
  }
  return new ctor();
}

/** Parses a positive integer flag. */
export function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidParameterError(name, `expected a non-negative integer, got ${value}`);
  }
  return n;
}

/** Parses `512MiB`, `2GiB`, `300MB`, `1e9` into bytes. */
export function parseBytes(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([KMGT]?)(i?)B?$/i.exec(text.trim());
  if (!m) throw new InvalidParameterError(name, `expected a size such as 512MiB, got ${text}`);
  const power = " KMGT".indexOf(m[2]!.toUpperCase() || " ");
  return Math.floor(Number(m[1]) * (m[3] ? 1024 : 1000) ** power);
}

/** Loads `--model`, or builds the demo model and says so on stderr. */
export async function loadModel(flags: EngineFlags, command: string): Promise<Model> {
  if (flags.activations !== "q8" && flags.activations !== "f32") {
    throw new InvalidParameterError("activations", `q8 or f32, not ${flags.activations}`);
  }
  const threads = intFlag("threads", flags.threads);
  if (threads === 0) throw new InvalidParameterError("threads", "must be at least 1");
  const budget = intFlag("max-batch-tokens", flags["max-batch-tokens"]);
  if (budget === 0) throw new InvalidParameterError("max-batch-tokens", "must be at least 1");
  const backend = await createBackend(flags.backend, { threads, activations: flags.activations });
  const maxBatchTokens = budget ?? (backend.name === "wasm" ? 128 : 512);
  if (flags.model) return await Model.load(flags.model, { backend, maxBatchTokens });
  console.error(
    "Using the built-in demo model (random weights, so the text is gibberish).\n" +
      `Run a real model with: deno task ${command === "serve" ? "" : "loom "}${command} ` +
      "--model path/to/model.gguf " +
      "(or --model hf:ORG/REPO/FILE.gguf)\n",
  );
  return await buildDemoModel(backend, { maxBatchTokens });
}

/** Builds the engine the flags describe over a loaded model. */
export function createEngine(model: Model, flags: EngineFlags): Engine {
  const blockSize = intFlag("block-size", flags["block-size"])!;
  if (blockSize < 1) throw new InvalidParameterError("block-size", "must be at least 1");
  const c = model.config;
  const bytesPerToken = 2 * c.numLayers * c.numKvHeads * c.headDim * 4; // K and V, f32
  const memory = parseBytes("kv-memory", flags["kv-memory"] ?? "1GiB");
  const byMemory = Math.floor(memory / (bytesPerToken * blockSize));
  const numBlocks = intFlag("kv-blocks", flags["kv-blocks"]) ??
    Math.min(byMemory, Math.ceil((4 * c.maxContextLength) / blockSize));
  if (numBlocks < 1) throw new InvalidParameterError("kv-blocks", "the KV cache needs blocks");
  const maxWaiting = intFlag("max-queue", flags["max-queue"]);
  return new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks, blockSize }),
    scheduler: createScheduler(flags.scheduler, flags["pack-prefills"]),
    ...(maxWaiting !== undefined ? { maxWaiting } : {}),
  });
}
