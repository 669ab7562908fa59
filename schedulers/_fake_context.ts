// Synthetic scheduler contexts for unit tests.
import type { CacheView, SchedulerContext, SequenceView } from "@loom/core";

/** A sequence view with defaults: a waiting 16-token prompt, nothing generated. */
export function seqView(o: Partial<SequenceView> & { id: number }): SequenceView {
  const numPromptTokens = o.numPromptTokens ?? 16;
  const numGeneratedTokens = o.numGeneratedTokens ?? 0;
  const status = o.status ?? "waiting";
  const numTokens = numPromptTokens + numGeneratedTokens;
  const numComputedTokens = o.numComputedTokens ??
    (status === "waiting" ? 0 : numGeneratedTokens > 0 ? numTokens - 1 : 0);
  return {
    requestId: `r${o.id}`,
    status,
    arrivalMs: 0,
    priority: 0,
    ttftMs: undefined,
    tpotMs: undefined,
    maxTokens: 100,
    firstTokenMs: numGeneratedTokens > 0 ? 0 : undefined,
    lastTokenMs: numGeneratedTokens > 0 ? 0 : undefined,
    numPreemptions: 0,
    numBlocks: status === "running" ? Math.ceil(numComputedTokens / 4) : 0,
    ...o,
    numPromptTokens,
    numGeneratedTokens,
    numTokens,
    numComputedTokens,
  };
}

/** A context over a cache of 4-token blocks with `numFreeBlocks` free. */
export function fakeContext(
  seqs: readonly SequenceView[],
  o: {
    nowMs?: number;
    numFreeBlocks?: number;
    numFreeHostBlocks?: number;
    maxBatchTokens?: number;
    maxBatchSeqs?: number;
  } = {},
): SchedulerContext {
  const bs = 4;
  const cache: CacheView = {
    blockSize: bs,
    numFreeBlocks: o.numFreeBlocks ?? 1000,
    numFreeHostBlocks: o.numFreeHostBlocks ?? 0,
    numBlocksNeeded(s, n) {
      const after = Math.ceil((s.numComputedTokens + n) / bs);
      return s.status === "running" ? Math.max(0, after - s.numBlocks) : after;
    },
    numCachedTokens: () => 0,
    canSwapOut: (s) => s.status === "running" && s.numBlocks <= (o.numFreeHostBlocks ?? 0),
  };
  const by = (st: SequenceView["status"]) => seqs.filter((s) => s.status === st);
  return {
    nowMs: o.nowMs ?? 0,
    waiting: by("waiting").sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id),
    running: by("running"),
    swapped: by("swapped"),
    cache,
    maxBatchTokens: o.maxBatchTokens ?? 256,
    maxBatchSeqs: o.maxBatchSeqs ?? 16,
  };
}
