/**
 * Compute pipelines built from the embedded WGSL kernels: one shader module per kernel file,
 * one explicit bind-group layout per binding signature (slot 0 is always the parameter block,
 * bound with a dynamic offset), one pipeline per (kernel, entry point, override constants).
 * Everything is created once, up front, with `createComputePipelineAsync`.
 *
 * @module
 */
import { BackendError } from "@loom/core";
import { type KernelName, KERNELS } from "./_kernels.generated.ts";
import { PARAMS_BYTES } from "./_recorder.ts";

/** How a kernel binds slots 1..n: read-only or writable storage. */
export type Access = "read" | "write";

/** What to build: a kernel file, its entry point, its bindings and override constants. */
export interface PipelineSpec {
  readonly kernel: KernelName;
  readonly entry: string;
  /** Access of bindings 1..n (binding 0 is the uniform parameter block). */
  readonly bindings: readonly Access[];
  readonly constants: Readonly<Record<string, number>>;
}

/** A built pipeline with its layout. */
export interface Pipeline {
  readonly spec: PipelineSpec;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** Identifies the layout in bind-group cache keys. */
  readonly layoutKey: string;
}

function specKey(s: PipelineSpec): string {
  const c = Object.entries(s.constants).sort(([a], [b]) => (a < b ? -1 : 1));
  return `${s.kernel}.${s.entry}(${c.map(([k, v]) => `${k}=${v}`).join(",")})`;
}

/** Builds and caches pipelines. */
export class Pipelines {
  readonly #device: GPUDevice;
  readonly #modules = new Map<KernelName, GPUShaderModule>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #pipelines = new Map<string, Pipeline>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Builds every spec not built yet (in parallel); throws a BackendError on failure. */
  async prepare(specs: readonly PipelineSpec[]): Promise<void> {
    const todo = new Map<string, PipelineSpec>();
    for (const s of specs) {
      const key = specKey(s);
      if (!this.#pipelines.has(key)) todo.set(key, s);
    }
    if (todo.size === 0) return;
    this.#device.pushErrorScope("validation");
    const built = await Promise.allSettled(
      [...todo].map(async ([key, spec]) => {
        const layoutKey = spec.bindings.join(",");
        const layout = this.#layout(layoutKey, spec.bindings);
        const pipeline = await this.#device.createComputePipelineAsync({
          label: key,
          layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: {
            module: this.#module(spec.kernel),
            entryPoint: spec.entry,
            constants: spec.constants,
          },
        });
        this.#pipelines.set(key, { spec, pipeline, layout, layoutKey });
      }),
    );
    const error = await this.#device.popErrorScope();
    const failed = built.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed || error) {
      const why = error?.message ?? (failed?.reason as Error | undefined)?.message ?? "";
      throw new BackendError(`building compute pipelines failed: ${why}`, "webgpu");
    }
  }

  /** A pipeline built by {@linkcode Pipelines.prepare}. */
  get(spec: PipelineSpec): Pipeline {
    const p = this.#pipelines.get(specKey(spec));
    if (!p) throw new BackendError(`pipeline ${specKey(spec)} was not prepared`, "webgpu");
    return p;
  }

  #module(kernel: KernelName): GPUShaderModule {
    let m = this.#modules.get(kernel);
    if (!m) {
      m = this.#device.createShaderModule({ label: `${kernel}.wgsl`, code: KERNELS[kernel] });
      this.#modules.set(kernel, m);
    }
    return m;
  }

  #layout(key: string, bindings: readonly Access[]): GPUBindGroupLayout {
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{
        binding: 0,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: PARAMS_BYTES },
      }];
      bindings.forEach((a, i) => {
        entries.push({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: a === "read" ? "read-only-storage" : "storage" },
        });
      });
      layout = this.#device.createBindGroupLayout({ label: key, entries });
      this.#layouts.set(key, layout);
    }
    return layout;
  }
}
