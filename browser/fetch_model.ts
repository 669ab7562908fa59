/**
 * Loading a GGUF model from a URL: what a page or a Web Worker does instead of
 * `Model.load(path)`. Works the same in Deno (any `fetch`-able URL).
 *
 * @module
 */
import { InvalidParameterError, LoomError } from "../core/errors.ts";
import { GgufBuffer } from "../core/model/gguf.ts";
import type { Backend } from "../core/backend.ts";
import { Model } from "../core/model/model.ts";
import type { TransformerOptions } from "../core/model/transformer.ts";

/** Progress of a model download. */
export interface FetchProgress {
  /** Bytes received so far. */
  readonly receivedBytes: number;
  /** The file's size when the server said (`content-length`), else `undefined`. */
  readonly totalBytes: number | undefined;
}

/** Options of {@linkcode fetchModelBytes}. */
export interface FetchModelOptions {
  /** Cancels the download. */
  readonly signal?: AbortSignal;
  /** Called as bytes arrive. */
  readonly onProgress?: (progress: FetchProgress) => void;
  /** `fetch` to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/**
 * Downloads a file into one `Uint8Array`, reporting progress. Throws {@linkcode LoomError}
 * with code `model_fetch` on an HTTP error status.
 *
 * @example
 * ```ts
 * import { fetchModelBytes } from "./fetch_model.ts";
 * const url = URL.createObjectURL(new Blob([new Uint8Array([1, 2, 3])]));
 * const seen: number[] = [];
 * const bytes = await fetchModelBytes(url, { onProgress: (p) => seen.push(p.receivedBytes) });
 * console.log(bytes, seen.at(-1)); // Uint8Array(3) [ 1, 2, 3 ] 3
 * URL.revokeObjectURL(url);
 * ```
 */
export async function fetchModelBytes(
  url: string | URL,
  options: FetchModelOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const init: RequestInit = options.signal ? { signal: options.signal } : {};
  const res = await (options.fetch ?? fetch)(url, init);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new LoomError(`GET ${url}: HTTP ${res.status} ${res.statusText}`, "model_fetch");
  }
  const header = res.headers.get("content-length");
  const totalBytes = header === null ? undefined : Number(header);
  const chunks: Uint8Array[] = [];
  let receivedBytes = 0;
  for await (const chunk of res.body) {
    chunks.push(chunk);
    receivedBytes += chunk.length;
    options.onProgress?.({ receivedBytes, totalBytes });
  }
  // one buffer of the final size: a model is too large to grow by doubling
  const out = new Uint8Array(receivedBytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Options of {@linkcode loadModelFromUrl}. */
export interface LoadModelFromUrlOptions extends TransformerOptions, FetchModelOptions {
  /** The backend to put the weights on. */
  readonly backend: Backend;
}

/**
 * Downloads a GGUF file and loads it onto a backend. Throws {@linkcode InvalidParameterError}
 * when the bytes are not GGUF (e.g. a server's HTML error page).
 *
 * @example
 * ```ts
 * import { loadModelFromUrl } from "./fetch_model.ts";
 * import { writeTestModelGguf } from "../core/model/test_model.ts";
 * import { ReferenceBackend } from "../backends/reference/mod.ts";
 * const url = URL.createObjectURL(new Blob([new Uint8Array(writeTestModelGguf())]));
 * const model = await loadModelFromUrl(url, { backend: new ReferenceBackend() });
 * console.log(model.config.architecture); // "llama"
 * URL.revokeObjectURL(url);
 * ```
 */
export async function loadModelFromUrl(
  url: string | URL,
  options: LoadModelFromUrlOptions,
): Promise<Model> {
  const { signal, onProgress, fetch: fetchFn, ...load } = options;
  const bytes = await fetchModelBytes(url, {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== "GGUF") {
    throw new InvalidParameterError("url", `${url} is not a GGUF file (starts with "${magic}")`);
  }
  return await Model.fromGguf(new GgufBuffer(bytes), load);
}
