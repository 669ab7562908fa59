import assert from "node:assert/strict";
import { ReferenceBackend } from "@loom/reference";
import {
  compareTopLogits,
  loadCases,
  loadFixtureModel,
  teacherForcedLogits,
} from "./_llama_cpp_reference.ts";

// The reference backend computes in f32 from dequantized weights, which is how
// expected_f32_math.json was made; expected.json is llama.cpp's default numerics.
const f32Cases = await loadCases("expected_f32_math.json");
const defaultCases = await loadCases("expected.json");
const models = [...new Set(defaultCases.map((c) => c.model_file))];

Deno.test("reference backend matches llama.cpp on every fixture model (teacher-forced)", async (t) => {
  assert.equal(models.length, 8);
  for (const file of models) {
    await t.step(file, async () => {
      const model = await loadFixtureModel(new ReferenceBackend(), file);
      for (const c of f32Cases.filter((x) => x.model_file === file)) {
        const { maxDiff } = compareTopLogits(c, await teacherForcedLogits(model, c));
        assert.ok(maxDiff < 0.01, `${c.prompt}: max |Δlogit| ${maxDiff} vs F32 math`);
      }
      for (const c of defaultCases.filter((x) => x.model_file === file)) {
        const { argmaxMismatches } = compareTopLogits(c, await teacherForcedLogits(model, c));
        assert.deepEqual(
          argmaxMismatches,
          [],
          `${c.prompt}: top-1 differs where llama.cpp leads by > 0.7`,
        );
      }
    });
  }
});
