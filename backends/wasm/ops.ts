/**
 * The WASM backend's {@linkcode Ops}: each op checks its arguments (a bad size would corrupt
 * the shared memory, not throw), writes the kernel's argument struct and runs the kernel,
 * split over the threads when the call is large. Everything computes in f32, except matmul
 * of Q4_0 / Q8_0 / Q4_K / Q6_K weights with `activations: "q8"` (int8 activations).
 *
 * @module
 */
import {
  type AttentionSpec,
  dtypeInfo,
  DTYPES,
  type KvPool,
  LoomError,
  type Ops,
  type RopeTable,
  type StepContext,
  type Tensor,
  type Weight,
} from "@loom/core";
import type { WasmRuntime } from "./_runtime.ts";
import { WasmKvPool, WasmRope, WasmStep, WasmTensor, WasmWeight } from "./_tensors.ts";

/** Weight dtypes with an int8-activation kernel (k_matmul_q8): every block dtype. */
const Q8_DTYPES: ReadonlySet<string> = new Set(
  DTYPES.filter((d) => dtypeInfo(d).blockElements > 1),
);

/** Score chunk of k_attention (CHUNK in _src/attention.c). */
const ATTENTION_CHUNK = 256;
/** Positions of converted f16 K/V rows k_attention keeps per chunk (CACHE_POS there). */
const ATTENTION_CACHE_POS = 1024;

function fail(message: string): never {
  throw new LoomError(message, "invalid_argument");
}

function tensor(t: Tensor, rows: number, cols: number, what: string): WasmTensor {
  if (!(t instanceof WasmTensor)) fail(`${what} is not a WASM tensor`);
  if (rows > t.maxRows) fail(`${what}: ${rows} rows exceed its ${t.maxRows}`);
  if (cols > t.cols) fail(`${what}: ${cols} columns exceed its ${t.cols}`);
  return t;
}

function weight(w: Weight, what: string): WasmWeight {
  if (!(w instanceof WasmWeight)) fail(`${what} is not a WASM weight`);
  return w;
}

/** Checks `t` holds `count` contiguous values. */
function flat(t: Tensor, count: number, what: string): WasmTensor {
  if (!(t instanceof WasmTensor)) fail(`${what} is not a WASM tensor`);
  if (count > t.maxRows * t.cols) fail(`${what}: ${count} values exceed its size`);
  return t;
}

/**
 * Builds the Ops of one runtime.
 *
 * @example
 * ```ts
 * import { WasmBackend } from "@loom/wasm";
 * const b = await WasmBackend.create({ numThreads: 1 });
 * const x = b.alloc(1, 4), y = b.alloc(1, 4);
 * b.write(x, Float32Array.of(1, 2, 3, 4));
 * b.ops.add(y, x, x, 1);
 * console.log(await b.read(y, 1)); // Float32Array(4) [ 2, 4, 6, 8 ]
 * b.dispose();
 * ```
 */
export function createWasmOps(rt: WasmRuntime): Ops {
  const current = (step: StepContext): WasmStep => {
    if (!(step instanceof WasmStep)) fail("step is not a WASM step context");
    if (step.serial !== rt.stepSerial) fail("step context is stale (beginStep was called again)");
    return step;
  };

  return {
    embed(step: StepContext, out: Tensor, table: Weight): void {
      const s = current(step), w = weight(table, "embedding table");
      const o = tensor(out, s.numTokens, w.k, "embed output");
      for (const id of s.batch.tokens) {
        if (id < 0 || id >= w.n) throw new LoomError(`token id ${id} outside vocabulary`);
      }
      rt.args.begin().u32(o.ptr).u32(o.cols).u32(w.desc).u32(s.tokensPtr).u32(s.numTokens);
      rt.run("k_embed", s.numTokens * w.k);
    },

    matmul(out: Tensor, x: Tensor, w: Weight, numRows: number, bias?: Weight): void {
      const W = weight(w, "matmul weight");
      const X = tensor(x, numRows, W.k, "matmul input");
      const O = tensor(out, numRows, W.n, "matmul output");
      let biasPtr = 0;
      if (bias) {
        const B = weight(bias, "matmul bias");
        if (B.n * B.k !== W.n) fail(`bias of ${B.n * B.k} values for ${W.n} outputs`);
        biasPtr = B.f32Ptr;
      }
      // (without the unsigned-byte dot, Q8_0 weights widen to int16 in the int8 kernel: from 8
      // rows up, the f32 panel GEMM is faster, measured 45 against 30 GFLOP/s a thread)
      const q8Panel = W.dtype === "q8_0" && numRows >= 8 && !rt.u8Dot;
      // (IQ4 levels run as unsigned bytes: only where the relaxed dot is exact for them)
      const iq4 = W.dtype === "iq4_nl" || W.dtype === "iq4_xs";
      if (rt.activations === "q8" && Q8_DTYPES.has(W.dtype) && !q8Panel && (!iq4 || rt.u8Dot)) {
        // int8 path: quantize x per block of 32, then integer dot products per block
        const nb = W.k / 32;
        const xq = rt.activationRegion(numRows * W.k * 1.5);
        const xd = xq + numRows * W.k, xs = xd + numRows * nb * 4, xs16 = xs + numRows * nb * 4;
        const from = `${X.ptr} ${X.cols} ${numRows} ${W.k} ${xq}`;
        if (rt.quantizedFrom !== from) { // (q, k, v and gate, up share their input)
          rt.args.begin().u32(X.ptr).u32(X.cols).u32(numRows).u32(W.k).u32(xq).u32(xd).u32(xs)
            .u32(xs16);
          rt.run("k_quantize_q8", numRows * W.k * 4);
        }
        rt.args.begin().u32(O.ptr).u32(O.cols).u32(xq).u32(xd).u32(xs).u32(xs16).u32(numRows)
          .u32(W.desc).u32(biasPtr).u32(rt.u8Dot ? 1 : 0);
        rt.run("k_matmul_q8", numRows * W.n * W.k);
        // the input is still what was quantized unless this output overwrote it
        const xEnd = X.ptr + ((numRows - 1) * X.cols + W.k) * 4;
        const oEnd = O.ptr + ((numRows - 1) * O.cols + W.n) * 4;
        rt.quantizedFrom = O.ptr < xEnd && X.ptr < oEnd ? "" : from;
        return;
      }
      const scratch = rt.scratch(4 * W.k);
      rt.args.begin().u32(O.ptr).u32(O.cols).u32(X.ptr).u32(X.cols).u32(W.desc).u32(numRows)
        .u32(biasPtr).u32(scratch.ptr).u32(scratch.stride);
      rt.run("k_matmul", numRows * W.n * W.k);
    },

    rmsNorm(out: Tensor, x: Tensor, w: Weight, eps: number, numRows: number): void {
      const W = weight(w, "norm weight");
      const d = W.n * W.k;
      const X = flat(x, numRows * d, "rmsNorm input"), O = flat(out, numRows * d, "rmsNorm output");
      rt.args.begin().u32(O.ptr).u32(X.ptr).u32(W.f32Ptr).u32(d).u32(numRows).f32(eps);
      rt.run("k_rms_norm", numRows * d * 4);
    },

    rope(step: StepContext, x: Tensor, numHeads: number, headDim: number, table: RopeTable): void {
      const s = current(step);
      if (!(table instanceof WasmRope)) fail("rope table is not a WASM rope table");
      const X = tensor(x, s.numTokens, numHeads * headDim, "rope input");
      if (table.config.dim > headDim) fail(`rope dim ${table.config.dim} exceeds head dim`);
      if (s.maxPosition >= table.maxPositions) {
        throw new LoomError(`position ${s.maxPosition} beyond the rope table`);
      }
      rt.args.begin().u32(X.ptr).u32(X.cols).u32(s.numTokens).u32(numHeads).u32(headDim)
        .u32(table.config.dim / 2).u32(table.config.style === "neox" ? 1 : 0)
        .u32(s.positionsPtr).u32(table.cosPtr).u32(table.sinPtr);
      rt.run("k_rope", s.numTokens * numHeads * headDim * 4);
    },

    attention(
      step: StepContext,
      out: Tensor,
      q: Tensor,
      k: Tensor,
      v: Tensor,
      kvPool: KvPool,
      layer: number,
      spec: AttentionSpec,
    ): void {
      const s = current(step);
      if (!(kvPool instanceof WasmKvPool)) fail("KV pool is not a WASM pool");
      const { numHeads, numKvHeads, headDim, scale } = spec;
      const ps = kvPool.spec, b = s.batch, T = s.numTokens;
      if (numKvHeads !== ps.numKvHeads || headDim !== ps.headDim) {
        fail("attention spec does not match the KV pool");
      }
      if (numHeads % numKvHeads !== 0) fail("numHeads must be a multiple of numKvHeads");
      if (layer < 0 || layer >= ps.numLayers || !Number.isInteger(layer)) {
        fail(`layer ${layer} outside the pool`);
      }
      if (b.blockSize !== ps.blockSize) fail("batch block size differs from the pool's");
      const numSlots = ps.numBlocks * ps.blockSize;
      for (const slot of b.slotMapping) if (slot < 0 || slot >= numSlots) fail(`slot ${slot}`);
      for (const blk of b.blockTables) if (blk >= ps.numBlocks) fail(`block ${blk} outside pool`);
      const kvDim = numKvHeads * headDim;
      const Q = tensor(q, T, numHeads * headDim, "attention q");
      const K = tensor(k, T, kvDim, "attention k"), V = tensor(v, T, kvDim, "attention v");
      const O = tensor(out, T, numHeads * headDim, "attention output");
      const f16 = ps.dtype === "f16" ? 1 : 0;
      // 1. this step's K/V into the pool through the slot mapping
      rt.args.begin().u32(K.ptr).u32(K.cols).u32(V.ptr).u32(V.cols).u32(kvPool.k(layer))
        .u32(kvPool.v(layer)).u32(f16).u32(kvDim).u32(s.slotsPtr).u32(T);
      rt.run("k_kv_write", T * kvDim * 8);
      // 2. softmax(q·Kᵀ·scale) · V over each token's causal paged context
      const G = numHeads / numKvHeads;
      const scratch = rt.scratch(
        G * (ATTENTION_CHUNK + headDim + 2) + 4 * headDim + ATTENTION_CHUNK * headDim +
          (f16 ? 2 * ATTENTION_CACHE_POS * headDim : 0),
      );
      rt.args.begin().u32(O.ptr).u32(O.cols).u32(Q.ptr).u32(Q.cols).u32(kvPool.k(layer))
        .u32(kvPool.v(layer)).u32(f16).u32(numHeads).u32(numKvHeads).u32(headDim).f32(scale)
        .u32(s.positionsPtr).u32(s.tokSeqPtr).u32(s.blockTablesPtr).u32(b.maxBlocksPerSeq)
        .u32(b.blockSize).u32(T).u32(scratch.ptr).u32(scratch.stride);
      rt.run("k_attention", T * numHeads * headDim * 2 * (s.maxPosition + 1));
    },

    siluMul(out: Tensor, gate: Tensor, up: Tensor, numRows: number): void {
      const n = numRows * out.cols;
      const O = flat(out, n, "siluMul output");
      const G = flat(gate, n, "siluMul gate"), U = flat(up, n, "siluMul up");
      rt.args.begin().u32(O.ptr).u32(G.ptr).u32(U.ptr).u32(n);
      rt.run("k_silu_mul", n * 16);
    },

    add(out: Tensor, a: Tensor, b: Tensor, numRows: number): void {
      const n = numRows * out.cols;
      const O = flat(out, n, "add output"), A = flat(a, n, "add a"), B = flat(b, n, "add b");
      rt.args.begin().u32(O.ptr).u32(A.ptr).u32(B.ptr).u32(n);
      rt.run("k_add", n);
    },

    gatherRows(step: StepContext, out: Tensor, x: Tensor): void {
      const s = current(step);
      const X = tensor(x, s.numTokens, x.cols, "gather input");
      const O = tensor(out, s.numLogitRows, X.cols, "gather output");
      const f32 = rt.heap.f32;
      s.batch.logitRows.forEach((row, i) => {
        const src = (X.ptr >> 2) + row * X.cols;
        f32.copyWithin((O.ptr >> 2) + i * O.cols, src, src + X.cols);
      });
    },
  };
}
