/**
 * Reading a JSON request body defensively: a size cap (413), strict UTF-8 (400), a nesting
 * cap checked before parsing (400), and an object at the top (400).
 *
 * @module
 */
import { HttpError } from "./http_errors.ts";

/** Options of {@linkcode readJsonBody}. */
export interface ReadBodyOptions {
  /** Largest body accepted, in bytes (default 4 MiB). */
  readonly maxBytes?: number;
  /** Deepest nesting of arrays and objects accepted (default 64). */
  readonly maxDepth?: number;
}

/** Default body size cap. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Reads a request's body as a JSON object, or throws an {@linkcode HttpError} (413 over the
 * size cap; 400 for invalid UTF-8, invalid JSON, nesting deeper than the cap, or a body that
 * is not an object).
 *
 * @example
 * ```ts
 * import { readJsonBody } from "@loom/core";
 * const req = new Request("http://x/", { method: "POST", body: '{"prompt":"hi"}' });
 * console.log(await readJsonBody(req)); // { prompt: "hi" }
 * try {
 *   await readJsonBody(new Request("http://x/", { method: "POST", body: "[[[1]]]" }), { maxDepth: 2 });
 * } catch (e) {
 *   console.log((e as { status: number }).status); // 400
 * }
 * ```
 */
export async function readJsonBody(
  request: Request,
  options: ReadBodyOptions = {},
): Promise<Record<string, unknown>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bytes = await readBytes(request, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "request body is not valid UTF-8", { code: "invalid_encoding" });
  }
  checkDepth(text, options.maxDepth ?? 64);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new HttpError(400, `request body is not valid JSON: ${why}`, { code: "invalid_json" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "request body must be a JSON object", { code: "invalid_json" });
  }
  return value as Record<string, unknown>;
}

async function readBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new HttpError(413, `request body exceeds ${maxBytes} bytes`, { code: "request_too_large" });
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge();
  if (!request.body) throw new HttpError(400, "request body is empty", { code: "invalid_json" });
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Rejects JSON text nested deeper than `maxDepth` (brackets outside strings), in one pass. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        throw new HttpError(400, `request body is nested deeper than ${maxDepth} levels`, {
          code: "invalid_json",
        });
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
