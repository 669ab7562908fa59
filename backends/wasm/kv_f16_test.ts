import assert from "node:assert/strict";
import { buildForwardBatch, f32ToF16 } from "@loom/core";
import { WasmBackend } from "@loom/wasm";
import type { WasmHostBlocks } from "./_tensors.ts";

/** f32 values whose f16 rounding is easy to get wrong: ties, subnormals, overflow, specials. */
function edgeValues(n: number): number[] {
  const v = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e6, Infinity, -Infinity, NaN];
  v.push(2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1.5 * 2 ** -24, 6e-8, 1e-10, -1e-40);
  v.push(1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -14 - 2 ** -25, 0.1, -0.3, 1 / 3, 2047.5, 4095);
  let s = 7;
  while (v.length < n) {
    s = (s * 1103515245 + 12345) >>> 0;
    const mant = (s >>> 8) / 2 ** 24 + 0.5, exp = (s & 63) - 40; // 2^-40 … 2^23
    v.push((s & 64 ? -1 : 1) * mant * 2 ** exp);
  }
  return v;
}

Deno.test("wasm f16 KV write rounds every value as f32ToF16 does (SIMD and scalar tail)", async (t) => {
  for (const simd of ["relaxed", "simd"] as const) {
    await t.step(simd, async () => {
      const be = await WasmBackend.create({ numThreads: 1, simd });
      try {
        // kvDim 20: two 8-lane vectors and a 4-value scalar tail per row
        const numKvHeads = 2, headDim = 10, kvDim = numKvHeads * headDim, bs = 16;
        const pool = be.createKvPool({
          numLayers: 1,
          numBlocks: 2,
          blockSize: bs,
          numKvHeads,
          headDim,
          dtype: "f16",
        });
        const vals = Float32Array.from(edgeValues(bs * kvDim));
        const k = be.alloc(bs, kvDim), v = be.alloc(bs, kvDim);
        const q = be.alloc(bs, kvDim), o = be.alloc(bs, kvDim);
        be.write(k, vals);
        be.write(v, vals.map((x) => -x));
        be.write(q, new Float32Array(bs * kvDim));
        const batch = buildForwardBatch(
          [{ tokens: new Array(bs).fill(1), startPos: 0, blockTable: [1], logits: "last" }],
          bs,
        );
        const step = be.beginStep(batch);
        be.ops.attention(step, o, q, k, v, pool, 0, {
          numHeads: numKvHeads,
          numKvHeads,
          headDim,
          scale: 1,
        });
        const host = (await be.swapOut(pool, [1])) as WasmHostBlocks;
        const h = new Uint16Array(host.bytes.buffer, host.bytes.byteOffset, 2 * bs * kvDim);
        for (let i = 0; i < bs * kvDim; i++) {
          const x = vals[i]!;
          assert.equal(h[i], f32ToF16(x), `K ${x}: ${h[i]!.toString(16)}`);
          assert.equal(
            h[bs * kvDim + i],
            f32ToF16(-x),
            `V ${-x}: ${h[bs * kvDim + i]!.toString(16)}`,
          );
        }
      } finally {
        be.dispose();
      }
    });
  }
});
