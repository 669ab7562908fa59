import assert from "node:assert/strict";
import { InvalidParameterError } from "@loom/core";
import { FcfsScheduler } from "@loom/schedulers";
import { fakeContext, seqView } from "./_fake_context.ts";

const decoding = (id: number) =>
  seqView({ id, status: "running", arrivalMs: id, numGeneratedTokens: 5, numPromptTokens: 110 });
const burst = [1, 2, 3].map((id) => seqView({ id, arrivalMs: 10 + id, numPromptTokens: 110 }));
const planOf = (s: FcfsScheduler, seqs: Parameters<typeof fakeContext>[0], budget = 256) =>
  s.schedule(fakeContext(seqs, { maxBatchTokens: budget })).run.map((r) => [r.seqId, r.numTokens]);

Deno.test("fcfs: packing prompts into a step's budget", async (t) => {
  await t.step("chunk (default) fills the budget and splits the last prompt", () => {
    assert.deepEqual(planOf(new FcfsScheduler(), [decoding(0), ...burst]), [
      [0, 1],
      [1, 110],
      [2, 110],
      [3, 35],
    ]);
  });
  await t.step("whole lets a prompt join only when all of it fits", () => {
    const s = new FcfsScheduler({ packPrefills: "whole" });
    assert.equal(s.packPrefills, "whole");
    assert.equal(new FcfsScheduler().packPrefills, "chunk");
    assert.deepEqual(planOf(s, [decoding(0), ...burst]), [[0, 1], [1, 110], [2, 110]]);
    assert.deepEqual(planOf(s, [decoding(0), ...burst], 128), [[0, 1], [1, 110]]);
  });
  await t.step("whole still splits a prompt that is alone in the step", () => {
    const s = new FcfsScheduler({ packPrefills: "whole" });
    const long = seqView({ id: 5, numPromptTokens: 1000 });
    assert.deepEqual(planOf(s, [decoding(0), long]), [[0, 1], [5, 255]]);
  });
  await t.step("whole: a running prompt's chunk counts as the step's prefill", () => {
    const s = new FcfsScheduler({ packPrefills: "whole" });
    const halfway = seqView({ id: 4, status: "running", numPromptTokens: 300 });
    const started = { ...halfway, numComputedTokens: 200, numBlocks: 50 };
    assert.deepEqual(planOf(s, [started, ...burst]), [[4, 100], [1, 110]]);
    assert.deepEqual(planOf(new FcfsScheduler(), [started, ...burst]), [[4, 100], [1, 110], [
      2,
      46,
    ]]);
  });
  await t.step("short prompts still pack many to a step", () => {
    const s = new FcfsScheduler({ packPrefills: "whole" });
    const short = [1, 2, 3, 4, 5].map((id) => seqView({ id, arrivalMs: id, numPromptTokens: 20 }));
    assert.equal(planOf(s, short, 64).length, 3); // 60 tokens; the 4th would be split
  });
  await t.step("an unknown mode is a typed error", () => {
    assert.throws(
      () => new FcfsScheduler({ packPrefills: "all" as "whole" }),
      InvalidParameterError,
    );
  });
});
