/**
 * Scheduler benchmark (`deno task bench:schedulers`): replays the same synthetic trace
 * through every scheduler on the simulation backend and prints a table (throughput, TTFT /
 * TPOT / end-to-end p50 and p99, goodput, short vs long latency, prefix hit rate,
 * preemptions), for a long trace near capacity and a shorter one at overload; writes SVG
 * latency CDFs to bench/out/.
 *
 *   deno run -A bench/schedulers.ts [--requests=100000] [--overload-requests=10000]
 *     [--scenario=gpu-8b] [--load=0.95] [--overload=1.7] [--calibrate]
 *     [--real] [--real-requests=1500] [--real-load=1.5] [--schedulers=fcfs,slo-aware]
 *
 * `--calibrate` fits the `reference-demo` cost preset to measured steps of the reference
 * backend and checks its predictions; `--real` runs the overload comparison on the real
 * engine (reference backend, demo model) and the same trace in the simulator.
 *
 * @module
 */
import { buildDemoModel, type Scheduler } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler, PreemptiveScheduler, SloAwareScheduler } from "@loom/schedulers";
import { ShortestFirstScheduler } from "../examples/custom_scheduler.ts";
import {
  checkPrediction,
  COST_PRESETS,
  fitCostModel,
  formatTable,
  latencyCdfSvg,
  type ReplayResult,
  replayTrace,
  replayTraceLive,
  SCENARIOS,
  scenarioTrace,
  summarize,
} from "../backends/sim/mod.ts";

const args = new Map(Deno.args.map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k!, v ?? "true"] as const;
}));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const OUT = new URL("./out/", import.meta.url);
const only = args.get("schedulers")?.split(",");
const schedulers = (): Scheduler[] =>
  [
    new FcfsScheduler({ preemption: "swap" }),
    new PreemptiveScheduler(),
    new SloAwareScheduler(),
    new ShortestFirstScheduler(),
  ].filter((s) => !only || only.includes(s.name));

function report(title: string, results: ReplayResult[], file: string): void {
  const sums = results.map(summarize);
  console.log(`\n## ${title}\n`);
  console.log(formatTable(sums));
  const by = Object.fromEntries(sums.map((s) => [s.scheduler, s]));
  const f = by["fcfs"], p = by["preemptive"], s = by["slo-aware"];
  if (f && p && s) {
    console.log(
      `\nSLO-aware goodput / FCFS: ${(s.goodputRps / f.goodputRps).toFixed(2)}x ` +
        `(FCFS meets ${(100 * f.sloAttainment).toFixed(1)}% of SLOs); high-priority e2e p50 ` +
        `FCFS / preemptive: ${(f.byClass.high!.e2eP50 / p.byClass.high!.e2eP50).toFixed(2)}x ` +
        `(${f.byClass.high!.e2eP50.toFixed(0)} vs ${p.byClass.high!.e2eP50.toFixed(0)} ms)`,
    );
  }
  console.log(
    results.map((r) => `${r.scheduler}: ${(r.wallMs / 1000).toFixed(1)} s wall`).join(", "),
  );
  const series = (f: (r: ReplayResult["records"][number]) => number) =>
    results.map((r) => ({
      name: r.scheduler,
      valuesMs: r.records.filter((x) => x.rejected === undefined).map(f),
    }));
  const svg = latencyCdfSvg([
    { title: "time to first token", series: series((x) => x.firstTokenMs! - x.arrivalMs) },
    { title: "end-to-end latency", series: series((x) => x.finishedMs! - x.arrivalMs) },
  ], title);
  Deno.mkdirSync(OUT, { recursive: true });
  Deno.writeTextFileSync(new URL(file, OUT), svg);
  console.log(`plot: bench/out/${file}`);
}

async function simulate(name: keyof typeof SCENARIOS, n: number, load: number, file: string) {
  const sc = SCENARIOS[name];
  const trace = scenarioTrace(name, { numRequests: n, load, seed: 1 });
  const results: ReplayResult[] = [];
  for (const scheduler of schedulers()) {
    results.push(await replayTrace(trace, { scheduler, costModel: sc.costModel, ...sc.engine }));
  }
  const rate = (load * sc.capacityRps).toFixed(1);
  report(`${name}: ${n} requests, ${rate} req/s (${load}x capacity), simulated`, results, file);
}

async function calibrate(): Promise<void> {
  const model = await buildDemoModel(new ReferenceBackend());
  const sc = SCENARIOS["reference-demo"];
  const live = (load: number, seed: number) =>
    replayTraceLive(scenarioTrace("reference-demo", { numRequests: 300, load, seed }), {
      model,
      scheduler: new FcfsScheduler(),
      ...sc.engine,
    });
  // fit on a light and an overloaded run, for a wide range of batch shapes
  const fitSteps = [...(await live(0.5, 11)).steps, ...(await live(1.2, 13)).steps];
  const fitted = fitCostModel(fitSteps, COST_PRESETS["reference-demo"]!);
  console.log(`\n## calibration (reference backend, demo model): ${fitSteps.length} steps`);
  console.log(JSON.stringify(fitted));
  const check = await live(0.8, 12);
  const c = checkPrediction(fitted, check.steps);
  console.log(
    `check run (other trace, ${check.steps.length} steps): predicted mean step ` +
      `${c.predictedMeanMs.toFixed(2)} ms, measured ${c.measuredMeanMs.toFixed(2)} ms ` +
      `(${(100 * c.relativeError).toFixed(1)}%)`,
  );
  const trace = scenarioTrace("reference-demo", { numRequests: 300, load: 0.8, seed: 12 });
  const sim = await replayTrace(trace, {
    scheduler: new FcfsScheduler(),
    costModel: fitted,
    ...sc.engine,
  });
  const simMean = sim.busyMs / sim.numSteps, realMean = c.measuredMeanMs;
  console.log(
    `simulator on the same trace: mean step ${simMean.toFixed(2)} ms vs real ` +
      `${realMean.toFixed(2)} ms (${(100 * (simMean / realMean - 1)).toFixed(1)}%); e2e p50 ` +
      `${summarize(sim).e2eP50.toFixed(0)} ms vs real ${summarize(check).e2eP50.toFixed(0)} ms`,
  );
}

async function realClaims(load: number, n: number): Promise<void> {
  const model = await buildDemoModel(new ReferenceBackend());
  const sc = SCENARIOS["reference-demo"];
  const trace = scenarioTrace("reference-demo", { numRequests: n, load, seed: 5 });
  const real: ReplayResult[] = [], sim: ReplayResult[] = [];
  for (
    const make of [
      () => new FcfsScheduler(),
      () => new PreemptiveScheduler(),
      () => new SloAwareScheduler(),
    ]
  ) {
    real.push(await replayTraceLive(trace, { model, scheduler: make(), ...sc.engine }));
    sim.push(
      await replayTrace(trace, { scheduler: make(), costModel: sc.costModel, ...sc.engine }),
    );
  }
  const rate = (load * sc.capacityRps).toFixed(1);
  const title = `reference-demo: ${n} requests, ${rate} req/s (${load}x capacity)`;
  report(`${title}, real engine (reference backend)`, real, "schedulers_real.svg");
  report(`${title}, simulated`, sim, "schedulers_real_sim.svg");
}

if (import.meta.main) {
  const scenario = (args.get("scenario") ?? "gpu-8b") as keyof typeof SCENARIOS;
  if (args.has("calibrate")) await calibrate();
  if (args.has("real")) await realClaims(num("real-load", 1.5), num("real-requests", 1500));
  if (!args.has("calibrate") && !args.has("real") || args.has("sim")) {
    await simulate(scenario, num("requests", 100_000), num("load", 0.95), "schedulers_scale.svg");
    await simulate(
      scenario,
      num("overload-requests", 10_000),
      num("overload", 1.7),
      "schedulers_overload.svg",
    );
  }
}
