import type { SchedulerContext, SequenceView } from "@loom/core";
import type { PlanBuilder } from "./_plan_builder.ts";
import type { StepTimeCoefficients, StepTimeModel } from "./step_time.ts";

/** Starting step-time coefficients: a small GPU-like model. */
export const DEFAULT_STEP_TIME: StepTimeCoefficients = {
  stepMs: 5,
  prefillTokenMs: 0.05,
  decodeSeqMs: 0.1,
  contextTokenMs: 0.0001,
};

/** A sequence waiting for prefill, with its deadline and laxity. */
export interface Candidate {
  readonly seq: SequenceView;
  readonly deadlineMs: number;
  readonly laxityMs: number;
  readonly isNew: boolean;
}

/** Targets applied to requests that set none. */
export interface SloTargets {
  readonly ttftMs: number | undefined;
  readonly tpotMs: number | undefined;
}

/**
 * When the next token of a decoding sequence must arrive for its mean TPOT to stay on
 * target: first token + TPOT × tokens generated so far (Infinity without a target).
 */
export function decodeDeadline(s: SequenceView, t: SloTargets): number {
  const tpot = s.tpotMs ?? t.tpotMs;
  if (tpot === undefined || s.firstTokenMs === undefined) return Infinity;
  return s.firstTokenMs + tpot * s.numGeneratedTokens;
}

/**
 * The time by which a sequence's next token is due: its TTFT deadline before the first token,
 * its decode deadline after (Infinity without a target).
 */
export function nextTokenDeadline(s: SequenceView, t: SloTargets): number {
  if (s.firstTokenMs !== undefined) return decodeDeadline(s, t);
  const ttft = s.ttftMs ?? t.ttftMs;
  return ttft === undefined ? Infinity : s.arrivalMs + ttft;
}

interface StepRecord {
  readonly nowMs: number;
  readonly numPrefillTokens: number;
  readonly numDecodeSeqs: number;
  readonly numContextTokens: number;
}

/**
 * Feeds a step-time model: remembers the shape of each plan, and at the next call takes the
 * time that passed as that step's duration — only when the plan left work behind, so the
 * engine went straight on to the next step (no idle wait in between).
 */
export class StepRecorder {
  readonly #model: StepTimeModel;
  #last: StepRecord | undefined;

  constructor(model: StepTimeModel) {
    this.#model = model;
  }

  /** Learns from the previous step, if it is a clean sample. */
  learn(ctx: SchedulerContext): void {
    const last = this.#last;
    this.#last = undefined;
    if (!last) return;
    const ms = ctx.nowMs - last.nowMs;
    const m = this.#model;
    const est = m.estimateMs(last.numPrefillTokens, last.numDecodeSeqs, last.numContextTokens);
    if (m.numObserved >= 20 && ms > 5 * est) return; // an idle gap, not a step
    m.observe(last.numPrefillTokens, last.numDecodeSeqs, last.numContextTokens, ms);
  }

  /** Remembers the plan's shape. */
  record(ctx: SchedulerContext, b: PlanBuilder): void {
    if (b.run.length === 0) return;
    let p = 0, d = 0, c = 0, numFinishing = 0;
    b.run.forEach((r, i) => {
      const s = b.runSeqs[i]!;
      const start = s.numTokens - b.pending(s);
      const len = start + r.numTokens;
      if (r.numTokens === 1 && len > 1) d++;
      else p += r.numTokens;
      c += len;
      if (len === s.numTokens && s.numGeneratedTokens + 1 >= s.maxTokens) numFinishing++;
    });
    const numSeqs = ctx.running.length + ctx.swapped.length + ctx.waiting.length;
    if (numSeqs - b.reject.length - numFinishing <= 0) return; // the engine may go idle
    this.#last = {
      nowMs: ctx.nowMs,
      numPrefillTokens: p,
      numDecodeSeqs: d,
      numContextTokens: c,
    };
  }
}
