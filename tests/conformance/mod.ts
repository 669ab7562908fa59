/**
 * The backend conformance suite, shared by every backend: each op and whole forward passes
 * against the reference backend (`@loom/reference`, the oracle) within stated tolerances,
 * for every dtype the backend lists in `supportedDTypes`.
 *
 * A backend's test is a few lines (backends/wasm/wasm_test.ts runs exactly this):
 *
 * ```ts ignore
 * import { runBackendConformance } from "../../tests/conformance/mod.ts";
 * import { WasmBackend } from "@loom/wasm";
 * runBackendConformance("wasm", () => WasmBackend.create({ numThreads: 1 }));
 * ```
 *
 * Tolerances (|actual − expected| ≤ atol + rtol · max|expected| over each output) assume
 * the backend computes in f32 from the exactly dequantized weights, as the reference does
 * (in f64). A backend that rounds more (f16 activations, int8-quantized activations) passes
 * its own tolerances in {@linkcode ConformanceOptions.tolerance}.
 *
 * Quantized weights are random block bytes with sane f16 scales (every quant bit pattern
 * occurs); a dtype the reference cannot dequantize yet is reported as an ignored step.
 *
 * @module
 */
import type { Backend, DType } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { referenceReads, Rng, type Tolerance } from "./_helpers.ts";
import {
  checkElementwise,
  checkEmbed,
  checkMatmul,
  checkRmsNorm,
  checkRope,
} from "./_op_checks.ts";
import {
  ATTENTION_CASES,
  checkAttentionSchedule,
  checkChunkedPrefill,
  checkCopyAndSwap,
  checkLongContext,
} from "./_attention_checks.ts";
import { type ModelCheckOptions, registerModelChecks } from "./_model_checks.ts";

export type { Tolerance } from "./_helpers.ts";
export type { ModelCheckOptions } from "./_model_checks.ts";

/** Groups of checks with their own tolerance. */
export type CheckGroup = "matmul" | "embed" | "elementwise" | "attention";

/** Default tolerances for a backend computing in f32. */
export const F32_TOLERANCES: Readonly<Record<CheckGroup, Tolerance>> = {
  matmul: { atol: 1e-5, rtol: 2e-5 },
  embed: { atol: 1e-6, rtol: 1e-6 },
  elementwise: { atol: 1e-5, rtol: 2e-5 },
  attention: { atol: 1e-5, rtol: 2e-5 },
};

/** Options of {@linkcode runBackendConformance}. */
export interface ConformanceOptions {
  /** Tolerance overrides per check group. */
  readonly tolerance?: Partial<Record<CheckGroup, Tolerance>>;
  /** Skip the whole-model checks (fixture files and the llama.cpp reference records). */
  readonly skipModels?: boolean;
  /** Options of the whole-model checks. */
  readonly models?: ModelCheckOptions;
  /** RNG seed (default 1234). */
  readonly seed?: number;
}

/**
 * Registers one `Deno.test` named `${name}: conformance` whose steps compare `makeBackend()`'s
 * ops (and whole forward passes) with the reference backend.
 */
export function runBackendConformance(
  name: string,
  makeBackend: () => Promise<Backend>,
  options: ConformanceOptions = {},
): void {
  const tol = { ...F32_TOLERANCES, ...options.tolerance };
  Deno.test(`${name}: conformance`, async (t) => {
    const ref = new ReferenceBackend();
    const be = await makeBackend();
    const rng = new Rng(options.seed ?? 1234);
    try {
      for (const dtype of be.supportedDTypes as DType[]) {
        const ignore = !referenceReads(dtype);
        await t.step({
          name: `matmul ${dtype}${ignore ? " (reference cannot dequantize it yet)" : ""}`,
          ignore,
          fn: () => checkMatmul(ref, be, dtype, rng, tol.matmul),
        });
        await t.step({
          name: `embed ${dtype}`,
          ignore,
          fn: () => checkEmbed(ref, be, dtype, rng, tol.embed),
        });
      }
      await t.step("rmsNorm", () => checkRmsNorm(ref, be, rng, tol.elementwise));
      await t.step("rope", () => checkRope(ref, be, rng, tol.elementwise));
      await t.step(
        "siluMul, add, gatherRows",
        () => checkElementwise(ref, be, rng, tol.elementwise),
      );
      for (const c of ATTENTION_CASES) {
        await t.step(
          `attention ${c.label}: prefill, chunks, decode over shuffled blocks`,
          () => checkAttentionSchedule(ref, be, c, rng, tol.attention),
        );
      }
      await t.step("attention: prefill in chunks equals prefill at once", async () => {
        for (const c of ATTENTION_CASES) await checkChunkedPrefill(be, c, rng, tol.attention);
      });
      await t.step(
        "attention: 300-position context",
        () => checkLongContext(ref, be, rng, tol.attention),
      );
      await t.step(
        "copyBlocks, swapOut, swapIn",
        () => checkCopyAndSwap(ref, be, rng, tol.attention),
      );
      if (!options.skipModels) await registerModelChecks(t, ref, be, options.models);
    } finally {
      be.dispose();
      ref.dispose();
    }
  });
}
