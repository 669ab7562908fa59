/**
 * A step's metadata on the GPU: token ids, positions, KV slots, each token's sequence, block
 * tables and logit rows, each in its own preallocated i32 buffer. `upload` writes them in
 * recording order; a buffer grows (to the next power of two) only when a batch exceeds it.
 *
 * @module
 */
import type { ForwardBatch } from "@loom/core";
import type { Recorder } from "./_recorder.ts";

/** The step buffers' names. */
export type StepField =
  | "tokens"
  | "positions"
  | "slots"
  | "tokenSeqs"
  | "blockTables"
  | "logitRows";

const FIELDS: readonly StepField[] = [
  "tokens",
  "positions",
  "slots",
  "tokenSeqs",
  "blockTables",
  "logitRows",
];

/** Initial capacities (elements). */
export interface StepCapacity {
  readonly maxTokens: number;
  readonly maxBlockTableEntries: number;
  readonly maxLogitRows: number;
}

/** The six metadata buffers. */
export class StepBuffers {
  readonly #device: GPUDevice;
  readonly #buffers = new Map<StepField, GPUBuffer>();
  #tokenSeqs = new Int32Array(0);

  constructor(device: GPUDevice, capacity: StepCapacity) {
    this.#device = device;
    for (const f of FIELDS) {
      const n = f === "blockTables"
        ? capacity.maxBlockTableEntries
        : f === "logitRows"
        ? capacity.maxLogitRows
        : capacity.maxTokens;
      this.#buffers.set(f, this.#create(f, n));
    }
  }

  /** The buffer of one field. */
  get(field: StepField): GPUBuffer {
    return this.#buffers.get(field)!;
  }

  /**
   * Records the batch's upload. Returns true when a buffer had to grow (cached bind groups
   * that use the old one must be dropped).
   */
  upload(rec: Recorder, batch: ForwardBatch): boolean {
    const T = batch.tokens.length;
    if (this.#tokenSeqs.length < T) this.#tokenSeqs = new Int32Array(T);
    const seqs = this.#tokenSeqs.subarray(0, T);
    for (let s = 0; s + 1 < batch.seqStarts.length; s++) {
      seqs.fill(s, batch.seqStarts[s]!, batch.seqStarts[s + 1]!);
    }
    const values: Record<StepField, Int32Array> = {
      tokens: batch.tokens,
      positions: batch.positions,
      slots: batch.slotMapping,
      tokenSeqs: seqs,
      blockTables: batch.blockTables,
      logitRows: batch.logitRows,
    };
    let grew = false;
    for (const f of FIELDS) {
      const v = values[f];
      const old = this.#buffers.get(f)!;
      if (v.byteLength > old.size) {
        rec.flush();
        this.#buffers.set(f, this.#create(f, 2 ** Math.ceil(Math.log2(v.length))));
        this.#device.queue.onSubmittedWorkDone().then(() => old.destroy());
        grew = true;
      }
      if (v.length > 0) rec.write(this.#buffers.get(f)!, 0, v);
    }
    return grew;
  }

  /** Frees the buffers. */
  destroy(): void {
    for (const b of this.#buffers.values()) b.destroy();
  }

  #create(field: StepField, numElements: number): GPUBuffer {
    return this.#device.createBuffer({
      label: `loom step ${field}`,
      size: Math.max(16, numElements * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }
}
