/**
 * Measures device memory bandwidth with the copy kernel, the roofline benchmarks compare
 * decode against.
 *
 * @module
 */
import type { Pipeline } from "./_pipelines.ts";
import type { Recorder } from "./_recorder.ts";

/**
 * Bytes read plus bytes written per second by `numReps` copies of `numBytes` (a multiple of
 * 16, at most one binding) recorded in one submit, after one warm-up copy.
 */
export async function measureCopyBandwidth(
  device: GPUDevice,
  rec: Recorder,
  copy: Pipeline,
  numBytes: number,
  numReps: number,
): Promise<number> {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const src = device.createBuffer({ label: "loom bandwidth src", size: numBytes, usage });
  const dst = device.createBuffer({ label: "loom bandwidth dst", size: numBytes, usage });
  const count = numBytes / 16; // vec4s
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      rec.dispatch(copy, [count], [{ buffer: src }, { buffer: dst }], Math.ceil(count / 256));
    }
    return rec.read(dst, 0, 16);
  };
  try {
    await run(1);
    const t0 = performance.now();
    await run(numReps);
    return (2 * numBytes * numReps) / ((performance.now() - t0) / 1000);
  } finally {
    src.destroy();
    dst.destroy();
  }
}
