import { SchedulerPlanError } from "../errors.ts";
import type { SchedulePlan } from "../scheduler.ts";
import type { Sequence } from "./sequence.ts";

/** Structural checks of a plan before anything is applied. */
export function validatePlan(
  plan: SchedulePlan,
  seqs: ReadonlyMap<number, Sequence>,
  limits: { scheduler: { name: string }; maxBatchTokens: number; maxBatchSeqs: number },
): void {
  const name = limits.scheduler.name;
  const fail = (m: string): never => {
    throw new SchedulerPlanError(m, name);
  };
  const seen = new Set<number>();
  const get = (id: number, what: string) => {
    const s = seqs.get(id);
    if (!s) fail(`${what}: unknown sequence ${id}`);
    if (seen.has(id)) fail(`${what}: sequence ${id} appears twice`);
    seen.add(id);
    return s!;
  };
  for (const r of plan.reject) {
    if (get(r.seqId, "reject").status !== "waiting") {
      fail(`reject: sequence ${r.seqId} not waiting`);
    }
  }
  for (const p of plan.preempt) {
    if (get(p.seqId, "preempt").status !== "running") {
      fail(`preempt: sequence ${p.seqId} not running`);
    }
    if (p.mode !== "swap" && p.mode !== "recompute") fail(`preempt: bad mode ${p.mode}`);
  }
  let numTokens = 0;
  for (const c of plan.run) {
    get(c.seqId, "run");
    if (!Number.isInteger(c.numTokens) || c.numTokens < 1) {
      fail(`run: sequence ${c.seqId} numTokens ${c.numTokens}`);
    }
    numTokens += c.numTokens;
  }
  if (numTokens > limits.maxBatchTokens) {
    fail(`${numTokens} tokens exceed maxBatchTokens ${limits.maxBatchTokens}`);
  }
  if (plan.run.length > limits.maxBatchSeqs) {
    fail(`${plan.run.length} sequences exceed maxBatchSeqs ${limits.maxBatchSeqs}`);
  }
}
