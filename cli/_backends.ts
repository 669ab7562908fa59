import { type Backend, InvalidParameterError } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { WebGpuBackend } from "@loom/webgpu";

/** Backends the CLI can create. */
export const BACKEND_NAMES = ["reference", "webgpu", "auto"] as const;

/** Creates a backend by name (`auto`: WebGPU when an adapter exists, else reference). */
export async function createBackend(name: string): Promise<Backend> {
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    case "webgpu":
      return await WebGpuBackend.create();
    case "auto":
      return "gpu" in navigator && (await navigator.gpu.requestAdapter()) !== null
        ? await WebGpuBackend.create()
        : new ReferenceBackend();
    default:
      throw new InvalidParameterError(
        "backend",
        `unknown backend ${name} (${BACKEND_NAMES.join(", ")})`,
      );
  }
}
