/**
 * The WebGPU backend against llama.cpp's recorded outputs (../shared/fixtures/reference),
 * teacher-forced, on every fixture model: it computes in f32, so the recorded top-5 logits
 * must be within 0.05 of `expected_f32_math.json`, and top-1 must equal `expected.json`
 * wherever llama.cpp leads by more than 0.7.
 */
import assert from "node:assert/strict";
import { WebGpuBackend } from "@loom/webgpu";
import {
  compareTopLogits,
  loadCases,
  loadFixtureModel,
  type ReferenceCase,
  teacherForcedLogits,
} from "../../tests/_llama_cpp_reference.ts";

if (!(await navigator.gpu?.requestAdapter())) {
  throw new Error("llama_cpp_test: no WebGPU adapter (navigator.gpu.requestAdapter() gave none)");
}

const ids = (c: ReferenceCase) => [...c.prompt_ids, ...c.generated_ids].join(",");

Deno.test("webgpu matches llama.cpp on every fixture model (teacher-forced)", async (t) => {
  const f32Cases = await loadCases("expected_f32_math.json");
  const defaultCases = await loadCases("expected.json");
  const backend = await WebGpuBackend.create();
  try {
    for (const file of [...new Set(f32Cases.map((c) => c.model_file))]) {
      const model = await loadFixtureModel(backend, file);
      for (const c of f32Cases.filter((c) => c.model_file === file)) {
        await t.step(`${file}: ${JSON.stringify(c.prompt).slice(0, 40)}`, async () => {
          const logits = await teacherForcedLogits(model, c);
          const { maxDiff } = compareTopLogits(c, logits);
          assert.ok(maxDiff < 0.05, `max |Δlogit| vs f32 math ${maxDiff}`);
          const d = defaultCases.find((e) => e.model_file === file && e.prompt === c.prompt)!;
          const dLogits = ids(d) === ids(c) ? logits : await teacherForcedLogits(model, d);
          const { argmaxMismatches } = compareTopLogits(d, dLogits);
          assert.deepEqual(argmaxMismatches, [], "argmax differs where llama.cpp leads by > 0.7");
        });
      }
    }
  } finally {
    backend.dispose();
  }
});
