/**
 * Per-op checks: the backend under test and the reference run the same op on the same
 * inputs; outputs must agree within a tolerance. Shapes are tiny and odd on purpose (row
 * counts around the register blocking, columns that are not multiples of 4, strided rows).
 *
 * @module
 */
import { type Backend, type DType, dtypeInfo, type RopeConfig } from "@loom/core";
import {
  assertClose,
  loadBoth,
  makeBatch,
  randomWeightBytes,
  type Rng,
  tensorInfo,
  type Tolerance,
} from "./_helpers.ts";

/** Weight shapes `[N, K]` exercised for a dtype: K a multiple of its block, N not of 4. */
function matmulShapes(dtype: DType): [number, number][] {
  const block = dtypeInfo(dtype).blockElements;
  if (block === 1) return [[13, 37], [8, 64]];
  if (block === 32) return [[13, 64], [6, 160]]; // 160: a whole group of 4 blocks + 1
  return [[9, 256], [4, 512]];
}

/** matmul for one weight dtype, 1–10 rows (10: a full tile of 8, then 2), with and without bias, strided x and out. */
export async function checkMatmul(
  ref: Backend,
  be: Backend,
  dtype: DType,
  rng: Rng,
  tol: Tolerance,
): Promise<void> {
  for (const [n, k] of matmulShapes(dtype)) {
    const info = tensorInfo(`w_${n}x${k}`, dtype, [n, k]);
    const [wr, wb] = await loadBoth(ref, be, info, randomWeightBytes(dtype, n * k, rng));
    const biasBytes = new Uint8Array(rng.normals(n).buffer);
    const [br, bb] = await loadBoth(ref, be, tensorInfo("bias", "f32", [n]), biasBytes);
    const maxRows = 10;
    const xr = ref.alloc(maxRows, k + 3), xb = be.alloc(maxRows, k + 3);
    const or = ref.alloc(maxRows, n + 2), ob = be.alloc(maxRows, n + 2);
    for (const rows of [1, 2, 3, 4, 7, 10]) {
      const x = rng.normals(rows * (k + 3));
      ref.write(xr, x), be.write(xb, x);
      const withBias = rows === 3;
      ref.ops.matmul(or, xr, wr, rows, withBias ? br : undefined);
      be.ops.matmul(ob, xb, wb, rows, withBias ? bb : undefined);
      assertClose(
        await be.read(ob, rows),
        await ref.read(or, rows),
        tol,
        `matmul ${dtype} [${n}, ${k}] × ${rows} rows${withBias ? " + bias" : ""}`,
      );
    }
  }
}

/** embed: rows of a table in `dtype` for random (repeating) token ids. */
export async function checkEmbed(
  ref: Backend,
  be: Backend,
  dtype: DType,
  rng: Rng,
  tol: Tolerance,
): Promise<void> {
  const [, k] = matmulShapes(dtype)[1]!;
  const vocab = 11;
  const info = tensorInfo("token_embd", dtype, [vocab, k]);
  const [tr, tb] = await loadBoth(ref, be, info, randomWeightBytes(dtype, vocab * k, rng));
  const tokens = [3, 0, 10, 3, 7, 1];
  const batch = makeBatch([{ tokens, numCached: 0, blocks: [0] }], 16);
  const or = ref.alloc(tokens.length, k), ob = be.alloc(tokens.length, k);
  ref.ops.embed(ref.beginStep(batch), or, tr);
  be.ops.embed(be.beginStep(batch), ob, tb);
  assertClose(
    await be.read(ob, tokens.length),
    await ref.read(or, tokens.length),
    tol,
    `embed ${dtype}`,
  );
}

/** RMSNorm over whole rows and per head (numRows = tokens · heads). */
export async function checkRmsNorm(ref: Backend, be: Backend, rng: Rng, tol: Tolerance) {
  for (const [rows, d, cols] of [[5, 64, 64], [3 * 4, 16, 4 * 16], [2, 37, 37]] as const) {
    const buffers = rows * d / cols;
    const info = tensorInfo(`norm_${d}`, "f32", [d]);
    const w = new Float32Array(d).map(() => 1 + 0.1 * rng.normal());
    const [wr, wb] = await loadBoth(ref, be, info, new Uint8Array(w.buffer));
    const xr = ref.alloc(buffers, cols), xb = be.alloc(buffers, cols);
    const or = ref.alloc(buffers, cols), ob = be.alloc(buffers, cols);
    const x = rng.normals(buffers * cols, 3);
    ref.write(xr, x), be.write(xb, x);
    ref.ops.rmsNorm(or, xr, wr, 1e-5, rows);
    be.ops.rmsNorm(ob, xb, wb, 1e-5, rows);
    assertClose(await be.read(ob, buffers), await ref.read(or, buffers), tol, `rmsNorm d=${d}`);
    // in place, as a transformer norms Q and K per head
    ref.ops.rmsNorm(xr, xr, wr, 1e-6, rows);
    be.ops.rmsNorm(xb, xb, wb, 1e-6, rows);
    assertClose(await be.read(xb, buffers), await ref.read(xr, buffers), tol, `rmsNorm in place`);
  }
}

/** RoPE: normal and NeoX, frequency factors, linear scaling, partial rotary dims. */
export async function checkRope(ref: Backend, be: Backend, rng: Rng, tol: Tolerance) {
  const headDim = 16, numHeads = 3;
  const factors = Array.from({ length: 8 }, (_, i) => (i < 4 ? 1 : 1 + 2 * i));
  const configs: [string, RopeConfig][] = [
    ["normal", { theta: 10000, style: "normal", dim: 16 }],
    ["neox", { theta: 1e6, style: "neox", dim: 16 }],
    ["normal freqFactors", { theta: 500000, style: "normal", dim: 16, freqFactors: factors }],
    ["neox linearFactor", { theta: 10000, style: "neox", dim: 16, linearFactor: 4 }],
    ["normal partial dim", { theta: 10000, style: "normal", dim: 8 }],
    ["neox partial dim", { theta: 10000, style: "neox", dim: 8 }],
  ];
  const batch = makeBatch([
    { tokens: [1, 2, 3], numCached: 0, blocks: [0, 1, 2, 3] },
    { tokens: [4, 5], numCached: 41, blocks: [4, 5, 6, 7] },
  ], 16);
  const T = batch.tokens.length;
  for (const [label, config] of configs) {
    const tr = ref.createRope(config, 64), tb = be.createRope(config, 64);
    const xr = ref.alloc(T, numHeads * headDim), xb = be.alloc(T, numHeads * headDim);
    const x = rng.normals(T * numHeads * headDim);
    ref.write(xr, x), be.write(xb, x);
    ref.ops.rope(ref.beginStep(batch), xr, numHeads, headDim, tr);
    be.ops.rope(be.beginStep(batch), xb, numHeads, headDim, tb);
    assertClose(await be.read(xb, T), await ref.read(xr, T), tol, `rope ${label}`);
  }
}

/** siluMul, add and gatherRows. */
export async function checkElementwise(ref: Backend, be: Backend, rng: Rng, tol: Tolerance) {
  const rows = 3, cols = 37;
  const [ar, ab, br, bb, or, ob] = [ref, be, ref, be, ref, be].map((b) => b.alloc(rows, cols));
  const a = rng.normals(rows * cols, 4), b = rng.normals(rows * cols);
  ref.write(ar!, a), be.write(ab!, a), ref.write(br!, b), be.write(bb!, b);
  ref.ops.siluMul(or!, ar!, br!, rows);
  be.ops.siluMul(ob!, ab!, bb!, rows);
  assertClose(await be.read(ob!, rows), await ref.read(or!, rows), tol, "siluMul");
  ref.ops.add(or!, ar!, br!, rows);
  be.ops.add(ob!, ab!, bb!, rows);
  assertClose(await be.read(ob!, rows), await ref.read(or!, rows), tol, "add");
  // gatherRows: logits rows in a chosen order
  const batch = makeBatch([{ tokens: [1, 2, 3, 4, 5], numCached: 0, blocks: [0] }], 16, [4, 0, 2]);
  const xr = ref.alloc(5, 7), xb = be.alloc(5, 7), gr = ref.alloc(3, 7), gb = be.alloc(3, 7);
  const x = rng.normals(35);
  ref.write(xr, x), be.write(xb, x);
  ref.ops.gatherRows(ref.beginStep(batch), gr, xr);
  be.ops.gatherRows(be.beginStep(batch), gb, xb);
  assertClose(await be.read(gb, 3), await ref.read(gr, 3), tol, "gatherRows");
}
