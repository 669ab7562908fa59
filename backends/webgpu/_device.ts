/**
 * Acquires a WebGPU device with the limits the backend needs, turning every failure into a
 * {@linkcode BackendError}.
 *
 * @module
 */
import { BackendError } from "@loom/core";

/** How to get a device. */
export interface WebGpuDeviceOptions {
  /** Use this device (the backend then never destroys it). */
  readonly device?: GPUDevice;
  /** Use this adapter instead of requesting one. */
  readonly adapter?: GPUAdapter;
  /** Adapter preference when requesting one. */
  readonly powerPreference?: GPUPowerPreference;
}

/** A device ready for the backend. */
export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** True when the backend requested the device (and so destroys it on dispose). */
  readonly ownsDevice: boolean;
  readonly hasShaderF16: boolean;
  /** The adapter's description, when known. */
  readonly description: string;
  /** A software adapter (llvmpipe, SwiftShader, WARP): a CPU running the shaders. */
  readonly isSoftware: boolean;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|warp|software/i;

/** Storage buffers the attention kernel binds (the most of any kernel). */
const MAX_STORAGE_BUFFERS = 8;

/**
 * Requests an adapter and a device with the adapter's largest buffer and binding sizes, and
 * `shader-f16` when the adapter has it.
 *
 * @example
 * ```ts
 * import { requestDevice } from "./_device.ts";
 * const { device, description } = await requestDevice();
 * console.log(description.length > 0, device.limits.maxStorageBufferBindingSize > 0); // true true
 * device.destroy();
 * ```
 */
export async function requestDevice(options: WebGpuDeviceOptions = {}): Promise<AcquiredDevice> {
  if (options.device) {
    const d = options.device;
    return {
      device: d,
      ownsDevice: false,
      hasShaderF16: d.features.has("shader-f16"),
      description: d.adapterInfo?.description ?? "",
      isSoftware: SOFTWARE.test(d.adapterInfo?.description ?? ""),
    };
  }
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new BackendError("WebGPU is not available (navigator.gpu is missing)", "webgpu");
  let adapter = options.adapter ?? null;
  if (!adapter) {
    const request: GPURequestAdapterOptions = {};
    if (options.powerPreference) request.powerPreference = options.powerPreference;
    adapter = await gpu.requestAdapter(request);
  }
  if (!adapter) throw new BackendError("no WebGPU adapter found", "webgpu");
  const limits = adapter.limits;
  if (limits.maxStorageBuffersPerShaderStage < MAX_STORAGE_BUFFERS) {
    throw new BackendError(
      `the adapter allows ${limits.maxStorageBuffersPerShaderStage} storage buffers per ` +
        `stage; Loom needs ${MAX_STORAGE_BUFFERS}`,
      "webgpu",
    );
  }
  const hasShaderF16 = adapter.features.has("shader-f16");
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: "loom",
      requiredFeatures: hasShaderF16 ? ["shader-f16"] : [],
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: MAX_STORAGE_BUFFERS,
      },
    });
  } catch (e) {
    throw new BackendError(`requesting a device failed: ${(e as Error).message}`, "webgpu");
  }
  const info = adapter.info;
  const description = info?.description || [info?.vendor, info?.device].filter(Boolean).join(" ");
  const isSoftware = (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ===
      true || SOFTWARE.test(description);
  return { device, ownsDevice: true, hasShaderF16, description, isSoftware };
}
