import type { Backend } from "@loom/core";
/** Whole-model checks (filled in below). */
export async function registerModelChecks(_t: Deno.TestContext, _ref: Backend, _be: Backend) {}
