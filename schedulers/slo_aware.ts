/**
 * SLO-aware scheduling. Every request may carry a time-to-first-token (TTFT) and a
 * time-per-output-token (TPOT) target. Each step:
 *
 * 1. decodes run first, most urgent first (a decode's deadline keeps its mean TPOT on
 *    target), preempting the least urgent running sequences when blocks run out;
 * 2. the step's time budget is the tightest decode deadline, and prefill gets the tokens
 *    that fit in it (chunked prefill sized by a step-time model learned online), so running
 *    decodes keep their TPOT;
 * 3. prefills are ordered by least laxity (TTFT deadline minus now minus their own prefill
 *    time), and admission control predicts each new request's first token from the queue
 *    ahead of it: one that cannot meet its targets is rejected at once with a reason (the
 *    client sees `RequestRejectedError`), or deprioritised behind the feasible ones.
 *
 * @module
 */
import {
  InvalidParameterError,
  type SchedulePlan,
  type Scheduler,
  type SchedulerContext,
  type SequenceView,
} from "@loom/core";
import { PlanBuilder, type PreemptionMode } from "./_plan_builder.ts";
import { type StepTimeCoefficients, StepTimeModel } from "./step_time.ts";
import {
  type Candidate,
  decodeDeadline,
  DEFAULT_STEP_TIME,
  nextTokenDeadline,
  type SloTargets,
  StepRecorder,
} from "./_slo.ts";

/** Options of {@linkcode SloAwareScheduler}. */
export interface SloAwareOptions {
  /** TTFT target of requests that set none (default: none, best effort). */
  readonly defaultTtftMs?: number;
  /** TPOT target of requests that set none (default: none). */
  readonly defaultTpotMs?: number;
  /** What to do with a request that cannot meet its targets (default `reject`). */
  readonly admission?: "reject" | "deprioritize";
  /** Starting step-time coefficients (default: a small GPU-like model). */
  readonly stepTime?: StepTimeCoefficients;
  /** Refine the step-time model from observed steps (default true). */
  readonly learnStepTime?: boolean;
  /** Prefill tokens a step runs even when decodes leave no time (default 16). */
  readonly minPrefillChunk?: number;
  /** Longest prefill chunk per sequence per step (default: the whole budget). */
  readonly maxPrefillChunk?: number;
  /** How to preempt when blocks run out (default `recompute`). */
  readonly preemption?: PreemptionMode;
  /** Share of a TPOT target a step may take when no slack is banked (default 0.9). */
  readonly headroom?: number;
}

/**
 * Deadline-ordered scheduling with TPOT-aware prefill chunking and admission control.
 *
 * @example
 * ```ts
 * import { SloAwareScheduler } from "@loom/schedulers";
 * const s = new SloAwareScheduler({ defaultTtftMs: 2000, admission: "deprioritize" });
 * console.log(s.name, s.stepTime.coefficients.stepMs); // "slo-aware" 5
 * ```
 */
export class SloAwareScheduler implements Scheduler {
  readonly name = "slo-aware";
  /** The step-time model (learned online unless disabled). */
  readonly stepTime: StepTimeModel;
  readonly #targets: SloTargets;
  readonly #reject: boolean;
  readonly #minChunk: number;
  readonly #maxChunk: number;
  readonly #mode: PreemptionMode;
  readonly #headroom: number;
  readonly #late = new Set<number>();
  readonly #recorder: StepRecorder;

  /**
   * Creates the scheduler.
   *
   * @param options Default targets, admission mode, step-time model, chunking.
   */
  constructor(options: SloAwareOptions = {}) {
    this.#targets = { ttftMs: options.defaultTtftMs, tpotMs: options.defaultTpotMs };
    this.#reject = (options.admission ?? "reject") === "reject";
    this.stepTime = new StepTimeModel(
      options.stepTime ?? DEFAULT_STEP_TIME,
      options.learnStepTime ?? true,
    );
    this.#minChunk = options.minPrefillChunk ?? 16;
    this.#maxChunk = options.maxPrefillChunk ?? Infinity;
    this.#mode = options.preemption ?? "recompute";
    this.#headroom = options.headroom ?? 0.9;
    if (!(this.#minChunk >= 1)) throw new InvalidParameterError("minPrefillChunk", "must be >= 1");
    if (!(this.#headroom > 0 && this.#headroom <= 1)) {
      throw new InvalidParameterError("headroom", "must be in (0, 1]");
    }
    this.#recorder = new StepRecorder(this.stepTime);
  }

  schedule(ctx: SchedulerContext): SchedulePlan {
    const now = ctx.nowMs, model = this.stepTime, t = this.#targets;
    this.#recorder.learn(ctx);
    const b = new PlanBuilder(ctx, this.#mode);
    const tpotOf = (s: SequenceView) => s.tpotMs ?? t.tpotMs;
    const isDecode = (s: SequenceView) =>
      s.status !== "waiting" && s.firstTokenMs !== undefined && b.pending(s) === 1;

    // 1. decodes, most urgent first; the least urgent running sequences are the victims
    const decodes: { s: SequenceView; deadlineMs: number; need: number }[] = [];
    let numNeeded = 0;
    for (const list of [ctx.running, ctx.swapped]) {
      for (const s of list) {
        if (!isDecode(s)) continue;
        const need = b.blocksNeeded(s, 1);
        numNeeded += need;
        decodes.push({ s, deadlineMs: decodeDeadline(s, t), need });
      }
    }
    // the order matters only when not every decode fits
    if (decodes.length > ctx.maxBatchSeqs || numNeeded > b.free) {
      decodes.sort((x, y) => x.deadlineMs - y.deadlineMs || x.s.id - y.s.id);
    }
    const victims = () =>
      ctx.running.filter((s) => !b.has(s.id))
        .sort((x, y) => this.#urgency(x, now) - this.#urgency(y, now) || y.id - x.id);
    let budgetMs = Infinity, numDecodes = 0, numContext = 0;
    for (const { s, deadlineMs, need } of decodes) {
      if (b.full) break;
      if (need > b.free) b.makeRoom(need, victims().filter((v) => v.id !== s.id));
      if (!b.add(s, 1, need)) continue;
      numDecodes++;
      numContext += s.numComputedTokens + 1;
      const tpot = tpotOf(s);
      if (tpot !== undefined && s.status === "running") {
        const slack = deadlineMs - now;
        budgetMs = Math.min(budgetMs, Math.max(slack, this.#headroom * tpot));
      }
    }

    // 2. prefill tokens that fit in the step's time budget
    const c = model.coefficients;
    const baseMs = model.estimateMs(0, numDecodes, numContext);
    let allowance = b.budget;
    if (budgetMs < Infinity && c.prefillTokenMs > 0) {
      const fit = Math.floor((budgetMs - baseMs) / c.prefillTokenMs);
      allowance = Math.max(this.#minChunk, Math.min(allowance, fit));
    }
    const rate = Math.max(1, allowance); // prefill tokens per step, for predictions
    const prefillStepMs = model.estimateMs(rate, numDecodes, numContext);
    const decodeStepMs = (n: number) => model.estimateMs(0, n, numContext);
    // when the last of `numTokens` queued prefill tokens is done: full steps, then the rest
    const doneMs = (numTokens: number) => {
      const full = Math.floor(numTokens / rate), rest = numTokens - full * rate;
      return now + full * prefillStepMs +
        (rest > 0 ? model.estimateMs(rest, numDecodes, numContext) : 0);
    };

    // 3. prefill candidates by least laxity; admission control for new requests
    const cands: Candidate[] = [];
    for (const s of [...ctx.running, ...ctx.swapped, ...ctx.waiting]) {
      if (b.has(s.id) || isDecode(s)) continue;
      const isNew = s.status === "waiting" && s.firstTokenMs === undefined;
      const deadlineMs = nextTokenDeadline(s, t);
      const ownMs = (b.pending(s) / rate) * prefillStepMs;
      cands.push({ seq: s, deadlineMs, laxityMs: deadlineMs - now - ownMs, isNew });
    }
    cands.sort((x, y) =>
      Number(this.#late.has(x.seq.id)) - Number(this.#late.has(y.seq.id)) ||
      x.laxityMs - y.laxityMs || x.seq.arrivalMs - y.seq.arrivalMs || x.seq.id - y.seq.id
    );
    const order: Candidate[] = [], late: Candidate[] = [];
    let queued = 0;
    for (const cand of cands) {
      const s = cand.seq, pend = b.pending(s);
      if (cand.isNew && !this.#late.has(s.id)) {
        const firstMs = doneMs(queued + pend);
        const tpot = tpotOf(s);
        const why = firstMs > cand.deadlineMs
          ? `ttft target ${s.ttftMs ?? t.ttftMs} ms cannot be met: predicted ${
            Math.round(firstMs - s.arrivalMs)
          } ms`
          : tpot !== undefined && decodeStepMs(numDecodes + 1) > tpot
          ? `tpot target ${tpot} ms cannot be met: a step takes ${
            decodeStepMs(numDecodes + 1).toFixed(1)
          } ms`
          : undefined;
        if (why !== undefined) {
          if (this.#reject) b.refuse(s, why, firstMs - now);
          else {
            this.#late.add(s.id);
            late.push(cand);
          }
          continue;
        }
      }
      queued += pend;
      (this.#late.has(s.id) ? late : order).push(cand);
    }

    // 4. run prefill chunks in that order within the allowance
    let left = allowance, numNew = 0, admitting = true;
    for (const cand of [...order, ...late]) {
      if (left <= 0 || b.full) break;
      const s = cand.seq;
      let n = b.chunk(s, Math.min(left, this.#maxChunk));
      if (s.status === "waiting" && !admitting) continue;
      const tpot = tpotOf(s);
      if (cand.isNew && tpot !== undefined && decodeStepMs(numDecodes + numNew + 1) > tpot) {
        continue; // admitting it now would slow every decode past its target
      }
      const need = b.blocksNeeded(s, n);
      if (need > b.free && s.status === "running") {
        if (b.makeRoom(need, victims().filter((v) => v.id !== s.id)) < 0) n = b.fit(s, n);
      }
      if (!b.add(s, n)) {
        admitting &&= s.status !== "waiting"; // keep its place until blocks free up
        continue;
      }
      left -= n;
      if (cand.isNew) numNew++;
    }
    // 5. never return an idle plan while something could run: make room for the most urgent
    if (b.run.length === 0) {
      for (const cand of [...order, ...late]) {
        const s = cand.seq, n = b.chunk(s, this.#maxChunk);
        if (n === 0) continue;
        b.makeRoom(b.blocksNeeded(s, n), victims().filter((v) => v.id !== s.id));
        if (b.add(s, n)) break;
      }
    }
    this.#prune(ctx);
    this.#recorder.record(ctx, b);
    return b.plan();
  }

  /** Higher is more urgent: deprioritised sequences lowest, then no target, then by slack. */
  #urgency(s: SequenceView, now: number): number {
    if (this.#late.has(s.id)) return -Infinity;
    const d = nextTokenDeadline(s, this.#targets);
    return Number.isFinite(d) ? now - d : -1e15;
  }

  #prune(ctx: SchedulerContext): void {
    const numSeqs = ctx.running.length + ctx.waiting.length + ctx.swapped.length;
    if (this.#late.size <= 2 * numSeqs + 64) return;
    const live = new Set([...ctx.running, ...ctx.waiting, ...ctx.swapped].map((s) => s.id));
    for (const id of this.#late) if (!live.has(id)) this.#late.delete(id);
  }
}
