/**
 * What the browser bundle puts in place of core's Deno-only modules (the Hugging Face hub,
 * GGUF splits, safetensors folders, model folders on disk): the names `core/model/model.ts`
 * imports from them, each throwing a {@linkcode LoomError} that says what to do instead.
 * `scripts/build_browser.ts` substitutes this module; Deno code never imports it.
 *
 * @module
 */
import { LoomError } from "../core/errors.ts";

/** The error every substitute throws. */
export class BrowserUnsupportedError extends LoomError {
  /**
   * Creates an instance.
   *
   * @param what The Deno-only feature that was called.
   */
  constructor(what: string) {
    super(
      `${what} reads files, which a browser cannot; fetch the GGUF bytes and use ` +
        "Model.fromGguf(new GgufBuffer(bytes), { backend }) or loadModelFromUrl(url, { backend })",
      "browser_unsupported",
    );
  }
}

/**
 * Substitute of `openModel` (what `Model.load` starts with).
 *
 * @example
 * ```ts
 * import { openModel } from "./_deno_only.ts";
 * await openModel("m.gguf").catch((e) => console.log(e.code)); // "browser_unsupported"
 * ```
 */
export function openModel(_spec: string, _hub?: unknown): Promise<never> {
  return Promise.reject(new BrowserUnsupportedError("Model.load"));
}

/**
 * Substitute of the hub's `resolveModel`.
 *
 * @example
 * ```ts
 * import { resolveModel } from "./_deno_only.ts";
 * await resolveModel("hf:org/repo").catch((e) => console.log(e.code)); // "browser_unsupported"
 * ```
 */
export function resolveModel(_spec: string, _options?: unknown): Promise<string> {
  return Promise.reject(new BrowserUnsupportedError("Model.load"));
}

/**
 * Substitute of `readJsonFile`.
 *
 * @example
 * ```ts
 * import { readJsonFile } from "./_deno_only.ts";
 * await readJsonFile("a.json").catch((e) => console.log(e.code)); // "browser_unsupported"
 * ```
 */
export function readJsonFile(_path: string): Promise<unknown> {
  return Promise.reject(new BrowserUnsupportedError("readJsonFile"));
}

/**
 * Substitute of `hfChatTemplate`.
 *
 * @example
 * ```ts
 * import { hfChatTemplate } from "./_deno_only.ts";
 * await hfChatTemplate("dir", {}).catch((e) => console.log(e.code)); // "browser_unsupported"
 * ```
 */
export function hfChatTemplate(_dir: string, _config: unknown): Promise<never> {
  return Promise.reject(new BrowserUnsupportedError("hfChatTemplate"));
}

/**
 * Substitute of `GgufSplit` (GGUF files on disk).
 *
 * @example
 * ```ts
 * import { GgufSplit } from "./_deno_only.ts";
 * await GgufSplit.open("m.gguf").catch((e) => console.log(e.code)); // "browser_unsupported"
 * ```
 */
export class GgufSplit {
  private constructor() {}
  /** Always rejects. */
  static open(_path: string): Promise<never> {
    return Promise.reject(new BrowserUnsupportedError("GgufSplit.open"));
  }
}

/**
 * Substitute of `SafetensorsWeights` (safetensors files on disk).
 *
 * @example
 * ```ts
 * import { SafetensorsWeights } from "./_deno_only.ts";
 * await SafetensorsWeights.open("dir").catch((e) => console.log(e.code)); // "browser_unsupported"
 * ```
 */
export class SafetensorsWeights {
  private constructor() {}
  /** Always rejects. */
  static open(_path: string, _options?: unknown): Promise<never> {
    return Promise.reject(new BrowserUnsupportedError("SafetensorsWeights.open"));
  }
}
