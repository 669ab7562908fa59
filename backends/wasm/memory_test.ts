import { WasmBackend, WasmMemoryError } from "@loom/wasm";

Deno.test("wasm: a KV pool beyond 4 GiB throws WasmMemoryError, and the backend still works", async () => {
  const be = await WasmBackend.create({ numThreads: 1 });
  try {
    let error: unknown;
    try {
      // 2 · 32 layers · 4096 blocks · 16 · 8 · 128 · 4 bytes = 16 GiB
      be.createKvPool({
        numLayers: 32,
        numBlocks: 4096,
        blockSize: 16,
        numKvHeads: 8,
        headDim: 128,
        dtype: "f32",
      });
    } catch (e) {
      error = e;
    }
    if (!(error instanceof WasmMemoryError) || error.requestedBytes !== 2 ** 34) {
      throw new Error(`expected WasmMemoryError for 16 GiB, got ${error}`);
    }
    const x = be.alloc(1, 4);
    be.write(x, Float32Array.of(1, 2, 3, 4));
    be.ops.add(x, x, x, 1);
    const y = await be.read(x, 1);
    if (y.join() !== "2,4,6,8") throw new Error(`backend broken after the error: ${y}`);
  } finally {
    be.dispose();
  }
});
