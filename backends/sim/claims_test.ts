// The schedulers' claims, in simulation at small scale: the reference-demo scenario (the
// shape the real engine runs in bench/schedulers.ts --real) at 1.5x its capacity.
import assert from "node:assert/strict";
import { FcfsScheduler, PreemptiveScheduler, SloAwareScheduler } from "@loom/schedulers";
import { replayTrace, SCENARIOS, scenarioTrace, summarize } from "./mod.ts";

const sc = SCENARIOS["reference-demo"];

for (const seed of [1, 2]) {
  Deno.test(`claims (simulated, seed ${seed}): SLO goodput, high-priority latency`, async () => {
    const trace = scenarioTrace("reference-demo", { numRequests: 1500, load: 1.5, seed });
    const run = async (scheduler: FcfsScheduler | PreemptiveScheduler | SloAwareScheduler) =>
      summarize(await replayTrace(trace, { scheduler, costModel: sc.costModel, ...sc.engine }));
    const fcfs = await run(new FcfsScheduler());
    const pre = await run(new PreemptiveScheduler());
    const slo = await run(new SloAwareScheduler());
    assert.ok(fcfs.sloAttainment < 0.8, `FCFS meets ${fcfs.sloAttainment} of SLOs`);
    const goodput = slo.goodputRps / fcfs.goodputRps;
    assert.ok(goodput >= 1.5, `SLO-aware goodput ${goodput.toFixed(2)}x FCFS`);
    const high = fcfs.byClass.high!.e2eP50 / pre.byClass.high!.e2eP50;
    assert.ok(high >= 3, `high-priority p50 ${high.toFixed(2)}x lower under preemptive`);
    // nothing is lost: every request finished or was rejected with a reason
    assert.equal(fcfs.numRequests + fcfs.numRejected, trace.length);
    assert.equal(slo.numRequests + slo.numRejected, trace.length);
  });
}
