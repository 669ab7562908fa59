/**
 * Device buffers the backend owns (weights, activations, KV pool, tables), created once at
 * load with out-of-memory checks, and the upload of weights in their file format.
 *
 * @module
 */
import {
  BackendError,
  byteLengthOf,
  dequantize,
  type TensorInfo,
  UnsupportedDTypeError,
} from "@loom/core";
import type { Recorder } from "./_recorder.ts";
import { GpuWeight, type WeightChunk } from "./_resources.ts";
import { WEIGHT_DTYPES, type WeightDType } from "./kernel_specs.ts";

/** Storage usable by kernels and copies. */
export const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Creates buffers, remembering them for {@linkcode DeviceMemory.destroyAll}. */
export class DeviceMemory {
  readonly #device: GPUDevice;
  readonly #rec: Recorder;
  readonly #buffers: GPUBuffer[] = [];

  constructor(device: GPUDevice, rec: Recorder) {
    this.#device = device;
    this.#rec = rec;
  }

  /** A zeroed (or, with `mapped`, mapped) buffer of at least `size` bytes (4-aligned, ≥ 16). */
  buffer(label: string, size: number, usage = STORAGE, mapped = false): GPUBuffer {
    this.#rec.checkDevice();
    const bytes = Math.max(16, Math.ceil(size / 4) * 4);
    if (bytes > this.#device.limits.maxBufferSize) {
      throw new BackendError(`${label}: ${bytes} bytes exceed the device's buffer limit`, "webgpu");
    }
    let buffer: GPUBuffer;
    this.#device.pushErrorScope("out-of-memory"); // reported at the next read
    try {
      buffer = this.#device.createBuffer({ label, size: bytes, usage, mappedAtCreation: mapped });
    } catch (e) {
      throw new BackendError(`${label}: allocation failed (${(e as Error).message})`, "webgpu");
    } finally {
      this.#rec.watch(this.#device.popErrorScope());
    }
    this.#buffers.push(buffer);
    return buffer;
  }

  /** A storage buffer holding `data`, padded by at least 4 bytes (for unaligned word reads). */
  upload(label: string, data: ArrayBufferView): GPUBuffer {
    const buffer = this.buffer(label, data.byteLength + 4, STORAGE, true);
    new Uint8Array(buffer.getMappedRange()).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    buffer.unmap();
    return buffer;
  }

  /** Destroys every buffer created. */
  destroyAll(): void {
    for (const b of this.#buffers) b.destroy();
    this.#buffers.length = 0;
  }
}

/**
 * Uploads one weight: a matrix keeps its file bytes, split by rows into chunks that each fit
 * one binding of `maxBindingBytes`; a vector (norm, bias) is dequantized to f32.
 */
export function uploadWeight(
  mem: DeviceMemory,
  info: TensorInfo,
  bytes: Uint8Array,
  maxBindingBytes: number,
): GpuWeight {
  const { name, dtype, shape } = info;
  if (shape.length === 1) {
    const values = dequantize(dtype, bytes, shape[0]!);
    return new GpuWeight(name, dtype, shape, [], mem.upload(name, values));
  }
  if (!(WEIGHT_DTYPES as readonly string[]).includes(dtype)) {
    throw new UnsupportedDTypeError(dtype, name);
  }
  const K = shape[shape.length - 1]!, N = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const rowBytes = byteLengthOf(dtype, K);
  if (bytes.byteLength < N * rowBytes) {
    throw new BackendError(`${name}: ${bytes.byteLength} bytes for [${shape}]`, "webgpu");
  }
  const rowsPerChunk = Math.floor((maxBindingBytes - 8) / rowBytes);
  if (rowsPerChunk < 1) throw new BackendError(`${name}: a row exceeds a binding`, "webgpu");
  const chunks: WeightChunk[] = [];
  for (let row0 = 0; row0 < N; row0 += rowsPerChunk) {
    const numRows = Math.min(rowsPerChunk, N - row0);
    const part = bytes.subarray(row0 * rowBytes, (row0 + numRows) * rowBytes);
    chunks.push({ buffer: mem.upload(`${name}[${row0}..]`, part), row0, numRows });
  }
  return new GpuWeight(name, dtype as WeightDType, shape, chunks, undefined);
}
