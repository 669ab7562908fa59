import type { CacheManager } from "../cache/cache_manager.ts";
import type { CacheView, SequenceView } from "../scheduler.ts";

/** Read-only cache answers for schedulers, per sequence status. */
export function makeCacheView(cache: CacheManager): CacheView {
  const bs = cache.blockSize;
  const cachedOf = (s: SequenceView) =>
    Math.min(cache.lookupPrefix(seqTokens(s)), Math.floor((s.numTokens - 1) / bs) * bs);
  return {
    blockSize: bs,
    get numFreeBlocks() {
      return cache.usage().numFreeBlocks;
    },
    get numFreeHostBlocks() {
      const u = cache.usage();
      return u.numHostBlocks - u.numUsedHostBlocks;
    },
    numBlocksNeeded(s: SequenceView, numTokens: number): number {
      if (s.status === "running") return cache.numBlocksToAppend(s.id, numTokens);
      if (s.status === "swapped") return Math.ceil((s.numComputedTokens + numTokens) / bs);
      return cache.numBlocksToAdmit(seqTokens(s), numTokens);
    },
    numCachedTokens(s: SequenceView): number {
      return s.status === "waiting" ? cachedOf(s) : 0;
    },
    canSwapOut(s: SequenceView): boolean {
      return s.status === "running" && cache.canSwapOut(s.id);
    },
  };
}

/** Token ids of a sequence (views handed to schedulers are the engine's Sequences). */
function seqTokens(s: SequenceView): readonly number[] {
  return (s as unknown as { tokens: readonly number[] }).tokens;
}
