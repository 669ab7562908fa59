/**
 * How tensors are bound: whole, or — for tensors larger than one storage binding may be —
 * in windows of rows starting at aligned offsets. Also the work units of weight kernels.
 *
 * @module
 */
import { BackendError, type DType, type Tensor } from "@loom/core";
import type { Binding } from "./_recorder.ts";
import type { GpuTensor } from "./_resources.ts";

/** The device limits that decide how a tensor is bound. */
export interface BindingLimits {
  /** Largest storage binding in bytes. */
  readonly maxBindingBytes: number;
  /** Alignment of storage binding offsets. */
  readonly offsetAlignment: number;
}

/** Rows of a tensor bound as one window. */
export interface RowWindow {
  readonly binding: Binding;
  /** Element offset of the first row asked inside the window. */
  readonly elementOffset: number;
  /** Rows from it that the window holds. */
  readonly numRows: number;
}

/**
 * Rows `r0 ..` of a tensor as one binding: the whole buffer when it fits one binding, else
 * a window starting at the aligned offset at or before row r0.
 *
 * @example
 * ```ts
 * import { rowWindow } from "./_bindings.ts";
 * const t = { maxRows: 100, cols: 10, rowBytes: 40, buffer: { size: 4000 } };
 * // deno-lint-ignore no-explicit-any
 * const w = rowWindow({ maxBindingBytes: 1024, offsetAlignment: 256 }, t as any, 30);
 * console.log(w.binding.offset, w.elementOffset, w.numRows); // 1024 44 21
 * ```
 */
export function rowWindow(limits: BindingLimits, t: GpuTensor, r0: number): RowWindow {
  const size = t.buffer.size, { maxBindingBytes, offsetAlignment } = limits;
  if (size <= maxBindingBytes) {
    return { binding: { buffer: t.buffer }, elementOffset: r0 * t.cols, numRows: t.maxRows - r0 };
  }
  const start = r0 * t.rowBytes;
  const offset = Math.floor(start / offsetAlignment) * offsetAlignment;
  const windowBytes = Math.min(size - offset, maxBindingBytes - (maxBindingBytes % 4));
  const numRows = Math.floor((offset + windowBytes - start) / t.rowBytes);
  if (numRows < 1) throw new BackendError(`a row of ${t.cols} values exceeds a binding`, "webgpu");
  return {
    binding: { buffer: t.buffer, offset, size: windowBytes },
    elementOffset: (start - offset) / 4,
    numRows,
  };
}

/** The whole tensor as one binding; throws when it is larger than a binding may be. */
export function whole(limits: BindingLimits, t: Tensor): Binding {
  const g = t as GpuTensor;
  if (g.buffer.size > limits.maxBindingBytes) {
    throw new BackendError(
      `tensor [${t.maxRows}, ${t.cols}] exceeds the ${limits.maxBindingBytes}-byte binding limit`,
      "webgpu",
    );
  }
  return { buffer: g.buffer };
}

/** Units of work per weight row for embed: 32-value blocks of quantized dtypes, else values. */
export function unitsPerRow(dtype: DType, k: number): number {
  return dtype === "f32" || dtype === "f16" || dtype === "bf16" ? k : k / 32;
}

/** Units a matmul thread walks per row: 32-value blocks, f32 values or f16 / bf16 pairs. */
export function matmulUnitsPerRow(dtype: DType, k: number): number {
  return dtype === "f16" || dtype === "bf16" ? Math.ceil(k / 2) : unitsPerRow(dtype, k);
}
