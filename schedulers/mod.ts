/**
 * @loom/schedulers — scheduling policies for the Loom engine: first-come-first-served,
 * preemptive (priority classes + skip-join MLFQ) and SLO-aware (deadlines, TPOT-aware
 * prefill chunking, admission control). A policy of your own is one class implementing
 * `Scheduler` from `@loom/core` (see examples/custom_scheduler.ts).
 *
 * @example
 * ```ts
 * import { FcfsScheduler, PreemptiveScheduler, SloAwareScheduler } from "@loom/schedulers";
 * const all = [new FcfsScheduler(), new PreemptiveScheduler(), new SloAwareScheduler()];
 * console.log(all.map((s) => s.name)); // [ "fcfs", "preemptive", "slo-aware" ]
 * ```
 *
 * @module
 */
export * from "./fcfs.ts";
export * from "./preemptive.ts";
export * from "./slo_aware.ts";
export * from "./step_time.ts";
export type { MlfqOptions } from "./_mlfq.ts";
export type { PreemptionMode } from "./_plan_builder.ts";
