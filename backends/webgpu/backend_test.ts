/**
 * WebGPU-specific checks the shared conformance suite does not make: weights split into row
 * chunks and activations bound in windows (binding limits), the GPU kernel sizes on long rows,
 * one submit per step with cached bind groups, and typed errors.
 */
import assert from "node:assert/strict";
import { BackendError, buildSingleSequenceBatch, type DType } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { DEFAULT_KERNEL_SIZES, WebGpuBackend, WEIGHT_DTYPES } from "@loom/webgpu";
import {
  assertClose,
  loadBoth,
  makeBatch,
  randomWeightBytes,
  Rng,
  tensorInfo,
} from "../../tests/conformance/_helpers.ts";
import { loadFixtureModel } from "../../tests/_llama_cpp_reference.ts";

if (!(await navigator.gpu?.requestAdapter())) {
  throw new Error("backend_test: no WebGPU adapter (navigator.gpu.requestAdapter() gave none)");
}

// every weight dtype the backend reads (BF16 is the F16 kernel's override, checked by the
// conformance suite)
const DTYPES: DType[] = WEIGHT_DTYPES.filter((d) => d !== "bf16");
const TOL = { atol: 1e-5, rtol: 3e-5 };

/** matmul (with bias) and embed of an `[n, k]` weight in every dtype, against the reference. */
async function checkWeights(
  be: WebGpuBackend,
  n: number,
  k: number,
  rowCounts: readonly number[],
  withEmbed = true,
) {
  const rows = Math.max(...rowCounts);
  const ref = new ReferenceBackend(), rng = new Rng(7);
  for (const dtype of DTYPES) {
    const [wr, wb] = await loadBoth(
      ref,
      be,
      tensorInfo("w", dtype, [n, k]),
      randomWeightBytes(dtype, n * k, rng),
    );
    const bias = new Uint8Array(rng.normals(n).buffer);
    const [br, bb] = await loadBoth(ref, be, tensorInfo("b", "f32", [n]), bias);
    const xr = ref.alloc(rows, k), xb = be.alloc(rows, k);
    const or = ref.alloc(rows, n), ob = be.alloc(rows, n);
    const x = rng.normals(rows * k);
    ref.write(xr, x), be.write(xb, x);
    for (const numRows of rowCounts) {
      ref.ops.matmul(or, xr, wr, numRows, br);
      be.ops.matmul(ob, xb, wb, numRows, bb);
      const what = `matmul ${dtype} [${n}, ${k}] × ${numRows}`;
      assertClose(await be.read(ob, numRows), await ref.read(or, numRows), TOL, what);
    }
    if (!withEmbed) continue;
    const tokens = [n - 1, 0, Math.floor(n / 2), n - 2];
    const batch = makeBatch([{ tokens, numCached: 0, blocks: [0] }], 16);
    const eb = be.alloc(tokens.length, k), er = ref.alloc(tokens.length, k);
    ref.ops.embed(ref.beginStep(batch), er, wr);
    be.ops.embed(be.beginStep(batch), eb, wb);
    assertClose(await be.read(eb, 4), await ref.read(er, 4), TOL, `embed ${dtype} [${n}, ${k}]`);
  }
}

Deno.test("webgpu: weights split into row chunks, activations bound in windows", async () => {
  // 4 KiB bindings: every weight spans several chunks, x and out several windows
  const be = await WebGpuBackend.create({ maxBindingBytes: 4096 });
  try {
    await checkWeights(be, 70, 256, [1, 20]);
  } finally {
    be.dispose();
  }
});

Deno.test("webgpu: GPU kernel sizes on long rows (several blocks per thread)", async () => {
  const be = await WebGpuBackend.create({ kernelSizes: DEFAULT_KERNEL_SIZES });
  try {
    // decode (1 row) and tiled rows; no embed (each pipeline costs llvmpipe about a second to
    // compile on a cold shader cache)
    await checkWeights(be, 9, 4096, [1, 3], false);
  } finally {
    be.dispose();
  }
});

Deno.test("webgpu: a step is one submit; bind groups are created once", async () => {
  const be = await WebGpuBackend.create();
  try {
    const model = await loadFixtureModel(be, "llama-2-tiny-random.gguf", 64);
    const pool = model.createKvPool({ numBlocks: 4, blockSize: 16 });
    const run = (ids: number[]) => model.forward(buildSingleSequenceBatch(ids, [0, 1], 16), pool);
    await run([1, 15043, 3186]);
    const first = be.stats;
    const logits = await run([1, 15043, 3186, 29871, 13]);
    const second = be.stats;
    assert.equal(second.numSubmits - first.numSubmits, 1);
    assert.equal(second.numBindGroups, first.numBindGroups);
    assert.ok(second.numDispatches > first.numDispatches);
    assert.equal(logits.length, model.config.vocabSize);
  } finally {
    be.dispose();
  }
});

Deno.test("webgpu: failures are BackendErrors", async () => {
  const be = await WebGpuBackend.create();
  assert.throws(() => be.alloc(1 << 20, 1 << 20), BackendError);
  assert.throws(
    () =>
      be.createKvPool({
        numLayers: 1,
        numBlocks: 1 << 20,
        blockSize: 16,
        numKvHeads: 8,
        headDim: 128,
        dtype: "f32",
      }),
    BackendError,
  );
  const x = be.alloc(1, 4);
  be.device.destroy(); // as if the device were lost
  await be.device.lost;
  await assert.rejects(() => be.read(x, 1), BackendError);
  assert.throws(() => be.beginStep(buildSingleSequenceBatch([1], [0], 16)), BackendError);
  be.dispose();
});
