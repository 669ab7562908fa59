import type { SchedulerContext, SequenceView } from "@loom/core";

/** Shape of the skip-join multi-level feedback queue. */
export interface MlfqOptions {
  /** Levels (default 4). */
  readonly numLevels?: number;
  /** Quantum of level 0, in generated tokens (default 32). */
  readonly baseQuantum?: number;
  /** Each level's quantum is this many times the one above (default 2). */
  readonly quantumGrowth?: number;
  /**
   * What one prompt token weighs against one generated token when choosing the first level
   * (skip-join): a prompt of P tokens joins the first level whose quantum is at least
   * `P · promptTokenWeight` (default 1/32: prefill is that much cheaper per token).
   */
  readonly promptTokenWeight?: number;
  /** A sequence that has had no token for this long returns to level 0 (default: never). */
  readonly starvationMs?: number;
}

/** A sequence with its class, level and place in the step's order. */
export interface Ranked {
  readonly seq: SequenceView;
  readonly priority: number;
  readonly level: number;
  rank: number;
}

/** The level of a sequence: skip-join from its prompt, then one level per quantum spent. */
export function mlfqLevel(
  seq: Pick<SequenceView, "numPromptTokens" | "numGeneratedTokens">,
  o: Required<MlfqOptions>,
): number {
  const last = o.numLevels - 1;
  const cost = seq.numPromptTokens * o.promptTokenWeight;
  let level = 0, quantum = o.baseQuantum;
  while (level < last && quantum < cost) {
    level++;
    quantum *= o.quantumGrowth;
  }
  let left = seq.numGeneratedTokens;
  while (level < last && left >= quantum) {
    left -= quantum;
    level++;
    quantum *= o.quantumGrowth;
  }
  return level;
}

/** Every sequence, best first: higher priority, lower level, earlier arrival, lower id. */
export function rankSequences(ctx: SchedulerContext, o: Required<MlfqOptions>): Ranked[] {
  const all: Ranked[] = [];
  const add = (seq: SequenceView) => {
    const idleMs = ctx.nowMs - (seq.lastTokenMs ?? seq.arrivalMs);
    const level = idleMs > o.starvationMs ? 0 : mlfqLevel(seq, o);
    all.push({ seq, priority: seq.priority, level, rank: 0 });
  };
  for (const s of ctx.running) add(s);
  for (const s of ctx.swapped) add(s);
  for (const s of ctx.waiting) add(s);
  all.sort((a, b) =>
    b.priority - a.priority || a.level - b.level || a.seq.arrivalMs - b.seq.arrivalMs ||
    a.seq.id - b.seq.id
  );
  for (let i = 0; i < all.length; i++) all[i]!.rank = i;
  return all;
}
