import { WasmBackend } from "@loom/wasm";
import { runBackendConformance } from "../../tests/conformance/mod.ts";

runBackendConformance("wasm", () => WasmBackend.create({ numThreads: 1 }));
runBackendConformance(
  "wasm, 3 threads splitting every op",
  () => WasmBackend.create({ numThreads: 3, minParallelWork: 0 }),
  { skipModels: true },
);
runBackendConformance(
  "wasm, plain SIMD build",
  () => WasmBackend.create({ numThreads: 1, simd: "simd" }),
  { skipModels: true },
);
// int8 activations (llama.cpp's numerics for Q4_0 / Q8_0): each x block is rounded to
// 127 steps, so matmuls of those dtypes agree with the f32 reference to about 1% and logits
// to about 0.1; the llama.cpp check then holds top-1 at confident steps, and top-5 logits
// within 0.75 of F32 math (llama.cpp's own default numerics are up to 0.75 away).
runBackendConformance(
  "wasm, q8 activations, 2 threads",
  () => WasmBackend.create({ numThreads: 2, activations: "q8", minParallelWork: 0 }),
  {
    tolerance: { matmul: { atol: 1e-3, rtol: 2e-2 } },
    models: { tolerance: { atol: 0.1, rtol: 0.06 }, llamaCppTolerance: 0.75 },
  },
);
runBackendConformance(
  "wasm, plain SIMD build, q8 activations",
  () => WasmBackend.create({ numThreads: 1, simd: "simd", activations: "q8" }),
  { tolerance: { matmul: { atol: 1e-3, rtol: 2e-2 } }, skipModels: true },
);
