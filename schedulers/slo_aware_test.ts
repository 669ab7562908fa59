import assert from "node:assert/strict";
import { InvalidParameterError, Rng } from "@loom/core";
import { SloAwareScheduler, StepTimeModel } from "@loom/schedulers";
import { fakeContext, seqView } from "./_fake_context.ts";

// a step costs 10 ms + 1 ms per prefill token + 1 ms per decode (fixed, not learned)
const stepTime = { stepMs: 10, prefillTokenMs: 1, decodeSeqMs: 1, contextTokenMs: 0 };
const slo = (o: ConstructorParameters<typeof SloAwareScheduler>[0] = {}) =>
  new SloAwareScheduler({ stepTime, learnStepTime: false, ...o });
const decode = (id: number, tpotMs: number | undefined, firstTokenMs: number) =>
  seqView({ id, status: "running", numGeneratedTokens: 1, tpotMs, firstTokenMs, arrivalMs: 0 });

Deno.test("slo-aware: decodes first; prefill sized so decodes keep their TPOT", async (t) => {
  const long = seqView({ id: 5, arrivalMs: 900, numPromptTokens: 100 });
  await t.step("a tight TPOT leaves 15 prefill tokens", () => {
    // deadline of both decodes' next token: 970 + 30 = 1000 = now, so a step may take 27 ms
    const ctx = fakeContext([decode(1, 30, 970), decode(2, 30, 975), long], { nowMs: 1000 });
    const plan = slo({ minPrefillChunk: 1 }).schedule(ctx);
    assert.deepEqual(plan.run.map((r) => [r.seqId, r.numTokens]), [[1, 1], [2, 1], [5, 15]]);
  });
  await t.step("banked slack allows a longer chunk", () => {
    const ctx = fakeContext([decode(1, 60, 1000), long], { nowMs: 1000 });
    assert.deepEqual(slo({ minPrefillChunk: 1 }).schedule(ctx).run.map((r) => r.numTokens), [
      1,
      49,
    ]);
  });
  await t.step("without TPOT targets prefill takes the whole budget", () => {
    const ctx = fakeContext([decode(1, undefined, 0), long], { nowMs: 1000 });
    assert.deepEqual(slo().schedule(ctx).run.map((r) => r.numTokens), [1, 100]);
  });
  await t.step("a small floor keeps prefill moving when decodes are late", () => {
    const ctx = fakeContext([decode(1, 5, 0), long], { nowMs: 1000 });
    assert.deepEqual(slo({ minPrefillChunk: 8 }).schedule(ctx).run.map((r) => r.numTokens), [
      1,
      8,
    ]);
  });
});

Deno.test("slo-aware: admission control rejects early, with a reason, or deprioritises", () => {
  const ok = seqView({ id: 1, arrivalMs: 0, numPromptTokens: 20, ttftMs: 500 });
  const hopeless = seqView({ id: 2, arrivalMs: 0, numPromptTokens: 200, ttftMs: 50 });
  const tooSlow = seqView({ id: 3, arrivalMs: 0, numPromptTokens: 4, tpotMs: 5 });
  const ctx = fakeContext([ok, hopeless, tooSlow]);
  const plan = slo().schedule(ctx);
  assert.deepEqual(plan.reject.map((r) => r.seqId), [2, 3]);
  assert.match(plan.reject[0]!.reason, /ttft target 50 ms cannot be met: predicted \d+ ms/);
  assert.ok(plan.reject[0]!.retryAfterMs! > 0);
  assert.match(plan.reject[1]!.reason, /tpot target 5 ms/);
  assert.deepEqual(plan.run.map((r) => r.seqId), [1]);
  const soft = slo({ admission: "deprioritize" }).schedule(ctx);
  assert.deepEqual(soft.reject, []);
  assert.equal(soft.run[0]!.seqId, 1); // feasible first, the others after, best effort
});

Deno.test("slo-aware: least laxity first", () => {
  const relaxed = seqView({ id: 1, arrivalMs: 0, numPromptTokens: 40, ttftMs: 5000 });
  const urgent = seqView({ id: 2, arrivalMs: 10, numPromptTokens: 40, ttftMs: 200 });
  const ctx = fakeContext([relaxed, urgent], { nowMs: 20, maxBatchTokens: 50 });
  const plan = slo().schedule(ctx);
  assert.deepEqual(plan.run.map((r) => [r.seqId, r.numTokens]), [[2, 40], [1, 10]]);
});

Deno.test("slo-aware: the least urgent running sequence gives up its blocks", () => {
  const at = (s: ReturnType<typeof decode>) => ({ ...s, numComputedTokens: 16, numBlocks: 4 });
  const tight = at({ ...decode(1, 20, 990), numPromptTokens: 16 });
  const loose = at({ ...decode(2, undefined, 0), numPromptTokens: 16 });
  const plan = slo().schedule(fakeContext([loose, tight], { nowMs: 1000, numFreeBlocks: 0 }));
  assert.deepEqual(plan.preempt, [{ seqId: 2, mode: "recompute" }]);
  assert.deepEqual(plan.run, [{ seqId: 1, numTokens: 1 }]);
});

Deno.test("slo-aware: bad options are typed errors", () => {
  assert.throws(() => slo({ headroom: 0 }), InvalidParameterError);
  assert.throws(() => slo({ minPrefillChunk: 0 }), InvalidParameterError);
  assert.throws(
    () => slo({ stepTime: { ...stepTime, stepMs: -1 } }),
    InvalidParameterError,
  );
});

Deno.test("step-time model: learns the coefficients and stays stable", () => {
  const truth = { stepMs: 8, prefillTokenMs: 0.06, decodeSeqMs: 0.12, contextTokenMs: 0.00007 };
  const m = new StepTimeModel({ stepMs: 1, prefillTokenMs: 1, decodeSeqMs: 1, contextTokenMs: 0 });
  const rng = new Rng(3);
  for (let i = 0; i < 200_000; i++) {
    // long stretches of decode-only steps (prefill 0) test wind-up
    const p = i % 1000 < 900 ? 0 : Math.floor(rng.next() * 2048);
    const d = Math.floor(rng.next() * 128), c = Math.floor(d * (100 + 800 * rng.next())) + p;
    const ms = truth.stepMs + truth.prefillTokenMs * p + truth.decodeSeqMs * d +
      truth.contextTokenMs * c;
    m.observe(p, d, c, ms * (1 + 0.02 * (rng.next() - 0.5)));
  }
  const got = m.coefficients;
  for (const k of Object.keys(truth) as (keyof typeof truth)[]) {
    assert.ok(Math.abs(got[k] / truth[k] - 1) < 0.05, `${k}: ${got[k]} vs ${truth[k]}`);
  }
});
