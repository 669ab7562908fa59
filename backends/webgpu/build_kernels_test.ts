import assert from "node:assert/strict";
import { GENERATED_FILE, generateKernelsModule } from "./build_kernels.ts";

Deno.test("_kernels.generated.ts is up to date with kernels/*.wgsl", async () => {
  const current = await Deno.readTextFile(GENERATED_FILE);
  assert.ok(
    current === await generateKernelsModule(),
    "stale: run `deno task build:kernels` and commit backends/webgpu/_kernels.generated.ts",
  );
});
