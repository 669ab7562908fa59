import assert from "node:assert/strict";
import { InvalidParameterError } from "@loom/core";
import { PreemptiveScheduler } from "@loom/schedulers";
import { fakeContext, seqView } from "./_fake_context.ts";

Deno.test("preemptive: skip-join levels and demotion after each quantum", () => {
  const s = new PreemptiveScheduler(); // quanta 32, 64, 128, 256; a prompt token weighs 1/32
  const level = (numPromptTokens: number, numGeneratedTokens: number) =>
    s.levelOf({ numPromptTokens, numGeneratedTokens });
  assert.equal(level(16, 0), 0);
  assert.equal(level(2048, 0), 1); // 64 units: skips level 0
  assert.equal(level(8000, 0), 3);
  assert.equal(level(16, 31), 0);
  assert.equal(level(16, 32), 1);
  assert.equal(level(16, 32 + 64), 2);
  assert.equal(level(16, 32 + 64 + 128), 3);
  assert.equal(level(16, 100_000), 3); // the last level keeps it
  assert.equal(level(2048, 64), 2);
});

Deno.test("preemptive: a higher-priority arrival runs first and preempts for blocks", async (t) => {
  const low = (id: number, numGeneratedTokens = 40) =>
    seqView({ id, status: "running", arrivalMs: id, numGeneratedTokens, numPromptTokens: 16 });
  const high = seqView({ id: 9, arrivalMs: 50, priority: 1, numPromptTokens: 12 });

  await t.step("with room, nothing is preempted and the new one goes first", () => {
    const plan = new PreemptiveScheduler().schedule(fakeContext([low(1), low(2), high]));
    assert.deepEqual(plan.run.map((r) => r.seqId), [9, 1, 2]);
    assert.deepEqual(plan.preempt, []);
  });
  await t.step("without blocks, the worst lower-priority sequence is recomputed", () => {
    const ctx = fakeContext([low(1), low(2, 100), high], { numFreeBlocks: 0 });
    const plan = new PreemptiveScheduler().schedule(ctx);
    // seq 2 has generated more: a worse level, preempted first; its 29 blocks suffice
    assert.deepEqual(plan.preempt, [{ seqId: 2, mode: "recompute" }]);
    assert.deepEqual(plan.run.map((r) => [r.seqId, r.numTokens]), [[9, 12], [1, 1]]);
  });
  await t.step("by swap when host blocks allow", () => {
    const ctx = fakeContext([low(1), low(2, 100), high], {
      numFreeBlocks: 0,
      numFreeHostBlocks: 64,
    });
    const plan = new PreemptiveScheduler().schedule(ctx);
    assert.deepEqual(plan.preempt, [{ seqId: 2, mode: "swap" }]);
    const rec = new PreemptiveScheduler({ preemption: "recompute" }).schedule(ctx);
    assert.deepEqual(rec.preempt, [{ seqId: 2, mode: "recompute" }]);
  });
  await t.step("a full batch: the new one displaces the worst running sequence", () => {
    const ctx = fakeContext([low(1), low(2, 100), high], { maxBatchSeqs: 2 });
    const plan = new PreemptiveScheduler().schedule(ctx);
    assert.deepEqual(plan.preempt.map((p) => p.seqId), [2]);
    assert.deepEqual(plan.run.map((r) => r.seqId), [9, 1]);
  });
});

Deno.test("preemptive: within a class, the MLFQ orders but preempts only when asked", () => {
  const old = seqView({ id: 1, status: "running", numGeneratedTokens: 200 }); // level 2
  const fresh = seqView({ id: 2, arrivalMs: 10, numPromptTokens: 8 }); // level 0
  const ctx = fakeContext([old, fresh], { numFreeBlocks: 0 });
  const plain = new PreemptiveScheduler().schedule(ctx);
  assert.deepEqual(plain.preempt, []);
  assert.deepEqual(plain.run.map((r) => r.seqId), [1]);
  const within = new PreemptiveScheduler({ preemptWithinClass: true }).schedule(ctx);
  assert.deepEqual(within.preempt.map((p) => p.seqId), [1]);
  assert.deepEqual(within.run.map((r) => r.seqId), [2]);
  // with room, the fresh short one is scheduled first
  const roomy = new PreemptiveScheduler().schedule(fakeContext([old, fresh]));
  assert.deepEqual(roomy.run.map((r) => r.seqId), [2, 1]);
});

Deno.test("preemptive: prefill chunks leave one token per running decode", () => {
  const decodes = [1, 2, 3].map((id) =>
    seqView({ id, status: "running", numGeneratedTokens: 5, arrivalMs: id })
  );
  const big = seqView({ id: 7, priority: 1, arrivalMs: 9, numPromptTokens: 100 });
  const plan = new PreemptiveScheduler().schedule(
    fakeContext([...decodes, big], { maxBatchTokens: 10 }),
  );
  assert.deepEqual(plan.run.map((r) => [r.seqId, r.numTokens]), [[7, 7], [1, 1], [2, 1], [3, 1]]);
});

Deno.test("preemptive: a running sequence needing a block takes it from a worse one", () => {
  // two decodes at a block boundary (16 tokens computed in 4 full blocks), no free block
  const a = seqView({ id: 1, status: "running", numPromptTokens: 16, numGeneratedTokens: 1 });
  const b = seqView({ id: 2, status: "running", numPromptTokens: 16, numGeneratedTokens: 1 });
  const plan = new PreemptiveScheduler({ preemption: "recompute" }).schedule(
    fakeContext([
      { ...a, numComputedTokens: 16, numBlocks: 4 },
      { ...b, arrivalMs: 1, numComputedTokens: 16, numBlocks: 4 },
    ], { numFreeBlocks: 0 }),
  );
  assert.deepEqual(plan.preempt, [{ seqId: 2, mode: "recompute" }]);
  assert.deepEqual(plan.run, [{ seqId: 1, numTokens: 1 }]);
});

Deno.test("preemptive: bad options are typed errors", () => {
  for (
    const o of [{ numLevels: 0 }, { baseQuantum: 0 }, { quantumGrowth: 0.5 }, { starvationMs: 0 }]
  ) {
    assert.throws(() => new PreemptiveScheduler(o), InvalidParameterError);
  }
});

Deno.test("preemptive: a starving sequence returns to the top level", () => {
  const starved = seqView({ id: 1, status: "running", numGeneratedTokens: 300, lastTokenMs: 0 });
  const fresh = seqView({ id: 2, arrivalMs: 1500, numPromptTokens: 8 });
  const ctx = fakeContext([starved, fresh], { nowMs: 2000 });
  const order = (s: PreemptiveScheduler) => s.schedule(ctx).run.map((r) => r.seqId);
  assert.deepEqual(order(new PreemptiveScheduler()), [2, 1]);
  assert.deepEqual(order(new PreemptiveScheduler({ starvationMs: 1000 })), [1, 2]);
});
