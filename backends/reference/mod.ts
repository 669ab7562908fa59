/**
 * @loom/reference — the plain-TypeScript reference backend, oracle of the conformance suite.
 *
 * @example
 * ```ts
 * import { ReferenceBackend } from "@loom/reference";
 * console.log(new ReferenceBackend().name); // "reference"
 * ```
 *
 * @module
 */
export * from "./backend.ts";
export * from "./ops.ts";
