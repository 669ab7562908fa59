/**
 * Named workload scenarios: a cost preset, engine settings and a trace shape (lengths,
 * burstiness, shared prefixes, a high-priority tight-SLO class and a low-priority looser
 * one), with arrival rates given as a multiple of the scenario's nominal capacity.
 *
 * @module
 */
import type { ReplayOptions } from "./replay.ts";
import { generateTrace, type TraceOptions } from "./trace.ts";

/** A workload: engine settings and a trace shape. */
export interface Scenario {
  /** Cost preset it is simulated with. */
  readonly costModel: string;
  /** Engine and cache settings. */
  readonly engine: Omit<ReplayOptions, "scheduler" | "costModel">;
  /** Requests per second the engine sustains on this shape (measured under FCFS). */
  readonly capacityRps: number;
  /** The trace shape (everything but count, rate and seed). */
  readonly shape: Omit<TraceOptions, "numRequests" | "ratePerS" | "seed">;
}

/**
 * `gpu-8b`: an 8B model on one accelerator. `reference-demo`: the built-in demo model on
 * this repository's reference backend, small enough to run for real.
 *
 * @example
 * ```ts
 * import { SCENARIOS, scenarioTrace } from "./mod.ts";
 * const t = scenarioTrace("gpu-8b", { numRequests: 10, load: 1.5 });
 * console.log(Object.keys(SCENARIOS).length, t.length); // 2 10
 * ```
 */
export const SCENARIOS: Readonly<Record<"gpu-8b" | "reference-demo", Scenario>> = {
  "gpu-8b": {
    costModel: "gpu-8b",
    engine: {
      numBlocks: 8192,
      blockSize: 16,
      numHostBlocks: 8192,
      maxBatchTokens: 2048,
      maxBatchSeqs: 128,
    },
    capacityRps: 24,
    shape: {
      burstiness: 2,
      promptTokens: { median: 200, sigma: 1, max: 4096 },
      outputTokens: { median: 48, sigma: 1, max: 1024 },
      sharedPrefix: { share: 0.5, numPrefixes: 20, numTokens: 256 },
      classes: [
        { name: "high", share: 0.2, priority: 1, ttftMs: 1000, tpotMs: 100 },
        { name: "low", share: 0.8, priority: 0, ttftMs: 5000, tpotMs: 200 },
      ],
    },
  },
  "reference-demo": {
    costModel: "reference-demo",
    engine: {
      numBlocks: 512,
      blockSize: 16,
      numHostBlocks: 512,
      maxBatchTokens: 512,
      maxBatchSeqs: 64,
    },
    capacityRps: 70,
    shape: {
      burstiness: 2,
      promptTokens: { median: 48, sigma: 0.8, max: 400 },
      outputTokens: { median: 24, sigma: 0.8, max: 200 },
      sharedPrefix: { share: 0.5, numPrefixes: 8, numTokens: 64 },
      classes: [
        { name: "high", share: 0.2, priority: 1, ttftMs: 300, tpotMs: 30 },
        { name: "low", share: 0.8, priority: 0, ttftMs: 1500, tpotMs: 60 },
      ],
    },
  },
};

/**
 * A trace of a scenario's shape at `load` × its capacity.
 *
 * @example
 * ```ts
 * import { scenarioTrace } from "./mod.ts";
 * const t = scenarioTrace("reference-demo", { numRequests: 1000, load: 1, seed: 2 });
 * console.log(Math.round(1000 / (t.at(-1)!.arrivalMs / 1000)) > 50); // true
 * ```
 */
export function scenarioTrace(
  name: keyof typeof SCENARIOS,
  o: { numRequests: number; load: number; seed?: number },
): ReturnType<typeof generateTrace> {
  const s = SCENARIOS[name];
  return generateTrace({
    ...s.shape,
    numRequests: o.numRequests,
    ratePerS: o.load * s.capacityRps,
    seed: o.seed ?? 1,
  });
}
