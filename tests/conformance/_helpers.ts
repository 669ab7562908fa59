/**
 * Helpers of the backend conformance suite: a seeded RNG, random weights in every dtype,
 * batch building, tolerance checks.
 *
 * @module
 */
import {
  type Backend,
  byteLengthOf,
  dequantize,
  type DType,
  dtypeInfo,
  f32ToF16,
  type ForwardBatch,
  type TensorInfo,
  type Weight,
} from "@loom/core";

/** A small seeded PRNG (mulberry32) with uniform and normal draws. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** `n` normal values times `scale`. */
  normals(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * scale;
    return out;
  }
  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

/** Byte offsets of the f16 scale fields in one block of each block-quantized dtype. */
const SCALE_FIELDS: Partial<Record<DType, readonly number[]>> = {
  q4_0: [0],
  q4_1: [0, 2],
  q5_0: [0],
  q5_1: [0, 2],
  q8_0: [0],
  q2_k: [80, 82],
  q3_k: [108],
  q4_k: [0, 2],
  q5_k: [0, 2],
  q6_k: [208],
  iq4_nl: [0],
  iq4_xs: [0],
};

/**
 * Stored bytes of a random `numElements`-value tensor. Floats get normal values times
 * `scale`; block formats get uniformly random quant bits (every bit pattern occurs) with
 * small random f16 scales, so the values are of order `scale`.
 */
export function randomWeightBytes(
  dtype: DType,
  numElements: number,
  rng: Rng,
  scale = 0.1,
): Uint8Array {
  const values = rng.normals(numElements, scale);
  switch (dtype) {
    case "f32":
      return new Uint8Array(values.buffer);
    case "f16":
      return new Uint8Array(Uint16Array.from(values, (v) => f32ToF16(v)).buffer);
    case "bf16":
      return new Uint8Array(
        Uint16Array.from(new Uint32Array(values.buffer), (u) => u >>> 16).buffer,
      );
  }
  const bytes = new Uint8Array(byteLengthOf(dtype, numElements));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  const { blockBytes } = dtypeInfo(dtype);
  const view = new DataView(bytes.buffer);
  const fields = SCALE_FIELDS[dtype] ?? [];
  for (let b = 0; b < bytes.length; b += blockBytes) {
    fields.forEach((off, i) => {
      // first field: the scale (either sign for the symmetric formats); second: a positive min
      const mag = scale * (0.02 + 0.1 * rng.next());
      const v = i === 0 && fields.length === 1 && rng.next() < 0.3 ? -mag : mag;
      view.setUint16(b + off, f32ToF16(v), true);
    });
  }
  return bytes;
}

/** True when the reference can dequantize `dtype` (its dequantizer may lag the dtypes). */
export function referenceReads(dtype: DType): boolean {
  const n = dtypeInfo(dtype).blockElements;
  try {
    dequantize(dtype, new Uint8Array(byteLengthOf(dtype, n)), n);
    return true;
  } catch {
    return false;
  }
}

/** Loads the same weight into two backends. */
export async function loadBoth(
  a: Backend,
  b: Backend,
  info: TensorInfo,
  bytes: Uint8Array,
): Promise<[Weight, Weight]> {
  return [await a.loadWeight(info, bytes.slice()), await b.loadWeight(info, bytes.slice())];
}

/** A tensor description. */
export function tensorInfo(name: string, dtype: DType, shape: number[]): TensorInfo {
  const n = shape.reduce((x, y) => x * y, 1);
  return { name, dtype, shape, byteLength: byteLengthOf(dtype, n) };
}

/** One sequence of a batch: `numNew` tokens after `numCached` already in its blocks. */
export interface SeqSpec {
  tokens: readonly number[];
  numCached: number;
  blocks: readonly number[];
}

/** Builds a valid {@linkcode ForwardBatch} (logits for each sequence's last token by default). */
export function makeBatch(
  seqs: readonly SeqSpec[],
  blockSize: number,
  logitRows?: readonly number[],
): ForwardBatch {
  const tokens: number[] = [], positions: number[] = [], slots: number[] = [];
  const seqStarts = [0], contextLens: number[] = [], last: number[] = [];
  const maxBlocksPerSeq = Math.max(...seqs.map((s) => s.blocks.length));
  const blockTables = new Int32Array(seqs.length * maxBlocksPerSeq).fill(-1);
  seqs.forEach((s, i) => {
    s.tokens.forEach((t, j) => {
      const pos = s.numCached + j;
      tokens.push(t);
      positions.push(pos);
      slots.push(s.blocks[Math.floor(pos / blockSize)]! * blockSize + (pos % blockSize));
    });
    seqStarts.push(tokens.length);
    contextLens.push(s.numCached + s.tokens.length);
    last.push(tokens.length - 1);
    blockTables.set(s.blocks, i * maxBlocksPerSeq);
  });
  return {
    tokens: Int32Array.from(tokens),
    positions: Int32Array.from(positions),
    seqStarts: Int32Array.from(seqStarts),
    contextLens: Int32Array.from(contextLens),
    blockTables,
    maxBlocksPerSeq,
    blockSize,
    slotMapping: Int32Array.from(slots),
    logitRows: Int32Array.from(logitRows ?? last),
  };
}

/** An absolute plus relative tolerance: |a − e| ≤ atol + rtol · max|e|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Throws when `actual` and `expected` differ beyond `tol`, naming the worst element. */
export function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  tol: Tolerance,
  what: string,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  }
  let maxAbs = 0;
  for (const v of expected) maxAbs = Math.max(maxAbs, Math.abs(v));
  const limit = tol.atol + tol.rtol * maxAbs;
  let worst = -1, worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(err)) {
      if (Number.isNaN(actual[i]!) && Number.isNaN(expected[i]!)) continue;
      worst = i, worstErr = Infinity;
      break;
    }
    if (err > worstErr) worst = i, worstErr = err;
  }
  if (worst >= 0 && !(worstErr <= limit)) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(error ${worstErr.toExponential(2)} > ${limit.toExponential(2)})`,
    );
  }
}
