/**
 * Errors in the OpenAI API's shape, `{ "error": { "message", "type", "param", "code" } }`,
 * and the mapping from Loom's typed errors to HTTP status codes.
 *
 * @module
 */
import {
  AbortedError,
  ContextLengthError,
  InvalidParameterError,
  LoomError,
  RequestRejectedError,
  TemplateError,
} from "../errors.ts";

/** The body of an OpenAI-style error response. */
export interface OpenAiErrorBody {
  /** What went wrong: message, type, parameter and code. */
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** Options of {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** OpenAI error type (default from the status: `invalid_request_error`, ...). */
  readonly type?: string;
  /** The request parameter at fault. */
  readonly param?: string;
  /** A stable machine-readable code, e.g. `"model_not_found"`. */
  readonly code?: string;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
}

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  503: "service_unavailable_error",
};

/**
 * An error that becomes an HTTP response with a given status.
 *
 * @example
 * ```ts
 * import { HttpError } from "@loom/core";
 * const e = new HttpError(404, "model gpt-9 not found", { param: "model", code: "model_not_found" });
 * const res = e.toResponse();
 * console.log(res.status, (await res.json()).error.param); // 404 "model"
 * ```
 */
export class HttpError extends LoomError {
  /** HTTP status. */
  readonly status: number;
  /** OpenAI error type. */
  readonly type: string;
  /** The request parameter at fault, when one is. */
  readonly param: string | undefined;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * Creates an instance.
   *
   * @param status HTTP status code.
   * @param message What is wrong, for the client.
   * @param options Type, param, code and headers.
   */
  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, options.code ?? `http_${status}`);
    this.status = status;
    this.type = options.type ?? TYPE_BY_STATUS[status] ?? "server_error";
    this.param = options.param;
    this.headers = options.headers ?? {};
  }

  /** The error's OpenAI-shaped body. */
  body(): OpenAiErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param ?? null, code: this.code },
    };
  }

  /** A JSON response carrying the error. */
  toResponse(headers: HeadersInit = {}): Response {
    const h = new Headers(headers);
    h.set("content-type", "application/json");
    for (const [k, v] of Object.entries(this.headers)) h.set(k, v);
    return new Response(JSON.stringify(this.body()), { status: this.status, headers: h });
  }
}

/** Maps a Loom parameter name (`topP`, `logitBias[5]`) to the OpenAI field (`top_p`, `logit_bias`). */
export function openAiParamName(param: string): string {
  if (param.startsWith("logitBias[")) return "logit_bias";
  return param.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/**
 * Turns any error into an {@linkcode HttpError}: invalid parameters, templates that raise and
 * prompts over the context give 400 with `param`, rejections 429 with `Retry-After`, aborts
 * 499 (the client closed the request), anything else 500.
 *
 * @example
 * ```ts
 * import { InvalidParameterError, RequestRejectedError, toHttpError } from "@loom/core";
 * console.log(toHttpError(new InvalidParameterError("topP", "must be <= 1")).param); // "top_p"
 * const r = toHttpError(new RequestRejectedError("queue full", 1500));
 * console.log(r.status, r.headers["retry-after"]); // 429 "2"
 * ```
 *
 * @param e The error.
 * @param promptParam The field holding the prompt (`prompt` or `messages`).
 */
export function toHttpError(e: unknown, promptParam = "prompt"): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof InvalidParameterError) {
    return new HttpError(400, e.message, { param: openAiParamName(e.param), code: e.code });
  }
  if (e instanceof ContextLengthError) {
    return new HttpError(400, e.message, { param: promptParam, code: "context_length_exceeded" });
  }
  if (e instanceof TemplateError) {
    return new HttpError(400, `chat template: ${e.message}`, {
      param: "messages",
      code: "template_error",
    });
  }
  if (e instanceof RequestRejectedError) {
    const seconds = Math.max(1, Math.ceil((e.retryAfterMs ?? 1000) / 1000));
    return new HttpError(429, e.message, {
      code: e.reason === "queue full" ? "queue_full" : "request_rejected",
      headers: { "retry-after": String(seconds) },
    });
  }
  if (e instanceof AbortedError) {
    // the client went away; nobody reads this answer (499 as nginx logs it)
    return new HttpError(499, e.message, { type: "client_closed_request", code: e.code });
  }
  if (e instanceof LoomError && e.code === "invalid_parameter") {
    return new HttpError(400, e.message, { param: promptParam, code: e.code });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new HttpError(500, `internal error: ${message}`, {
    type: "server_error",
    code: "internal",
  });
}
