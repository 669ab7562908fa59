import assert from "node:assert/strict";
import { ReferenceBackend } from "@loom/reference";
import {
  compareTopLogits,
  loadCases,
  loadFixtureModel,
  teacherForcedLogits,
} from "./_llama_cpp_reference.ts";

Deno.test("reference backend matches llama.cpp on llama-2-tiny-random (teacher-forced)", async (t) => {
  const cases = (await loadCases()).filter((c) => c.model_file === "llama-2-tiny-random.gguf");
  assert.ok(cases.length >= 4);
  const model = await loadFixtureModel(new ReferenceBackend(), "llama-2-tiny-random.gguf");
  for (const c of cases) {
    await t.step(c.prompt, async () => {
      const logits = await teacherForcedLogits(model, c);
      const { maxDiff } = compareTopLogits(c, logits);
      assert.ok(maxDiff < 0.05, `max |Δlogit| ${maxDiff}`);
    });
  }
});
