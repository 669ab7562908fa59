/**
 * Replays a trace in real time on a real model (any backend): arrivals are timers, the
 * engine runs on `performance.now`, and every busy step is measured — the data to calibrate
 * the simulator against, and to check its predictions.
 *
 * @module
 */
import {
  Engine,
  type EngineModel,
  type ForwardBatch,
  type KvPool,
  PagedCacheManager,
  type Scheduler,
} from "@loom/core";
import type { StepSample } from "./calibrate.ts";
import { stepShape } from "./cost_model.ts";
import type { ReplayResult } from "./replay.ts";
import { consume, type RequestRecord } from "./_records.ts";
import { promptIds, type TraceRequest } from "./trace.ts";

/** Options of {@linkcode replayTraceLive}. */
export interface LiveReplayOptions {
  /** The model (ids 0–255 must be in its vocabulary). */
  readonly model: EngineModel;
  /** The policy (use a fresh instance per replay). */
  readonly scheduler: Scheduler;
  /** KV blocks (default 1024). */
  readonly numBlocks?: number;
  /** Tokens per block (default 16). */
  readonly blockSize?: number;
  /** Host blocks for swapping (default 0). */
  readonly numHostBlocks?: number;
  /** Most tokens per step (default: the model's). */
  readonly maxBatchTokens?: number;
  /** Most sequences per step (default 64). */
  readonly maxBatchSeqs?: number;
}

/** A live replay's outcome, with the measured steps. */
export interface LiveReplayResult extends ReplayResult {
  /** Every step that started right after the previous one: its shape and duration. */
  readonly steps: readonly StepSample[];
}

/**
 * Runs the trace in real time. A step's duration is the time from one `schedule` call to the
 * next (scheduling, the forward pass, sampling and the engine's yield between steps).
 *
 * @example
 * ```ts
 * import { buildDemoModel } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { generateTrace, replayTraceLive } from "./mod.ts";
 * const model = await buildDemoModel(new ReferenceBackend());
 * const trace = generateTrace({
 *   numRequests: 4, ratePerS: 100, promptTokens: { median: 8, sigma: 0.5 },
 *   outputTokens: { median: 4, sigma: 0.5 },
 * });
 * const r = await replayTraceLive(trace, { model, scheduler: new FcfsScheduler() });
 * console.log(r.records.length, r.steps.length > 0); // 4 true
 * ```
 */
export async function replayTraceLive(
  trace: readonly TraceRequest[],
  options: LiveReplayOptions,
): Promise<LiveReplayResult> {
  const wall0 = performance.now();
  const steps: StepSample[] = [];
  let last: { atMs: number; endMs: number; shape: ReturnType<typeof stepShape> } | undefined;
  let busyMs = 0, pending = 0;
  const inner = options.model;
  const model: EngineModel = {
    config: inner.config,
    tokenizer: inner.tokenizer,
    backend: inner.backend,
    maxBatchTokens: inner.maxBatchTokens,
    maxLogitRows: inner.maxLogitRows,
    createKvPool: (o) => inner.createKvPool(o),
    async forward(batch: ForwardBatch, pool: KvPool): Promise<Float32Array> {
      const logits = await inner.forward(batch, pool);
      if (pending) last = { atMs: pending, endMs: performance.now(), shape: stepShape(batch) };
      return logits;
    },
  };
  const scheduler: Scheduler = {
    name: options.scheduler.name,
    schedule(ctx) {
      const now = ctx.nowMs;
      // the previous step counts when the engine went straight on (a sequence it saw remains)
      const seen = (l: readonly { arrivalMs: number }[]) =>
        l.some((s) => s.arrivalMs <= last!.endMs);
      if (last && (seen(ctx.running) || seen(ctx.swapped) || seen(ctx.waiting))) {
        steps.push({ ...last.shape, ms: now - last.atMs });
        busyMs += now - last.atMs;
      }
      last = undefined;
      pending = now;
      return options.scheduler.schedule(ctx);
    },
  };
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({
      numBlocks: options.numBlocks ?? 1024,
      blockSize: options.blockSize ?? 16,
      numHostBlocks: options.numHostBlocks ?? 0,
    }),
    scheduler,
    maxBatchSeqs: options.maxBatchSeqs ?? 64,
    ...(options.maxBatchTokens !== undefined ? { maxBatchTokens: options.maxBatchTokens } : {}),
  });
  const records = new Array<RequestRecord>(trace.length);
  const t0 = engine.now();
  const consumers = trace.map((r, i) =>
    new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        const stream = engine.generate(promptIds(r), {
          maxTokens: r.maxTokens,
          temperature: 0,
          ignoreEos: true,
          priority: r.priority,
          ...(r.ttftMs !== undefined ? { ttftMs: r.ttftMs } : {}),
          ...(r.tpotMs !== undefined ? { tpotMs: r.tpotMs } : {}),
        });
        consume(r, i, stream, records, engine.now()).then(resolve, reject);
      }, Math.max(0, t0 + r.arrivalMs - engine.now()));
    })
  );
  await Promise.all(consumers);
  const m = engine.metrics();
  let end = t0;
  for (const r of records) end = Math.max(end, r.finishedMs ?? r.arrivalMs);
  return {
    scheduler: options.scheduler.name,
    records,
    spanMs: end - (records[0]?.arrivalMs ?? t0),
    numSteps: engine.stats.numSteps,
    numPreemptions: m.numPreemptions,
    prefixHitRate: m.prefixHitRate,
    busyMs,
    wallMs: performance.now() - wall0,
    steps,
  };
}
