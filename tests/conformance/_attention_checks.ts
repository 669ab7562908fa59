/**
 * Paged-attention checks: several steps of a schedule that mixes prefill chunks and decode
 * tokens of several sequences over shuffled block tables, in f32 and f16 pools; chunked
 * prefill against prefill at once; contexts longer than one kernel tile; block copy and
 * swap out / in.
 *
 * @module
 */
import type { AttentionSpec, Backend, KvDType, KvPool, Tensor } from "@loom/core";
import { assertClose, makeBatch, type Rng, type SeqSpec, type Tolerance } from "./_helpers.ts";

/** Attention geometry plus pool settings of one check. */
export interface AttentionCase {
  label: string;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  blockSize: number;
  numBlocks: number;
  kv: KvDType;
}

/** The geometries checked: GQA, MHA, MQA, f32 and f16 pools. */
export const ATTENTION_CASES: readonly AttentionCase[] = [
  {
    label: "GQA f32",
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    blockSize: 4,
    numBlocks: 16,
    kv: "f32",
  },
  {
    label: "GQA f16",
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    blockSize: 4,
    numBlocks: 16,
    kv: "f16",
  },
  {
    label: "MHA f32",
    numHeads: 2,
    numKvHeads: 2,
    headDim: 12,
    blockSize: 3,
    numBlocks: 20,
    kv: "f32",
  },
  {
    label: "MQA f16",
    numHeads: 3,
    numKvHeads: 1,
    headDim: 16,
    blockSize: 8,
    numBlocks: 8,
    kv: "f16",
  },
];

/** One backend's buffers and pool for an attention case. */
class Side {
  readonly pool: KvPool;
  readonly q: Tensor;
  readonly k: Tensor;
  readonly v: Tensor;
  readonly out: Tensor;
  constructor(readonly backend: Backend, c: AttentionCase, maxTokens: number, numLayers = 2) {
    this.pool = backend.createKvPool({
      numLayers,
      numBlocks: c.numBlocks,
      blockSize: c.blockSize,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
      dtype: c.kv,
    });
    this.q = backend.alloc(maxTokens, c.numHeads * c.headDim);
    this.k = backend.alloc(maxTokens, c.numKvHeads * c.headDim);
    this.v = backend.alloc(maxTokens, c.numKvHeads * c.headDim);
    this.out = backend.alloc(maxTokens, c.numHeads * c.headDim);
  }

  /** Runs one step with the given q/k/v rows and returns the output rows. */
  async step(
    seqs: readonly SeqSpec[],
    c: AttentionCase,
    qkv: [Float32Array, Float32Array, Float32Array],
    layer: number,
  ): Promise<Float32Array> {
    const batch = makeBatch(seqs, c.blockSize);
    const spec: AttentionSpec = {
      numHeads: c.numHeads,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
      scale: 1 / Math.sqrt(c.headDim),
    };
    const b = this.backend;
    b.write(this.q, qkv[0]), b.write(this.k, qkv[1]), b.write(this.v, qkv[2]);
    b.ops.attention(b.beginStep(batch), this.out, this.q, this.k, this.v, this.pool, layer, spec);
    return await b.read(this.out, batch.tokens.length);
  }
}

function randomQkv(rng: Rng, c: AttentionCase, numTokens: number) {
  return [
    rng.normals(numTokens * c.numHeads * c.headDim),
    rng.normals(numTokens * c.numKvHeads * c.headDim),
    rng.normals(numTokens * c.numKvHeads * c.headDim),
  ] as [Float32Array, Float32Array, Float32Array];
}

const toks = (n: number) => Array.from({ length: n }, (_, i) => i % 7);

/** Three steps of two sequences (prefill, chunk + decode, decode) on shuffled blocks. */
export async function checkAttentionSchedule(
  ref: Backend,
  be: Backend,
  c: AttentionCase,
  rng: Rng,
  tol: Tolerance,
): Promise<void> {
  const r = new Side(ref, c, 16), w = new Side(be, c, 16);
  const perm = rng.permutation(c.numBlocks);
  const half = Math.floor(c.numBlocks / 2);
  const blocksA = perm.slice(0, half), blocksB = perm.slice(half);
  const steps: SeqSpec[][] = [
    [{ tokens: toks(6), numCached: 0, blocks: blocksA }, {
      tokens: toks(3),
      numCached: 0,
      blocks: blocksB,
    }],
    [{ tokens: toks(1), numCached: 6, blocks: blocksA }, {
      tokens: toks(5),
      numCached: 3,
      blocks: blocksB,
    }],
    [{ tokens: toks(1), numCached: 8, blocks: blocksB }, {
      tokens: toks(1),
      numCached: 7,
      blocks: blocksA,
    }],
  ];
  for (const [i, seqs] of steps.entries()) {
    const T = seqs.reduce((a, s) => a + s.tokens.length, 0);
    const qkv = randomQkv(rng, c, T);
    const expected = await r.step(seqs, c, qkv, 1);
    assertClose(await w.step(seqs, c, qkv, 1), expected, tol, `attention ${c.label} step ${i + 1}`);
  }
}

/** Prefill of 10 tokens in chunks of 4, 3, 3 gives the rows of the prefill at once. */
export async function checkChunkedPrefill(
  be: Backend,
  c: AttentionCase,
  rng: Rng,
  tol: Tolerance,
): Promise<void> {
  const whole = new Side(be, c, 10), chunked = new Side(be, c, 10);
  const blocks = rng.permutation(c.numBlocks).slice(0, Math.ceil(10 / c.blockSize));
  const [q, k, v] = randomQkv(rng, c, 10);
  const all = await whole.step([{ tokens: toks(10), numCached: 0, blocks }], c, [q, k, v], 0);
  const qd = c.numHeads * c.headDim, kd = c.numKvHeads * c.headDim;
  let at = 0;
  for (const n of [4, 3, 3]) {
    const part = await chunked.step(
      [{ tokens: toks(n), numCached: at, blocks }],
      c,
      [
        q.slice(at * qd, (at + n) * qd),
        k.slice(at * kd, (at + n) * kd),
        v.slice(at * kd, (at + n) * kd),
      ],
      0,
    );
    assertClose(
      part,
      all.slice(at * qd, (at + n) * qd),
      tol,
      `chunked prefill rows ${at}..${at + n}`,
    );
    at += n;
  }
}

/** A 300-token context (longer than a 256-position tile) then a decode step. */
export async function checkLongContext(ref: Backend, be: Backend, rng: Rng, tol: Tolerance) {
  const c: AttentionCase = {
    label: "long",
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    blockSize: 16,
    numBlocks: 24,
    kv: "f16",
  };
  const r = new Side(ref, c, 300, 1), w = new Side(be, c, 300, 1);
  const blocks = rng.permutation(c.numBlocks).slice(0, 20);
  for (const [n, cached] of [[300, 0], [1, 300]] as const) {
    const seqs = [{ tokens: toks(n), numCached: cached, blocks }];
    const qkv = randomQkv(rng, c, n);
    // sharper scores so the softmax depends on the running maximum across tiles
    qkv[0] = qkv[0].map((x) => 3 * x);
    const expected = await r.step(seqs, c, qkv, 0);
    assertClose(
      await w.step(seqs, c, qkv, 0),
      expected,
      tol,
      `attention over ${cached + n} positions`,
    );
  }
}

/**
 * copyBlocks and swapOut / swapIn: a prefilled context is copied to other blocks and
 * swapped out, its blocks are overwritten by another sequence, it is swapped back into yet
 * other blocks; decode steps reading the copies and the swapped-in blocks must match.
 */
export async function checkCopyAndSwap(ref: Backend, be: Backend, rng: Rng, tol: Tolerance) {
  const c = ATTENTION_CASES[1]!; // f16 pool, GQA
  const r = new Side(ref, c, 8), w = new Side(be, c, 8);
  const [b0, b1, c0, c1, s0, s1, d0, d1] = rng.permutation(c.numBlocks);
  const run = async (seqs: SeqSpec[], what: string) => {
    const T = seqs.reduce((a, s) => a + s.tokens.length, 0);
    for (const layer of [0, 1]) {
      const qkv = randomQkv(rng, c, T);
      const expected = await r.step(seqs, c, qkv, layer);
      assertClose(await w.step(seqs, c, qkv, layer), expected, tol, `${what} layer ${layer}`);
    }
  };
  await run([{ tokens: toks(8), numCached: 0, blocks: [b0!, b1!] }], "prefill");
  ref.copyBlocks(r.pool, [[b0!, c0!], [b1!, c1!]]);
  be.copyBlocks(w.pool, [[b0!, c0!], [b1!, c1!]]);
  const hr = await ref.swapOut(r.pool, [b0!, b1!]), hb = await be.swapOut(w.pool, [b0!, b1!]);
  if (hb.numBlocks !== 2 || hb.byteLength <= 0) throw new Error("swapOut: wrong host blocks");
  await run([{ tokens: toks(8), numCached: 0, blocks: [b0!, b1!] }], "overwrite");
  ref.swapIn(r.pool, hr, [s0!, s1!]);
  be.swapIn(w.pool, hb, [s0!, s1!]);
  await run([
    { tokens: toks(1), numCached: 8, blocks: [c0!, c1!, d0!] },
    { tokens: toks(1), numCached: 8, blocks: [s0!, s1!, d1!] },
  ], "decode after copy and swap");
}
