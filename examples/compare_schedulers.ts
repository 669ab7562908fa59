/**
 * Compare scheduling policies on one workload without any compute: the simulator backend
 * advances a virtual clock by a cost model while the real Engine, paged cache and schedulers
 * run. Prints one row per policy (TTFT, TPOT, end-to-end latency percentiles, goodput).
 * `deno run -A examples/compare_schedulers.ts [--scenario gpu-8b|reference-demo]
 * [--requests 1000] [--load 1.5] [--seed 1]` (load: arrival rate ÷ the scenario's capacity).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Scheduler } from "@loom/core";
import { FcfsScheduler, PreemptiveScheduler, SloAwareScheduler } from "@loom/schedulers";
import {
  formatTable,
  replayTrace,
  SCENARIOS,
  scenarioTrace,
  summarize,
} from "../backends/sim/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: "gpu-8b" },
    requests: { type: "string", default: "1000" },
    load: { type: "string", default: "1.5" },
    seed: { type: "string", default: "1" },
  },
});
const name = values.scenario as keyof typeof SCENARIOS;
const scenario = SCENARIOS[name];
if (!scenario) throw new Error(`unknown scenario ${name} (${Object.keys(SCENARIOS).join(", ")})`);
const trace = scenarioTrace(name, {
  numRequests: Number(values.requests),
  load: Number(values.load),
  seed: Number(values.seed),
});

// a fresh policy per replay: schedulers keep state
const policies: (() => Scheduler)[] = [
  () => new FcfsScheduler(),
  () => new PreemptiveScheduler(),
  () => new SloAwareScheduler(),
];
const rows = [];
for (const make of policies) {
  const result = await replayTrace(trace, {
    ...scenario.engine,
    scheduler: make(),
    costModel: scenario.costModel,
  });
  rows.push(summarize(result));
}
console.log(
  `${trace.length} requests of scenario ${name} at ${values.load}× its capacity ` +
    `(${(Number(values.load) * scenario.capacityRps).toFixed(1)} req/s), simulated:\n`,
);
console.log(formatTable(rows));
