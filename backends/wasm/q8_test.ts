/**
 * The int8-activation kernels are exact where the activations quantize exactly: integer
 * values with a ±127 in every block of 32 get d = 1, so `activations: "q8"` must then match
 * `activations: "f32"` to f32 rounding, for every dtype with an int8 kernel and both builds.
 */
import assert from "node:assert/strict";
import { WasmBackend } from "@loom/wasm";
import type { DType } from "@loom/core";
import {
  assertClose,
  randomWeightBytes,
  Rng,
  tensorInfo,
} from "../../tests/conformance/_helpers.ts";

for (
  const [simd, u8Dot] of [["relaxed", "auto"], ["relaxed", false], ["simd", "auto"]] as const
) {
  Deno.test(`wasm q8 kernels equal f32 on exactly quantized activations (${simd}, u8Dot ${u8Dot})`, async () => {
    const f32 = await WasmBackend.create({ numThreads: 1, simd });
    const q8 = await WasmBackend.create({
      numThreads: 2,
      simd,
      activations: "q8",
      minParallelWork: 0,
      u8Dot,
    });
    if (u8Dot === false) assert.equal(q8.u8Dot, false);
    try {
      const rng = new Rng(5);
      // k = 576 and 96: int8 tiles over whole groups of 4 blocks plus a tail of 2 and 3 blocks;
      // K-quants come in superblocks of 256
      const shapes: Record<string, [number, number][]> = {
        q4_0: [[7, 512], [5, 576], [3, 96]],
        q8_0: [[7, 512], [5, 576]],
        q4_k: [[7, 512]],
        q5_k: [[7, 512], [3, 256]],
        q3_k: [[7, 512], [3, 256]],
        q2_k: [[7, 512], [3, 256]],
        iq4_nl: [[7, 512], [5, 576], [3, 96]],
        iq4_xs: [[7, 512], [3, 256]],
        q4_1: [[7, 512], [5, 576], [3, 96]],
        q5_0: [[7, 512], [5, 576], [3, 96]],
        q5_1: [[7, 512], [5, 576], [3, 96]],
        q6_k: [[7, 512]],
      };
      for (
        const [dtype, [n, k]] of Object.entries(shapes).flatMap(([d, ss]) =>
          ss.map((s) => [d as DType, s] as const)
        )
      ) {
        const bytes = randomWeightBytes(dtype, n * k, rng);
        const info = tensorInfo(`w_${dtype}`, dtype, [n, k]);
        const wf = await f32.loadWeight(info, bytes.slice()),
          wq = await q8.loadWeight(info, bytes.slice());
        for (const rows of [1, 3, 4, 6]) {
          const x = new Float32Array(rows * k).map(() => rng.int(255) - 127);
          for (let b = 0; b < x.length; b += 32) x[b + rng.int(32)] = rng.next() < 0.5 ? 127 : -127;
          const [xf, xq, of, oq] = [
            f32.alloc(rows, k),
            q8.alloc(rows, k),
            f32.alloc(rows, n),
            q8.alloc(rows, n),
          ];
          f32.write(xf!, x), q8.write(xq!, x);
          f32.ops.matmul(of!, xf!, wf, rows);
          q8.ops.matmul(oq!, xq!, wq, rows);
          assertClose(await q8.read(oq!, rows), await f32.read(of!, rows), {
            atol: 1e-4,
            rtol: 1e-5,
          }, `${dtype} [${n}, ${k}] × ${rows}`);
        }
      }
    } finally {
      f32.dispose();
      q8.dispose();
    }
  });
}

Deno.test("wasm int8 dot peak: positive on the relaxed build, undefined on the plain one", async () => {
  const relaxed = await WasmBackend.create({ numThreads: 2 });
  const plain = await WasmBackend.create({ numThreads: 1, simd: "simd" });
  try {
    if (relaxed.relaxedSimd) {
      const peak = relaxed.measureInt8DotPeak(20_000, 1);
      assert.ok(peak !== undefined && Number.isFinite(peak) && peak > 0, `peak ${peak}`);
    } else {
      assert.equal(relaxed.measureInt8DotPeak(), undefined);
    }
    assert.equal(plain.measureInt8DotPeak(), undefined);
  } finally {
    relaxed.dispose();
    plain.dispose();
  }
});
