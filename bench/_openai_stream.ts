/**
 * One streamed request to an OpenAI-compatible endpoint, timed as vLLM's serving benchmark
 * times it: TTFT at the first chunk carrying text, an inter-token latency for every later
 * one, E2E at the end of the stream; token counts from the final `usage` chunk
 * (`stream_options.include_usage`), else the number of text chunks.
 *
 * @module
 */
import type { RequestRecord } from "./_stats.ts";

/** Where and how to send. */
export interface EndpointOptions {
  /** Base URL, e.g. `http://127.0.0.1:8000` (with or without `/v1`). */
  readonly baseUrl: string;
  /** `completions` (default) or `chat`. */
  readonly api: "completions" | "chat";
  /** `model` field (omitted when undefined). */
  readonly model?: string | undefined;
  /** Fields merged into every body (sampling, `logit_bias`, `ignore_eos`, ...). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly apiKey?: string | undefined;
}

/**
 * The URL of the endpoint's API route.
 *
 * @example
 * ```ts
 * import { endpointUrl } from "./_openai_stream.ts";
 * console.log(endpointUrl("http://h:1/v1/", "chat")); // "http://h:1/v1/chat/completions"
 * ```
 */
export function endpointUrl(baseUrl: string, api: "completions" | "chat"): string {
  const base = baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
  return `${base}/v1/${api === "chat" ? "chat/completions" : "completions"}`;
}

/** Text of a streamed chunk (completions `text` or chat `delta.content`). */
function chunkText(chunk: Record<string, unknown>): string {
  const c = (chunk["choices"] as Record<string, unknown>[] | undefined)?.[0];
  if (!c) return "";
  if (typeof c["text"] === "string") return c["text"];
  const delta = c["delta"] as Record<string, unknown> | undefined;
  return typeof delta?.["content"] === "string" ? delta["content"] : "";
}

/**
 * Sends one streamed request and times it. Never throws: failures come back as records
 * with `success: false` and the error.
 *
 * @example
 * ```ts ignore
 * import { streamRequest } from "./_openai_stream.ts";
 * const r = await streamRequest({ baseUrl: "http://127.0.0.1:8000", api: "completions" },
 *   "Once upon a time", 16);
 * console.log(r.ttftMs, r.outputTokens);
 * ```
 */
export async function streamRequest(
  o: EndpointOptions,
  prompt: string,
  maxTokens: number,
  promptTokens = 0,
): Promise<RequestRecord> {
  const body = {
    ...(o.model !== undefined ? { model: o.model } : {}),
    ...(o.api === "chat" ? { messages: [{ role: "user", content: prompt }] } : { prompt }),
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    ...o.extraBody,
  };
  const t0 = performance.now();
  let ttftMs = 0, last = t0, end = t0, numChunks = 0, usage: Record<string, number> | undefined;
  const itlMs: number[] = [];
  const fail = (error: string): RequestRecord => ({
    success: false,
    promptTokens,
    outputTokens: numChunks,
    ttftMs,
    itlMs,
    e2eMs: performance.now() - t0,
    error,
  });
  try {
    const res = await fetch(endpointUrl(o.baseUrl, o.api), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!res.ok || !res.body) {
      return fail(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    }
    let buffer = "", done = false;
    for await (const text of res.body.pipeThrough(new TextDecoderStream())) {
      buffer += text;
      let cut: number;
      while ((cut = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, cut).trim();
        buffer = buffer.slice(cut + 1);
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as Record<string, unknown>;
        if (chunk["error"]) return fail(JSON.stringify(chunk["error"]).slice(0, 200));
        if (chunk["usage"]) usage = chunk["usage"] as Record<string, number>;
        if (chunkText(chunk) === "") continue;
        const now = performance.now();
        if (numChunks++ === 0) ttftMs = now - t0;
        else itlMs.push(now - last);
        last = now;
      }
    }
    if (!done) return fail("stream ended without [DONE]");
    end = performance.now();
  } catch (e) {
    return fail(String(e));
  }
  return {
    success: numChunks > 0,
    promptTokens: usage?.["prompt_tokens"] ?? promptTokens,
    outputTokens: usage?.["completion_tokens"] ?? numChunks,
    ttftMs,
    itlMs,
    e2eMs: end - t0,
    ...(numChunks > 0 ? {} : { error: "no text" }),
  };
}
