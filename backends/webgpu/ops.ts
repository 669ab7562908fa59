/**
 * The WebGPU Ops: every primitive records one or a few dispatches of a WGSL kernel into the
 * step's command encoder; nothing runs until {@linkcode WebGpuBackend.read}. Arithmetic is
 * f32 (weights are dequantized in registers, never in memory).
 *
 * @module
 */
import {
  type AttentionSpec,
  BackendError,
  type KvPool,
  LoomError,
  type Ops,
  type RopeTable,
  type StepContext,
  type Tensor,
  type Weight,
} from "@loom/core";
import {
  type BindingLimits,
  matmulUnitsPerRow,
  rowWindow,
  unitsPerRow,
  whole,
} from "./_bindings.ts";
import type { Pipeline, Pipelines, PipelineSpec } from "./_pipelines.ts";
import { type Binding, f32Bits, type Recorder } from "./_recorder.ts";
import type { GpuKvPool, GpuRope, GpuStep, GpuTensor, GpuWeight } from "./_resources.ts";
import type { StepBuffers } from "./_step_buffers.ts";
import { type KernelSizes, kernelSpecs, type WeightDType } from "./kernel_specs.ts";

const tensor = (t: Tensor) => t as GpuTensor;
const weight = (w: Weight) => w as GpuWeight;

/** What the ops need from the backend. */
export interface OpsContext extends BindingLimits {
  readonly rec: Recorder;
  readonly pipelines: Pipelines;
  readonly sizes: KernelSizes;
  readonly steps: StepBuffers;
  /** A small storage buffer bound where a kernel ignores a binding. */
  readonly placeholder: GPUBuffer;
}

/**
 * The {@linkcode Ops} of the WebGPU backend.
 *
 * @example
 * ```ts
 * import { WebGpuBackend } from "@loom/webgpu";
 * const b = await WebGpuBackend.create();
 * const x = b.alloc(1, 2), y = b.alloc(1, 2);
 * b.write(x, Float32Array.of(1, 2));
 * b.ops.add(y, x, x, 1);
 * console.log(await b.read(y, 1)); // Float32Array(2) [ 2, 4 ]
 * b.dispose();
 * ```
 */
export class WebGpuOps implements Ops {
  readonly #ctx: OpsContext;
  readonly #specs: ReturnType<typeof kernelSpecs>;
  readonly #cache = new Map<string, Pipeline>();

  /**
   * Creates the ops over the backend's device, pipelines and buffers.
   *
   * @param ctx The backend's shared state.
   */
  constructor(ctx: OpsContext) {
    this.#ctx = ctx;
    this.#specs = kernelSpecs(ctx.sizes);
  }

  /** The pipeline of `make(arg)`, looked up once per (name, arg). */
  #get<A extends string | number | boolean>(name: string, make: (a: A) => PipelineSpec, arg: A) {
    const key = `${name}:${arg}`;
    let p = this.#cache.get(key);
    if (!p) this.#cache.set(key, p = this.#ctx.pipelines.get(make(arg)));
    return p;
  }

  embed(step: StepContext, out: Tensor, table: Weight): void {
    const { batch } = step as GpuStep;
    const w = weight(table);
    const [vocab = 0, d = 0] = w.shape;
    for (const id of batch.tokens) {
      if (id < 0 || id >= vocab) throw new LoomError(`token id ${id} outside vocabulary`);
    }
    const p = this.#get("embed", this.#specs.embed, w.dtype as WeightDType);
    const T = step.numTokens;
    const numGroups = Math.ceil((T * unitsPerRow(w.dtype, d)) / this.#ctx.sizes.matmulWorkgroup);
    const bindings = [
      undefined,
      { buffer: this.#ctx.placeholder },
      whole(this.#ctx, out),
      { buffer: this.#ctx.steps.get("tokens") },
    ];
    for (const c of w.chunks) {
      bindings[0] = { buffer: c.buffer };
      this.#ctx.rec.dispatch(
        p,
        [T, c.numRows, d, 0, 0, out.cols, 0, c.row0, 0],
        bindings as Binding[],
        numGroups,
      );
    }
  }

  matmul(out: Tensor, x: Tensor, w: Weight, numRows: number, bias?: Weight): void {
    const W = weight(w), o = tensor(out), xt = tensor(x);
    const [N = 0, K = 0] = W.shape;
    if (xt.cols < K || o.cols < N) {
      throw new BackendError(
        `matmul ${W.name} [${N}, ${K}] with x [*, ${xt.cols}] → [*, ${o.cols}]`,
        "webgpu",
      );
    }
    const { matmulWorkgroup, matmulThreadsPerRow, matmulUnitsPerThread, matmulTileRows } =
      this.#ctx.sizes;
    // threads per row: a power of two giving each at least matmulUnitsPerThread units
    const units = matmulUnitsPerRow(W.dtype, K) / matmulUnitsPerThread;
    const tpr = Math.min(matmulThreadsPerRow, 2 ** Math.max(0, Math.floor(Math.log2(units))));
    const tileRows = numRows === 1 ? 1 : matmulTileRows;
    const p = this.#get(
      `matmul${tileRows}`,
      (d) => this.#specs.matmul(d, tileRows),
      W.dtype as WeightDType,
    );
    const rowsPerGroup = matmulWorkgroup / tpr;
    const biasBinding = { buffer: bias ? weight(bias).vector! : this.#ctx.placeholder };
    for (let r0 = 0; r0 < numRows;) {
      const xw = rowWindow(this.#ctx, xt, r0), ow = rowWindow(this.#ctx, o, r0);
      const rows = Math.min(numRows - r0, xw.numRows, ow.numRows);
      for (const c of W.chunks) {
        this.#ctx.rec.dispatch(
          p,
          [
            rows,
            c.numRows,
            K,
            xt.cols,
            xw.elementOffset,
            o.cols,
            ow.elementOffset,
            c.row0,
            bias ? 1 : 0,
            tpr,
          ],
          [{ buffer: c.buffer }, xw.binding, ow.binding, biasBinding],
          Math.ceil(c.numRows / rowsPerGroup),
          Math.ceil(rows / tileRows),
        );
      }
      r0 += rows;
    }
  }

  rmsNorm(out: Tensor, x: Tensor, w: Weight, eps: number, numRows: number): void {
    const inPlace = out === x;
    const d = w.shape[0]!;
    this.#ctx.rec.dispatch(
      this.#get("rmsNorm", this.#specs.rmsNorm, inPlace),
      [numRows, d, f32Bits(eps)],
      [
        inPlace ? { buffer: this.#ctx.placeholder } : whole(this.#ctx, x),
        { buffer: weight(w).vector! },
        whole(this.#ctx, out),
      ],
      numRows,
    );
  }

  rope(step: StepContext, x: Tensor, numHeads: number, headDim: number, table: RopeTable): void {
    const rope = table as GpuRope, { batch } = step as GpuStep;
    for (const p of batch.positions) {
      if (p >= rope.maxPositions) throw new LoomError(`position ${p} beyond the rope table`);
    }
    const T = step.numTokens, half = rope.halfDim;
    this.#ctx.rec.dispatch(
      this.#get("rope", this.#specs.rope, 0),
      [T, numHeads, headDim, half, x.cols, rope.config.style === "neox" ? 1 : 0, rope.sinOffset],
      [{ buffer: this.#ctx.steps.get("positions") }, { buffer: rope.buffer }, whole(this.#ctx, x)],
      Math.ceil((T * numHeads * half) / this.#ctx.sizes.workgroup),
    );
  }

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
    const pool = kvPool as GpuKvPool, { batch } = step as GpuStep;
    const { numHeads, numKvHeads, headDim, scale } = spec;
    const S = pool.slotSize, f16 = pool.spec.dtype === "f16";
    if (numKvHeads * headDim !== S || batch.blockSize !== pool.spec.blockSize) {
      throw new BackendError("attention spec or block size differs from the KV pool's", "webgpu");
    }
    if (headDim > 256) throw new BackendError(`head dim ${headDim} above 256`, "webgpu");
    const T = step.numTokens, rec = this.#ctx.rec, steps = this.#ctx.steps;
    const kc = { buffer: pool.k[layer]! }, vc = { buffer: pool.v[layer]! };
    // 1. this step's K/V into the pool through the slot mapping
    rec.dispatch(
      this.#get("kvWrite", this.#specs.kvWrite, f16),
      [T, S, k.cols, v.cols],
      [{ buffer: steps.get("slots") }, whole(this.#ctx, k), whole(this.#ctx, v), kc, vc],
      Math.ceil((T * (f16 ? S / 2 : S)) / this.#ctx.sizes.workgroup),
    );
    // 2. each (token, head) attends over its sequence's paged context
    rec.dispatch(
      this.#get("attention", this.#specs.attention, f16),
      [
        T,
        numHeads,
        numHeads / numKvHeads,
        headDim,
        f32Bits(scale),
        batch.blockSize,
        batch.maxBlocksPerSeq,
        q.cols,
        out.cols,
        S,
      ],
      [
        { buffer: steps.get("positions") },
        { buffer: steps.get("tokenSeqs") },
        { buffer: steps.get("blockTables") },
        whole(this.#ctx, q),
        kc,
        vc,
        whole(this.#ctx, out),
      ],
      T * numHeads,
    );
  }

  siluMul(out: Tensor, gate: Tensor, up: Tensor, numRows: number): void {
    this.#elementwise("siluMul", this.#specs.siluMul, out, gate, up, numRows);
  }

  add(out: Tensor, a: Tensor, b: Tensor, numRows: number): void {
    this.#elementwise("add", this.#specs.add, out, a, b, numRows);
  }

  gatherRows(step: StepContext, out: Tensor, x: Tensor): void {
    const R = step.numLogitRows;
    this.#ctx.rec.dispatch(
      this.#get("gatherRows", this.#specs.gatherRows, 0),
      [R, x.cols, x.cols, out.cols],
      [{ buffer: this.#ctx.steps.get("logitRows") }, whole(this.#ctx, x), whole(this.#ctx, out)],
      Math.ceil((R * x.cols) / this.#ctx.sizes.workgroup),
    );
  }

  #elementwise(
    name: string,
    spec: (alias: number) => PipelineSpec,
    out: Tensor,
    a: Tensor,
    b: Tensor,
    numRows: number,
  ): void {
    const alias = (a === out ? 1 : 0) | (b === out ? 2 : 0);
    const input = (t: Tensor) =>
      t === out ? { buffer: this.#ctx.placeholder } : whole(this.#ctx, t);
    const count = numRows * out.cols;
    this.#ctx.rec.dispatch(
      this.#get(name, spec, alias),
      [count],
      [input(a), input(b), whole(this.#ctx, out)],
      Math.ceil(count / this.#ctx.sizes.workgroup),
    );
  }
}
