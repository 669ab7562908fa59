/**
 * @loom/schedulers — scheduling policies for the Loom engine.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * console.log(new FcfsScheduler().name); // "fcfs"
 * ```
 *
 * @module
 */
export * from "./fcfs.ts";
