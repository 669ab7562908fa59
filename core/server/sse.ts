/**
 * Server-sent events as OpenAI streams them: `data: <json>\n\n` per event, then
 * `data: [DONE]\n\n`. The stream pulls events only as fast as the client reads, and a client
 * that goes away cancels the source (so its request is aborted and its KV blocks freed).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Headers of an SSE response. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/**
 * One event's bytes: `data: <JSON>\n\n` (or the text as is when given a string).
 *
 * @example
 * ```ts
 * import { encodeSseEvent } from "@loom/core";
 * console.log(JSON.stringify(new TextDecoder().decode(encodeSseEvent({ a: 1 }))));
 * // "data: {\"a\":1}\n\n"
 * ```
 */
export function encodeSseEvent(data: unknown): Uint8Array {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return encoder.encode(`data: ${text}\n\n`);
}

/** Options of {@linkcode sseStream}. */
export interface SseStreamOptions {
  /** Called once when the client goes away before the end (abort the work here). */
  readonly onCancel?: () => void;
  /** Turns an error thrown by the source into a last event (default: no event). */
  readonly onError?: (e: unknown) => unknown;
  /** Called once when the stream ends, however it ends. */
  readonly onClose?: () => void;
}

/**
 * A byte stream of SSE events from an async iterable of JSON-able values, ending with
 * `data: [DONE]`.
 *
 * @example
 * ```ts
 * import { sseStream } from "@loom/core";
 * async function* events() {
 *   yield { n: 1 };
 *   yield { n: 2 };
 * }
 * const text = await new Response(sseStream(events())).text();
 * console.log(JSON.stringify(text));
 * // "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n"
 * ```
 */
export function sseStream(
  events: AsyncIterable<unknown>,
  options: SseStreamOptions = {},
): ReadableStream<Uint8Array> {
  const it = events[Symbol.asyncIterator]();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose?.();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await it.next();
        if (r.done) {
          controller.enqueue(encodeSseEvent("[DONE]"));
          controller.close();
          close();
        } else controller.enqueue(encodeSseEvent(r.value));
      } catch (e) {
        if (closed) return;
        const last = options.onError?.(e);
        if (last !== undefined) controller.enqueue(encodeSseEvent(last));
        controller.close();
        close();
      }
    },
    cancel() {
      if (!closed) options.onCancel?.();
      close();
      it.return?.().catch(() => {});
    },
  }, { highWaterMark: 0 });
}
