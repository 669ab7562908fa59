/**
 * Engine statistics: counters and latency samples, exposed as data for servers to publish.
 *
 * @module
 */
import type { CacheUsage } from "../cache/cache_manager.ts";
import type { RequestState } from "./request_state.ts";

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

/** Latency samples kept for percentiles (most recent, bounded). */
const MAX_SAMPLES = 10_000;

function push(arr: number[], v: number): void {
  arr.push(v);
  if (arr.length > MAX_SAMPLES) arr.splice(0, arr.length - MAX_SAMPLES);
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
  numRequests = 0;
  numFinished = 0;
  numRejected = 0;
  numPreemptions = 0;
  numPlanSkips = 0;
  numSteps = 0;
  numTokensComputed = 0;
  numPromptTokens = 0;
  numGeneratedTokens = 0;
  numCachedPromptTokens = 0;
  stepMsTotal = 0;
  /** Recent samples, ms. */
  readonly ttftMs: number[] = [];
  readonly interTokenMs: number[] = [];
  readonly e2eMs: number[] = [];
  readonly queueMs: number[] = [];

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
  onFinish(req: RequestState): void {
    this.numFinished++;
    this.numPromptTokens += req.numPromptTokens;
    this.numGeneratedTokens += req.numCompletionTokens;
    this.numCachedPromptTokens += req.numCachedTokens;
    if (req.firstTokenMs !== undefined) push(this.ttftMs, req.firstTokenMs - req.arrivalMs);
    if (req.scheduledMs !== undefined) push(this.queueMs, req.scheduledMs - req.arrivalMs);
    if (req.finishedMs !== undefined) push(this.e2eMs, req.finishedMs - req.arrivalMs);
    for (const v of req.interTokenMs) push(this.interTokenMs, v);
  }
}
