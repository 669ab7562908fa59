/**
 * Engine statistics: counters and latency samples, exposed as data for servers to publish.
 *
 * @module
 */
import type { CacheUsage } from "../cache/cache_manager.ts";
import type { RequestTimings, Usage } from "./request_state.ts";

/** A snapshot of an engine's gauges and counters. */
export interface EngineMetrics {
  /** Sequences on the device. */
  readonly numRunning: number;
  /** Sequences waiting. */
  readonly numWaiting: number;
  /** Sequences swapped to host memory. */
  readonly numSwapped: number;
  /** Fraction of KV blocks referenced. */
  readonly kvUsage: number;
  /** The cache's figures. */
  readonly cache: CacheUsage;
  /** Prompt tokens served from the prefix cache / prompt tokens looked up. */
  readonly prefixHitRate: number;
  /** Preemptions so far. */
  readonly numPreemptions: number;
  /** Requests received. */
  readonly numRequests: number;
  /** Requests finished normally. */
  readonly numFinished: number;
  /** Requests rejected by the scheduler. */
  readonly numRejected: number;
  /** Prompt tokens of finished requests. */
  readonly numPromptTokens: number;
  /** Generated tokens of finished requests. */
  readonly numGeneratedTokens: number;
  /** Steps run. */
  readonly numSteps: number;
}

/** Latency samples kept for percentiles: the most recent 10,000 to 20,000. */
const MAX_SAMPLES = 10_000;

function push(arr: number[], v: number): void {
  arr.push(v);
  // drop the oldest half at once: amortised O(1) per sample
  if (arr.length >= 2 * MAX_SAMPLES) arr.splice(0, MAX_SAMPLES);
}

/**
 * Counters and recent latency samples of an engine.
 *
 * @example
 * ```ts
 * import { EngineStats } from "@loom/core";
 * const s = new EngineStats(() => 0);
 * s.onStep(0, 5, 10, 2);
 * console.log(s.numSteps, s.numTokensComputed); // 1 10
 * ```
 */
export class EngineStats {
  /** Requests received. */
  numRequests = 0;
  /** Requests finished normally. */
  numFinished = 0;
  /** Requests rejected by the scheduler. */
  numRejected = 0;
  /** Preemptions (swap or recompute). */
  numPreemptions = 0;
  /** Planned chunks the engine could not run (cache full at apply time). */
  numPlanSkips = 0;
  /** Steps run. */
  numSteps = 0;
  /** Tokens run through the model (prefill and decode). */
  numTokensComputed = 0;
  /** Prompt tokens of finished requests. */
  numPromptTokens = 0;
  /** Generated tokens of finished requests. */
  numGeneratedTokens = 0;
  /** Prompt tokens of finished requests served from the prefix cache. */
  numCachedPromptTokens = 0;
  /** Time spent in steps, ms. */
  stepMsTotal = 0;
  /** Recent time-to-first-token samples, ms. */
  readonly ttftMs: number[] = [];
  /** Recent inter-token latency samples, ms. */
  readonly interTokenMs: number[] = [];
  /** Recent end-to-end latency samples, ms. */
  readonly e2eMs: number[] = [];
  /** Recent queue-time samples, ms. */
  readonly queueMs: number[] = [];

  /**
   * Creates empty statistics.
   *
   * @param clock The engine's clock, ms.
   */
  constructor(readonly clock: () => number) {}

  /** A request arrived. */
  onArrival(): void {
    this.numRequests++;
  }

  /** A step ran. */
  onStep(startMs: number, endMs: number, numTokens: number, _numSeqs: number): void {
    this.numSteps++;
    this.numTokensComputed += numTokens;
    this.stepMsTotal += endMs - startMs;
  }

  /** A request finished normally. */
  onFinish(usage: Usage, t: RequestTimings): void {
    this.numFinished++;
    this.numPromptTokens += usage.promptTokens;
    this.numGeneratedTokens += usage.completionTokens;
    this.numCachedPromptTokens += usage.cachedTokens;
    if (t.firstTokenMs !== undefined) push(this.ttftMs, t.firstTokenMs - t.arrivalMs);
    if (t.scheduledMs !== undefined) push(this.queueMs, t.scheduledMs - t.arrivalMs);
    if (t.finishedMs !== undefined) push(this.e2eMs, t.finishedMs - t.arrivalMs);
    for (const v of t.interTokenMs) push(this.interTokenMs, v);
  }
}
