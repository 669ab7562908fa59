/**
 * Replays a trace through the real Engine, PagedCacheManager and a Scheduler on the
 * simulation backend: arrivals fire on the virtual clock, every step advances it by the cost
 * model, and each request's timings are recorded.
 *
 * @module
 */
import { Engine, PagedCacheManager, type Scheduler } from "@loom/core";
import { SimClock } from "./clock.ts";
import type { CostModel } from "./cost_model.ts";
import { SimModel } from "./model.ts";
import { promptIds, type TraceRequest } from "./trace.ts";
import { nextTurn } from "./_next_turn.ts";
import { consume, type RequestRecord } from "./_records.ts";

export type { RequestRecord };

/** Options of {@linkcode replayTrace}. */
export interface ReplayOptions {
  /** The policy (use a fresh instance per replay). */
  readonly scheduler: Scheduler;
  /** Cost model or preset name (default `reference-demo`). */
  readonly costModel?: CostModel | string;
  /** KV blocks (default 4096). */
  readonly numBlocks?: number;
  /** Tokens per block (default 16). */
  readonly blockSize?: number;
  /** Host blocks for swapping (default 0). */
  readonly numHostBlocks?: number;
  /** Prefix caching (default true). */
  readonly enablePrefixCaching?: boolean;
  /** Most tokens per step (default 2048). */
  readonly maxBatchTokens?: number;
  /** Most sequences per step (default 128). */
  readonly maxBatchSeqs?: number;
}

/** A replay's outcome. */
export interface ReplayResult {
  /** Scheduler name. */
  readonly scheduler: string;
  /** One record per trace request, in trace order. */
  readonly records: readonly RequestRecord[];
  /** Virtual time from the first arrival to the last finish, ms. */
  readonly spanMs: number;
  /** Engine steps. */
  readonly numSteps: number;
  /** Preemptions. */
  readonly numPreemptions: number;
  /** Prompt tokens found in the prefix cache / prompt tokens looked up. */
  readonly prefixHitRate: number;
  /** Virtual time the device was busy, ms. */
  readonly busyMs: number;
  /** Wall-clock time of the replay, ms. */
  readonly wallMs: number;
}

/**
 * Runs the whole trace; resolves when every request has finished or been rejected.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { generateTrace, replayTrace } from "./mod.ts";
 * const trace = generateTrace({ numRequests: 20, ratePerS: 50 });
 * const r = await replayTrace(trace, { scheduler: new FcfsScheduler() });
 * console.log(r.records.length, r.records.every((x) => x.numOutputTokens > 0)); // 20 true
 * ```
 */
export async function replayTrace(
  trace: readonly TraceRequest[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const wall0 = performance.now();
  const clock = new SimClock();
  const watch = watchForStalls(options.scheduler, () => {});
  const model = new SimModel({ clock, costModel: options.costModel ?? "reference-demo" });
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({
      numBlocks: options.numBlocks ?? 4096,
      blockSize: options.blockSize ?? 16,
      numHostBlocks: options.numHostBlocks ?? 0,
      enablePrefixCaching: options.enablePrefixCaching ?? true,
    }),
    scheduler: watch.scheduler,
    clock: clock.now,
    maxBatchTokens: options.maxBatchTokens ?? 2048,
    maxBatchSeqs: options.maxBatchSeqs ?? 128,
  });
  const records = new Array<RequestRecord>(trace.length);
  const consumers: Promise<void>[] = [];
  trace.forEach((r, i) => {
    clock.at(r.arrivalMs, () => {
      const stream = engine.generate(promptIds(r), {
        maxTokens: r.maxTokens,
        temperature: 0,
        ignoreEos: true,
        priority: r.priority,
        requestId: String(r.index),
        ...(r.ttftMs !== undefined ? { ttftMs: r.ttftMs } : {}),
        ...(r.tpotMs !== undefined ? { tpotMs: r.tpotMs } : {}),
      });
      consumers.push(consume(r, i, stream, records, clock.nowMs));
    });
  });
  await (async () => {
    for (;;) {
      if (engine.numRequests === 0) {
        if (!clock.runNext()) break; // idle: jump to the next arrival
        continue;
      }
      await Promise.race([engine.drain(), watch.stalled(engine)]);
      watch.reset();
      if (engine.numRequests === 0) continue;
      // the engine ran nothing and waits for an arrival: let it settle, give it the next one
      await nextTurn();
      if (!clock.runNext()) {
        throw new Error(
          `scheduler ${engine.scheduler.name} made no progress: ${engine.numWaiting} waiting, ` +
            `${engine.numRunning} running, ${engine.numSwapped} swapped, no arrivals left`,
        );
      }
    }
    await Promise.all(consumers);
  })();
  const m = engine.metrics();
  const first = trace[0]?.arrivalMs ?? 0;
  let last = first;
  for (const r of records) last = Math.max(last, r.finishedMs ?? r.arrivalMs);
  return {
    scheduler: engine.scheduler.name,
    records,
    spanMs: last - first,
    numSteps: engine.stats.numSteps,
    numPreemptions: m.numPreemptions,
    prefixHitRate: m.prefixHitRate,
    busyMs: model.backend.busyMs,
    wallMs: performance.now() - wall0,
  };
}

/**
 * Wraps a scheduler to tell when the engine stops stepping: a plan that runs nothing (the
 * engine then waits for an arrival), or, as a safety net, no step for 20 ms of wall time.
 * Calls `every128` every 128 steps.
 */
function watchForStalls(inner: Scheduler, every128: () => void) {
  let notify: (() => void) | undefined;
  let numCalls = 0;
  const scheduler: Scheduler = {
    name: inner.name,
    schedule(ctx) {
      if ((++numCalls & 127) === 0) every128();
      const plan = inner.schedule(ctx);
      if (plan.run.length === 0) notify?.();
      return plan;
    },
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = (engine: Engine) =>
    new Promise<void>((resolve) => {
      notify = resolve;
      let seen = numCalls;
      const poll = () => {
        if (numCalls === seen && engine.numRequests > 0) return resolve();
        seen = numCalls;
        timer = setTimeout(poll, 20);
      };
      timer = setTimeout(poll, 20);
    });
  const reset = () => {
    notify = undefined;
    clearTimeout(timer);
  };
  return { scheduler, stalled, reset };
}
