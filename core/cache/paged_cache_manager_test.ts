import assert from "node:assert/strict";
import { PagedCacheManager } from "./paged_cache_manager.ts";
import { CacheExhaustedError, InvalidParameterError, LoomError } from "../errors.ts";

/** Checks the block accounting against the tables of the live sequences `ids`. */
function checkInvariants(cache: PagedCacheManager, ids: Iterable<number>): void {
  const snap = cache.inspect();
  const usage = cache.usage();
  const refs = new Array<number>(cache.numBlocks).fill(0);
  let numHostBlocks = 0;
  for (const id of ids) {
    const table = cache.blockTable(id);
    const numBlocks = Math.ceil(cache.numTokens(id) / cache.blockSize);
    assert.equal(new Set(table).size, table.length, `seq ${id}: a block twice in its table`);
    if (table.length === 0 && numBlocks > 0) numHostBlocks += numBlocks; // swapped out
    else assert.equal(table.length, numBlocks, `seq ${id}: table covers its tokens`);
    assert.equal(cache.numBlocksOf(id), table.length);
    for (const b of table) refs[b]!++;
  }
  assert.deepEqual(snap.refCounts, refs, "refcounts equal table references");
  const free = new Set(snap.freeBlocks);
  const cached = new Set(snap.cachedBlocks);
  const registered = new Set(snap.registeredBlocks);
  assert.equal(free.size, snap.freeBlocks.length);
  assert.equal(cached.size, snap.cachedBlocks.length);
  for (const b of free) {
    assert.equal(refs[b], 0, `free block ${b} is referenced`);
    assert.ok(!cached.has(b) && !registered.has(b), `free block ${b} is cached`);
  }
  for (const b of cached) {
    assert.equal(refs[b], 0, `cached block ${b} is referenced`);
    assert.ok(registered.has(b), `LRU block ${b} is not registered`);
  }
  const numUsed = refs.filter((r) => r > 0).length;
  assert.equal(free.size + cached.size + numUsed, cache.numBlocks, "free + cached + used");
  assert.equal(usage.numUsedBlocks, numUsed);
  assert.equal(usage.numCachedBlocks, cached.size);
  assert.equal(usage.numFreeBlocks, free.size + cached.size);
  assert.equal(usage.numUsedHostBlocks, numHostBlocks);
}

function range(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

function throwsExhausted(fn: () => unknown, numNeeded: number, numFree: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CacheExhaustedError, `expected CacheExhaustedError, got ${e}`);
    assert.equal(e.numNeeded, numNeeded);
    assert.equal(e.numFree, numFree);
    return true;
  });
}

Deno.test("PagedCacheManager: options are validated", () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ numBlocks: 0 }, "numBlocks"],
    [{ numBlocks: 1.5 }, "numBlocks"],
    [{}, "numBlocks"],
    [{ numBlocks: 4, blockSize: 0 }, "blockSize"],
    [{ numBlocks: 4, numHostBlocks: -1 }, "numHostBlocks"],
    [{ numBlocks: 4, enablePrefixCaching: "yes" }, "enablePrefixCaching"],
  ];
  for (const [options, param] of bad) {
    assert.throws(
      () => new PagedCacheManager(options as never),
      (e: unknown) => e instanceof InvalidParameterError && e.param === param,
    );
  }
  const c = new PagedCacheManager({ numBlocks: 4 });
  assert.equal(c.blockSize, 16);
  assert.equal(c.usage().numHostBlocks, 0);
  assert.throws(() => c.numBlocksToAppend(0, 1), LoomError);
  c.allocate(0, [1]);
  assert.throws(
    () => c.numBlocksToAppend(0, -1),
    (e: unknown) => e instanceof InvalidParameterError && e.param === "numNewTokens",
  );
});

Deno.test("PagedCacheManager: allocate, append and free accounting", async (t) => {
  const cache = new PagedCacheManager({ numBlocks: 10, blockSize: 4 });
  await t.step("append reserves blocks as tokens arrive", () => {
    assert.equal(cache.allocate(7, range(100, 6)), 0);
    assert.equal(cache.numTokens(7), 0);
    assert.equal(cache.numBlocksToAppend(7, 6), 2);
    assert.deepEqual(cache.append(7, range(100, 6)), []);
    assert.deepEqual(cache.blockTable(7), [0, 1]);
    assert.equal(cache.numBlocksToAppend(7, 2), 0); // fills block 1
    assert.equal(cache.numBlocksToAppend(7, 3), 1);
    cache.append(7, [106, 107]);
    assert.deepEqual(cache.blockTable(7), [0, 1]);
    cache.append(7, [108]);
    assert.deepEqual(cache.blockTable(7), [0, 1, 2]);
    assert.equal(cache.numTokens(7), 9);
    assert.deepEqual(cache.append(7, []), []);
    const u = cache.usage();
    // Cached counts unreferenced blocks only; the two full ones are registered.
    assert.deepEqual([u.numUsedBlocks, u.numFreeBlocks, u.numCachedBlocks], [3, 7, 0]);
    assert.deepEqual(cache.inspect().registeredBlocks, [0, 1]);
    checkInvariants(cache, [7]);
  });
  await t.step("free keeps full blocks cached, returns the partial one", () => {
    cache.free(7);
    const snap = cache.inspect();
    assert.deepEqual(snap.cachedBlocks, [1, 0]); // released last-first: tail evicted first
    assert.deepEqual(snap.freeBlocks.slice(0, 1), [2]);
    assert.deepEqual(cache.usage().numUsedBlocks, 0);
    assert.deepEqual(cache.usage().numFreeBlocks, 10);
    checkInvariants(cache, []);
  });
  await t.step("unknown ids: free is idempotent, the rest throw", () => {
    cache.free(7);
    cache.free(12345);
    assert.throws(() => cache.append(7, [1]), LoomError);
    assert.throws(() => cache.blockTable(7), LoomError);
    assert.throws(() => cache.fork(7, 8), LoomError);
    cache.allocate(1, [1, 2]);
    assert.throws(() => cache.allocate(1, [1, 2]), LoomError);
    assert.throws(() => cache.fork(1, 1), LoomError);
    cache.free(1);
  });
});

Deno.test("PagedCacheManager: prefix caching reuses a 1,000-token prefix", () => {
  const cache = new PagedCacheManager({ numBlocks: 200 });
  const prefix = range(5000, 1000);
  const a = [...prefix, ...range(1, 10)];
  const b = [...prefix, ...range(50, 7)];
  assert.equal(cache.lookupPrefix(a), 0);
  assert.equal(cache.allocate(0, a), 0);
  cache.append(0, a);
  assert.equal(cache.numBlocksOf(0), 64); // ceil(1010 / 16)
  // 62 full blocks hold prefix tokens only; block 62 mixes in a's own tokens.
  assert.equal(cache.lookupPrefix(b), 992);
  assert.equal(cache.numBlocksToAdmit(b, b.length - 992), 1);
  const before = cache.usage();
  assert.deepEqual(cache.inspect(), cache.inspect()); // lookups changed nothing
  assert.equal(cache.allocate(1, b), 992);
  assert.equal(cache.numTokens(1), 992);
  assert.deepEqual(cache.blockTable(1), cache.blockTable(0).slice(0, 62));
  cache.append(1, b.slice(992));
  assert.equal(cache.usage().numUsedBlocks, before.numUsedBlocks + 1);
  const u = cache.usage();
  assert.equal(u.numPrefixQueryTokens, a.length + b.length);
  assert.equal(u.numPrefixHitTokens, 992);
  assert.equal(cache.inspect().refCounts[0], 2);
  checkInvariants(cache, [0, 1]);
  // Cached blocks outlive their sequences and are revived by a later hit.
  cache.free(0);
  cache.free(1);
  assert.equal(cache.usage().numCachedBlocks, 63); // a's full blocks; b's last is partial
  assert.equal(cache.allocate(2, a), 1008); // all 63, leaving 2 tokens
  assert.equal(cache.usage().numCachedBlocks, 0);
  checkInvariants(cache, [2]);
});

Deno.test("PagedCacheManager: at least one prompt token is left to compute", () => {
  const cache = new PagedCacheManager({ numBlocks: 16, blockSize: 4 });
  const p = range(1, 12); // a multiple of blockSize
  cache.allocate(0, p);
  cache.append(0, p);
  assert.deepEqual(cache.inspect().registeredBlocks, [0, 1, 2]);
  assert.equal(cache.lookupPrefix(p), 8); // not 12: the last block is recomputed
  assert.equal(cache.allocate(1, p), 8);
  cache.append(1, p.slice(8));
  assert.deepEqual(cache.blockTable(1), [0, 1, 3]);
  // Its twin is already cached: the recomputed block stays unregistered.
  assert.deepEqual(cache.inspect().registeredBlocks, [0, 1, 2]);
  assert.equal(cache.lookupPrefix(p.slice(0, 9)), 8); // 1 token left
  assert.equal(cache.lookupPrefix(p.slice(0, 8)), 4);
  assert.equal(cache.lookupPrefix(p.slice(0, 5)), 4);
  assert.equal(cache.lookupPrefix(p.slice(0, 4)), 0);
  assert.equal(cache.lookupPrefix([1]), 0);
  assert.equal(cache.allocate(2, []), 0);
  assert.equal(cache.lookupPrefix([...p, 99]), 12);
  assert.equal(cache.lookupPrefix([2, ...p]), 0); // same block tokens, different prefix
  checkInvariants(cache, [0, 1, 2]);
  const one = new PagedCacheManager({ numBlocks: 4, blockSize: 1 });
  one.allocate(0, [5, 6, 7]);
  one.append(0, [5, 6, 7]);
  assert.equal(one.lookupPrefix([5, 6, 7]), 2);
  assert.equal(one.lookupPrefix([5, 6, 8]), 2);
});

Deno.test("PagedCacheManager: unreferenced cached blocks are evicted LRU", () => {
  const cache = new PagedCacheManager({ numBlocks: 6, blockSize: 2 });
  const a = [1, 2, 3, 4, 5];
  const b = [11, 12, 13, 14, 15];
  cache.allocate(0, a);
  cache.append(0, a); // blocks 0 1 2
  cache.free(0); // 2 free; 1, 0 cached (tail first)
  cache.allocate(1, b);
  cache.append(1, b); // blocks 2 3 4
  cache.free(1);
  assert.deepEqual(cache.inspect().cachedBlocks, [1, 0, 3, 2]);
  assert.equal(cache.usage().numFreeBlocks, 6);
  // A hit revives a's blocks; freeing them again makes them the most recently used.
  assert.equal(cache.allocate(2, a), 4);
  assert.deepEqual(cache.inspect().cachedBlocks, [3, 2]);
  cache.free(2);
  assert.deepEqual(cache.inspect().cachedBlocks, [3, 2, 1, 0]);
  // Eviction starts only when the free list is empty.
  cache.allocate(3, []);
  cache.append(3, range(100, 4)); // free blocks 4 5
  assert.deepEqual(cache.blockTable(3), [4, 5]);
  assert.equal(cache.lookupPrefix(b), 4);
  cache.append(3, range(200, 4)); // evicts 3 then 2: all of b
  assert.deepEqual(cache.blockTable(3), [4, 5, 3, 2]);
  assert.equal(cache.lookupPrefix(b), 0);
  assert.equal(cache.lookupPrefix(a), 4);
  cache.append(3, [300]); // evicts 1: a's second block, its first still hits
  assert.equal(cache.lookupPrefix(a), 2);
  assert.deepEqual(cache.inspect().cachedBlocks, [0]);
  checkInvariants(cache, [3]);
});

Deno.test("PagedCacheManager: copy-on-write after fork", async (t) => {
  for (const [len, numCopies] of [[10, 3], [12, 0]] as const) {
    await t.step(`n = 4 choices of a ${len}-token prompt share its blocks`, () => {
      const cache = new PagedCacheManager({ numBlocks: 64, blockSize: 4 });
      const p = range(1, len);
      cache.allocate(0, p);
      cache.append(0, p);
      const promptBlocks = [...cache.blockTable(0)];
      for (const child of [1, 2, 3]) cache.fork(0, child);
      assert.equal(cache.numTokens(3), len);
      assert.equal(cache.usage().numUsedBlocks, promptBlocks.length);
      const copies = [];
      for (const id of [0, 1, 2, 3]) {
        const n = cache.numBlocksToAppend(id, 1);
        const free = cache.usage().numFreeBlocks;
        copies.push(...cache.append(id, [1000 + id]));
        assert.equal(cache.usage().numFreeBlocks, free - n);
      }
      assert.equal(copies.length, numCopies);
      for (const [src, dst] of copies) {
        assert.equal(src, promptBlocks.at(-1));
        assert.ok(!promptBlocks.includes(dst));
      }
      // Full prompt blocks once + one tail block per choice, not 4 × the prompt.
      const numFull = Math.floor(len / 4);
      assert.equal(cache.usage().numUsedBlocks, numFull + 4);
      const tails = [0, 1, 2, 3].map((id) => cache.blockTable(id).at(-1));
      assert.equal(new Set(tails).size, 4);
      for (const id of [0, 1, 2, 3]) {
        assert.deepEqual(cache.blockTable(id).slice(0, numFull), promptBlocks.slice(0, numFull));
        cache.append(id, [1, 2, 3, 4]); // no more copies: tails are private
      }
      checkInvariants(cache, [0, 1, 2, 3]);
      for (const id of [0, 1, 2, 3]) cache.free(id);
      assert.equal(cache.usage().numUsedBlocks, 0);
    });
  }
});

Deno.test("PagedCacheManager: exhaustion throws and changes nothing", () => {
  const cache = new PagedCacheManager({ numBlocks: 4, blockSize: 4 });
  cache.allocate(0, []);
  cache.append(0, range(1, 10)); // 3 blocks
  assert.equal(cache.canAppend(0, 7), false); // needs 2, 1 free
  const snap = cache.inspect();
  const usage = cache.usage();
  throwsExhausted(() => cache.append(0, range(20, 7)), 2, 1);
  assert.deepEqual(cache.inspect(), snap);
  assert.deepEqual(cache.usage(), usage);
  assert.equal(cache.numTokens(0), 10);
  // A shared partial last block needs a copy: with no block left, that fails too.
  cache.fork(0, 1);
  cache.allocate(2, []);
  cache.append(2, [7]); // the last free block
  assert.equal(cache.numBlocksToAppend(1, 1), 1);
  assert.equal(cache.canAppend(1, 1), false);
  const snap2 = cache.inspect();
  throwsExhausted(() => cache.append(1, [5]), 1, 0);
  assert.deepEqual(cache.inspect(), snap2);
  checkInvariants(cache, [0, 1, 2]);
  cache.free(2);
  assert.deepEqual(cache.append(1, [5]), [[2, 3]]);
  checkInvariants(cache, [0, 1]);
});

Deno.test("PagedCacheManager: swap out and back in within host capacity", () => {
  const cache = new PagedCacheManager({ numBlocks: 8, blockSize: 4, numHostBlocks: 4 });
  const p = range(1, 10);
  cache.allocate(0, p);
  cache.append(0, p); // 0 1 2
  cache.allocate(1, []);
  cache.append(1, range(50, 10)); // 3 4 5
  cache.fork(1, 2);
  assert.ok(cache.canSwapOut(0));
  assert.deepEqual(cache.swapOut(0), [0, 1, 2]);
  assert.equal(cache.usage().numUsedHostBlocks, 3);
  assert.deepEqual([cache.numBlocksOf(0), cache.numTokens(0)], [0, 10]);
  assert.deepEqual(cache.blockTable(0), []);
  assert.equal(cache.canSwapOut(0), false); // already out
  assert.throws(() => cache.append(0, [1]), LoomError);
  assert.throws(() => cache.numBlocksToAppend(0, 1), LoomError);
  assert.equal(cache.canSwapOut(1), false); // 3 blocks, 1 host block left
  throwsExhausted(() => cache.swapOut(1), 3, 1);
  checkInvariants(cache, [0, 1, 2]);
  // Occupy the device so that the swapped sequence does not fit back.
  cache.allocate(3, []);
  cache.append(3, range(70, 12)); // 3 of the 5 available
  assert.equal(cache.canSwapIn(0), false);
  const snap = cache.inspect();
  throwsExhausted(() => cache.swapIn(0), 3, 2);
  assert.deepEqual(cache.inspect(), snap);
  cache.free(3);
  assert.ok(cache.canSwapIn(0));
  const blocks = cache.swapIn(0);
  assert.equal(blocks.length, 3);
  const after = cache.inspect();
  for (const b of blocks) {
    assert.equal(after.refCounts[b], 1);
    assert.ok(!after.registeredBlocks.includes(b), "swapped-in blocks are private");
  }
  assert.deepEqual(cache.blockTable(0), blocks);
  assert.equal(cache.usage().numUsedHostBlocks, 0);
  assert.equal(cache.canSwapIn(0), false);
  assert.throws(() => cache.swapIn(0), LoomError);
  // Appends continue after the swapped tokens. Making room for the swap-in evicted the
  // cached chain of its prompt, so the block it fills now is unreachable: not registered.
  assert.equal(cache.lookupPrefix(range(1, 12)), 0);
  cache.append(0, [11, 12]);
  assert.equal(cache.numBlocksOf(0), 3);
  assert.ok(!cache.inspect().registeredBlocks.includes(blocks[2]!));
  // A forked sequence swaps out without taking its sibling's blocks.
  assert.deepEqual(cache.swapOut(2), cache.blockTable(1));
  assert.equal(cache.inspect().refCounts[cache.blockTable(1)[0]!], 1);
  checkInvariants(cache, [0, 1, 2]);
  cache.free(2); // frees host blocks
  assert.equal(cache.usage().numUsedHostBlocks, 0);
  cache.free(0);
  cache.free(1);
  checkInvariants(cache, []);
  assert.equal(cache.usage().numUsedBlocks, 0);
});

Deno.test("PagedCacheManager: prefix caching can be turned off", () => {
  const cache = new PagedCacheManager({ numBlocks: 8, blockSize: 2, enablePrefixCaching: false });
  cache.allocate(0, [1, 2, 3, 4, 5]);
  cache.append(0, [1, 2, 3, 4, 5]);
  assert.equal(cache.lookupPrefix([1, 2, 3, 4, 5]), 0);
  assert.equal(cache.allocate(1, [1, 2, 3, 4, 5]), 0);
  cache.free(0);
  assert.equal(cache.usage().numCachedBlocks, 0);
  assert.deepEqual(cache.inspect().registeredBlocks, []);
  assert.equal(cache.usage().numPrefixQueryTokens, 10);
});

Deno.test("PagedCacheManager: a swapped-in sequence keeps extending its cached chain", () => {
  const cache = new PagedCacheManager({ numBlocks: 16, blockSize: 4, numHostBlocks: 4 });
  const p = range(1, 6);
  cache.allocate(0, p);
  cache.append(0, p); // 0 (full, cached) 1 (partial)
  cache.swapOut(0);
  const blocks = cache.swapIn(0); // fresh, private
  assert.ok(!blocks.includes(0)); // not the cached copy of its first block
  assert.deepEqual(cache.inspect().cachedBlocks, [0]); // the original is still cached
  cache.append(0, [7, 8]); // fills its second block: registered after block 0's prefix
  assert.ok(cache.inspect().registeredBlocks.includes(blocks[1]!));
  assert.equal(cache.allocate(1, range(1, 9)), 8);
  assert.deepEqual(cache.blockTable(1), [0, blocks[1]]);
  checkInvariants(cache, [0, 1]);
});

/** A small seeded PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The test's model of a sequence. */
interface ModelSeq {
  /** Tokens whose slots the sequence holds. */
  tokens: number[];
  /** keys[p]: interned id of the prefix tokens[0..p]: what slot p's K/V depends on. */
  keys: number[];
  /** Prompt tokens not yet appended. */
  pending: number[];
  /** Shadow contents of its blocks while swapped out. */
  host: number[][] | undefined;
}

interface RandomStats {
  hitTokens: number;
  copies: number;
  evictions: number;
  exhausted: number;
  swapOuts: number;
  swapIns: number;
}

/**
 * Runs random operations against the cache and a shadow of the pool's K/V contents: every
 * slot remembers which prefix its K/V was computed for (block copies and swaps move it), so a
 * prefix hit on a wrong block, or an append that writes into a block another sequence
 * reads, shows up as a slot whose content does not match a live sequence's tokens.
 */
function runRandom(
  seed: number,
  options: ConstructorParameters<typeof PagedCacheManager>[0],
  numOps: number,
): RandomStats {
  const rand = mulberry32(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const cache = new PagedCacheManager(options);
  const bs = cache.blockSize;
  const stats = { hitTokens: 0, copies: 0, evictions: 0, exhausted: 0, swapOuts: 0, swapIns: 0 };
  const seqs = new Map<number, ModelSeq>();
  const slots = Array.from({ length: cache.numBlocks }, () => new Array<number>(bs).fill(-1));
  const prefixIds = new Map<string, number>();
  const keyOf = (parent: number, token: number) => {
    const k = `${parent}:${token}`;
    if (!prefixIds.has(k)) prefixIds.set(k, prefixIds.size + 1);
    return prefixIds.get(k)!;
  };
  const bases = [0, 1, 2].map(() => Array.from({ length: 40 }, () => int(4)));
  const maxSeqs = 12;
  const maxTokens = 60;
  let nextId = 0;

  const pushTokens = (seq: ModelSeq, tokens: readonly number[], table?: readonly number[]) => {
    for (const t of tokens) {
      seq.keys.push(keyOf(seq.keys.at(-1) ?? 0, t));
      seq.tokens.push(t);
      const p = seq.tokens.length - 1;
      if (table) slots[table[Math.floor(p / bs)]!]![p % bs] = seq.keys[p]!; // the forward pass
    }
  };
  const tryAppend = (id: number, seq: ModelSeq, tokens: readonly number[]): boolean => {
    const numNeeded = cache.numBlocksToAppend(id, tokens.length);
    const numFree = cache.usage().numFreeBlocks;
    assert.equal(cache.canAppend(id, tokens.length), numNeeded <= numFree);
    if (numNeeded > numFree) {
      const snap = cache.inspect();
      const usage = cache.usage();
      throwsExhausted(() => cache.append(id, tokens), numNeeded, numFree);
      assert.deepEqual(cache.inspect(), snap);
      assert.deepEqual(cache.usage(), usage);
      stats.exhausted++;
      return false;
    }
    if (numNeeded > cache.inspect().freeBlocks.length) stats.evictions++;
    const copies = cache.append(id, tokens);
    assert.equal(cache.usage().numFreeBlocks, numFree - numNeeded, "numBlocksToAppend exact");
    for (const [src, dst] of copies) slots[dst] = [...slots[src]!];
    stats.copies += copies.length;
    pushTokens(seq, tokens, cache.blockTable(id));
    return true;
  };
  const pick = (ids: number[]) => ids[int(ids.length)]!;

  for (let op = 0; op < numOps; op++) {
    const onDevice = [...seqs.keys()].filter((id) => !seqs.get(id)!.host);
    const swapped = [...seqs.keys()].filter((id) => seqs.get(id)!.host);
    const r = rand();
    if (r < 0.2 && seqs.size < maxSeqs) {
      // Admit: a prompt sharing a prefix of one of a few bases, then its first chunk.
      const prompt = [
        ...bases[int(3)]!.slice(0, int(41)),
        ...Array.from({ length: int(8) }, () => int(4)),
      ];
      if (prompt.length === 0) prompt.push(int(4));
      const numCached = cache.lookupPrefix(prompt);
      const chunk = 1 + int(prompt.length - numCached);
      const predicted = cache.numBlocksToAdmit(prompt, chunk);
      const numFree = cache.usage().numFreeBlocks;
      const id = nextId++;
      assert.equal(cache.allocate(id, prompt), numCached);
      assert.equal(numCached % bs, 0);
      assert.ok(numCached <= prompt.length - 1);
      stats.hitTokens += numCached;
      const seq: ModelSeq = {
        tokens: [],
        keys: [],
        pending: prompt.slice(numCached),
        host: undefined,
      };
      pushTokens(seq, prompt.slice(0, numCached)); // already in the cache: no write
      seqs.set(id, seq);
      const ok = tryAppend(id, seq, seq.pending.slice(0, chunk));
      assert.equal(ok, predicted <= numFree, "numBlocksToAdmit exact");
      if (ok) {
        seq.pending.splice(0, chunk);
        assert.equal(cache.usage().numFreeBlocks, numFree - predicted);
      }
    } else if (r < 0.55 && onDevice.length > 0) {
      // Run a prefill chunk or a few decode tokens.
      const id = pick(onDevice);
      const seq = seqs.get(id)!;
      if (seq.pending.length > 0) {
        const chunk = seq.pending.slice(0, 1 + int(seq.pending.length));
        if (tryAppend(id, seq, chunk)) seq.pending.splice(0, chunk.length);
      } else if (seq.tokens.length >= maxTokens) {
        cache.free(id);
        seqs.delete(id);
      } else {
        tryAppend(id, seq, Array.from({ length: 1 + int(rand() < 0.8 ? 1 : 3) }, () => int(4)));
      }
    } else if (r < 0.65 && onDevice.length > 0 && seqs.size < maxSeqs) {
      const parentId = pick(onDevice);
      const parent = seqs.get(parentId)!;
      const id = nextId++;
      cache.fork(parentId, id);
      seqs.set(id, {
        tokens: [...parent.tokens],
        keys: [...parent.keys],
        pending: [...parent.pending],
        host: undefined,
      });
    } else if (r < 0.8 && seqs.size > 0) {
      const id = rand() < 0.05 ? nextId + 1000 : pick([...seqs.keys()]); // unknown ids too
      cache.free(id);
      seqs.delete(id);
    } else if (r < 0.9 && onDevice.length > 0) {
      const id = pick(onDevice);
      const table = [...cache.blockTable(id)];
      const u = cache.usage();
      const numHostFree = u.numHostBlocks - u.numUsedHostBlocks;
      assert.equal(cache.canSwapOut(id), table.length <= numHostFree);
      if (table.length <= numHostFree) {
        assert.deepEqual(cache.swapOut(id), table);
        seqs.get(id)!.host = table.map((b) => [...slots[b]!]);
        stats.swapOuts++;
      } else {
        throwsExhausted(() => cache.swapOut(id), table.length, numHostFree);
      }
    } else if (swapped.length > 0) {
      const id = pick(swapped);
      const seq = seqs.get(id)!;
      assert.throws(
        () => cache.append(id, [1]),
        (e: unknown) => e instanceof LoomError && !(e instanceof CacheExhaustedError),
      );
      const numNeeded = seq.host!.length;
      const numFree = cache.usage().numFreeBlocks;
      assert.equal(cache.canSwapIn(id), numNeeded <= numFree);
      if (numNeeded <= numFree) {
        const blocks = cache.swapIn(id);
        const snap = cache.inspect();
        blocks.forEach((b, i) => {
          assert.equal(snap.refCounts[b], 1);
          assert.ok(!snap.registeredBlocks.includes(b));
          slots[b] = [...seq.host![i]!];
        });
        seq.host = undefined;
        stats.swapIns++;
      } else {
        const snap = cache.inspect();
        throwsExhausted(() => cache.swapIn(id), numNeeded, numFree);
        assert.deepEqual(cache.inspect(), snap);
      }
    }
    checkInvariants(cache, seqs.keys());
    for (const [id, seq] of seqs) {
      assert.equal(cache.numTokens(id), seq.tokens.length);
      const table = cache.blockTable(id);
      if (seq.host) continue;
      for (let p = 0; p < seq.tokens.length; p++) {
        assert.equal(
          slots[table[Math.floor(p / bs)]!]![p % bs],
          seq.keys[p],
          `seq ${id} slot ${p}`,
        );
      }
    }
  }
  for (const id of seqs.keys()) cache.free(id);
  checkInvariants(cache, []);
  const u = cache.usage();
  assert.equal(u.numUsedBlocks, 0);
  assert.equal(u.numUsedHostBlocks, 0);
  assert.equal(u.numFreeBlocks, cache.numBlocks);
  assert.ok(cache.inspect().refCounts.every((r) => r === 0));
  return stats;
}

Deno.test("PagedCacheManager: random operations keep every invariant", async (t) => {
  const configs: [string, ConstructorParameters<typeof PagedCacheManager>[0], number][] = [
    ["blockSize 4", { numBlocks: 48, blockSize: 4, numHostBlocks: 24 }, 1],
    ["blockSize 4, another seed", { numBlocks: 48, blockSize: 4, numHostBlocks: 24 }, 2],
    ["blockSize 1", { numBlocks: 40, blockSize: 1, numHostBlocks: 16 }, 3],
    ["blockSize 5, tight", { numBlocks: 24, blockSize: 5, numHostBlocks: 6 }, 4],
    ["no prefix caching", {
      numBlocks: 48,
      blockSize: 4,
      numHostBlocks: 24,
      enablePrefixCaching: false,
    }, 5],
  ];
  for (const [name, options, seed] of configs) {
    await t.step(name, () => {
      const stats = runRandom(seed, options, 4000);
      // The run must have exercised every path.
      if (options.enablePrefixCaching !== false) {
        assert.ok(stats.hitTokens > 0, "prefix hits");
        assert.ok(stats.evictions > 0, "evictions");
      }
      if (options.blockSize !== 1) assert.ok(stats.copies > 0, "copy-on-write");
      assert.ok(stats.exhausted > 0, "exhaustion");
      assert.ok(stats.swapOuts > 0 && stats.swapIns > 0, "swaps");
    });
  }
});
