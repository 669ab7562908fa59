import { WebGpuBackend } from "@loom/webgpu";
import { runBackendConformance } from "../../tests/conformance/mod.ts";

// Fail loudly (never skip) when this machine has no WebGPU adapter.
if (!(await navigator.gpu?.requestAdapter())) {
  throw new Error("webgpu_test: no WebGPU adapter (navigator.gpu.requestAdapter() gave none)");
}

runBackendConformance("webgpu", () => WebGpuBackend.create());
