/**
 * Matmuls on the same input quantize it once (q, k, v; gate, up). The reuse must never serve
 * stale activations: after a host write, after another kernel wrote the input, or after a
 * matmul whose output overwrote it, the next matmul quantizes again.
 */
import assert from "node:assert/strict";
import { WasmBackend } from "@loom/wasm";
import { randomWeightBytes, Rng, tensorInfo } from "../../tests/conformance/_helpers.ts";

Deno.test("wasm q8 matmuls reuse quantized activations only while the input is unchanged", async (t) => {
  const be = await WasmBackend.create({ numThreads: 2, activations: "q8", minParallelWork: 0 });
  const fresh = await WasmBackend.create({ numThreads: 1, activations: "q8" });
  try {
    const rng = new Rng(11), k = 128, n = 128, rows = 3;
    const info = tensorInfo("w", "q8_0", [n, k]);
    const bytes = randomWeightBytes("q8_0", n * k, rng);
    const w = await be.loadWeight(info, bytes.slice()), wf = await fresh.loadWeight(info, bytes);
    // what a backend that has quantized nothing before computes for `x`
    const expected = async (x: Float32Array) => {
      const a = fresh.alloc(rows, k), o = fresh.alloc(rows, n);
      fresh.write(a, x);
      fresh.ops.matmul(o, a, wf, rows);
      return await fresh.read(o, rows);
    };
    const x = be.alloc(rows, k), y = be.alloc(rows, n), z = be.alloc(rows, n);
    const x1 = Float32Array.from(rng.normals(rows * k)),
      x2 = Float32Array.from(rng.normals(rows * k));
    await t.step("same input twice: same result", async () => {
      be.write(x, x1);
      be.ops.matmul(y, x, w, rows);
      be.ops.matmul(z, x, w, rows);
      assert.deepEqual(await be.read(z, rows), await expected(x1));
      assert.deepEqual(await be.read(y, rows), await be.read(z, rows));
    });
    await t.step("a host write in between", async () => {
      be.write(x, x2);
      be.ops.matmul(z, x, w, rows);
      assert.deepEqual(await be.read(z, rows), await expected(x2));
    });
    await t.step("another kernel wrote the input", async () => {
      be.ops.matmul(y, x, w, rows); // quantizes x2
      be.ops.add(x, x, x, rows); // x ← 2·x2
      be.ops.matmul(z, x, w, rows);
      assert.deepEqual(await be.read(z, rows), await expected(x2.map((v) => 2 * v)));
    });
    await t.step("a matmul's output overwrote its input", async () => {
      be.write(x, x1);
      be.ops.matmul(x, x, w, rows); // x ← x1 · Wᵀ (n = k)
      const now = await be.read(x, rows);
      be.ops.matmul(z, x, w, rows);
      assert.deepEqual(await be.read(z, rows), await expected(now));
    });
  } finally {
    be.dispose();
    fresh.dispose();
  }
});
