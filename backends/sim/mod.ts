/**
 * Loom's simulation backend: a Backend that computes nothing and advances a virtual clock by
 * a cost model, so the real Engine, CacheManager and Schedulers run at any scale; seeded
 * synthetic traces; replay (simulated, or live on a real model); metrics, tables and CDF
 * plots; and calibration of the cost model against measured steps.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { generateTrace, replayTrace, summarize } from "./mod.ts";
 * const trace = generateTrace({ numRequests: 200, ratePerS: 20, burstiness: 2, seed: 1 });
 * const result = await replayTrace(trace, { scheduler: new FcfsScheduler(), costModel: "gpu-8b" });
 * const s = summarize(result);
 * console.log(s.numRequests, s.ttftP50 <= s.ttftP99); // 200 true
 * ```
 *
 * @module
 */
export * from "./clock.ts";
export * from "./cost_model.ts";
export * from "./backend.ts";
export * from "./model.ts";
export * from "./trace.ts";
export * from "./replay.ts";
export * from "./metrics.ts";
export * from "./calibrate.ts";
export * from "./live_replay.ts";
export * from "./report.ts";
export * from "./scenarios.ts";
