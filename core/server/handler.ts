/**
 * The OpenAI-compatible request handler: `(Request) => Promise<Response>` for `Deno.serve`
 * or any Fetch-API framework. Routes: `POST /v1/chat/completions`, `POST /v1/completions`,
 * `GET /v1/models`, `GET /health`, `GET /metrics`.
 *
 * @module
 */
import type { Engine } from "../engine/engine.ts";
import type { ChatTemplate } from "../tokenizer/chat_template.ts";
import { chatRoute } from "./_chat_route.ts";
import { completionsRoute } from "./_completions_route.ts";
import { DrainTracker } from "./_drain.ts";
import { corsHeaders, keyMatches, preflight } from "./_http.ts";
import type { RouteContext } from "./_respond.ts";
import { HttpError, toHttpError } from "./http_errors.ts";
import { PROMETHEUS_CONTENT_TYPE, prometheusText, ServerMetrics } from "./prometheus.ts";
import { readJsonBody } from "./read_body.ts";

/** Options of {@linkcode createHandler}. */
export interface HandlerOptions {
  /** The model id clients send and `/v1/models` lists (default: the model's name). */
  readonly modelName?: string;
  /** When set, `/v1/*` requests need `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Origins allowed to call from browsers (`"*"` allows any); default none. */
  readonly corsOrigins?: readonly string[];
  /** Largest request body in bytes (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /** Deepest JSON nesting accepted (default 64). */
  readonly maxJsonDepth?: number;
  /** The chat template (default: the model's own). */
  readonly chatTemplate?: ChatTemplate;
  /** Called with errors that became 500 responses (default `console.error`). */
  readonly onError?: (e: unknown) => void;
}

/** A request handler that can also drain. */
export interface LoomHandler {
  (request: Request): Promise<Response>;
  /** Refuses new requests with 503 and resolves once every in-flight request has ended. */
  drain(): Promise<void>;
  /** Whether {@linkcode LoomHandler.drain} was called. */
  readonly draining: boolean;
  /** Requests being answered or streamed now. */
  readonly numInFlight: number;
  /** The server's histograms and counters (also served at `/metrics`). */
  readonly metrics: ServerMetrics;
}

const ROUTES: Readonly<Record<string, string>> = {
  "/v1/chat/completions": "POST",
  "/v1/completions": "POST",
  "/v1/models": "GET",
  "/health": "GET",
  "/metrics": "GET",
};

/**
 * Creates the OpenAI-compatible handler over an engine.
 *
 * @example
 * ```ts
 * import { buildDemoModel, createHandler, Engine, PagedCacheManager } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * import { FcfsScheduler } from "@loom/schedulers";
 * const engine = new Engine({
 *   model: await buildDemoModel(new ReferenceBackend()),
 *   cache: new PagedCacheManager({ numBlocks: 64 }),
 *   scheduler: new FcfsScheduler(),
 * });
 * const handler = createHandler(engine);
 * const res = await handler(new Request("http://localhost/v1/completions", {
 *   method: "POST",
 *   body: JSON.stringify({ prompt: "Hello", max_tokens: 4, temperature: 0 }),
 * }));
 * const body = await res.json();
 * console.log(res.status, body.usage.completion_tokens); // 200 4
 * // Deno.serve({ hostname: "127.0.0.1", port: 8000 }, handler);
 * ```
 */
export function createHandler(engine: Engine, options: HandlerOptions = {}): LoomHandler {
  const modelName = options.modelName ?? engine.model.config.name ?? "loom";
  const template = options.chatTemplate ?? engine.model.chatTemplate;
  const metrics = new ServerMetrics();
  const drain = new DrainTracker();
  const created = Math.floor(Date.now() / 1000);
  const bodyOptions = {
    ...(options.maxBodyBytes !== undefined ? { maxBytes: options.maxBodyBytes } : {}),
    ...(options.maxJsonDepth !== undefined ? { maxDepth: options.maxJsonDepth } : {}),
  };
  const ctx: RouteContext = { engine, modelName, metrics, beginStream: () => drain.begin() };
  const modelCard = {
    id: modelName,
    object: "model",
    created,
    owned_by: "loom",
    max_model_len: engine.model.config.maxContextLength,
  };

  async function route(request: Request, url: URL): Promise<Response> {
    const method = ROUTES[url.pathname];
    const isModel = url.pathname.startsWith("/v1/models/");
    if (!method && !isModel) throw new HttpError(404, `no route ${url.pathname}`);
    if (request.method !== (method ?? "GET")) {
      throw new HttpError(405, `${request.method} not allowed on ${url.pathname}`, {
        headers: { allow: method ?? "GET" },
      });
    }
    if (url.pathname === "/metrics") {
      const text = prometheusText(engine.metrics(), metrics);
      return new Response(text, { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
    }
    if (drain.draining) {
      throw new HttpError(503, "server is shutting down", {
        code: "draining",
        headers: { "retry-after": "5" },
      });
    }
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    if (options.apiKey !== undefined && !keyMatches(request, options.apiKey)) {
      throw new HttpError(401, "missing or invalid API key", { code: "invalid_api_key" });
    }
    if (url.pathname === "/v1/models") return Response.json({ object: "list", data: [modelCard] });
    if (isModel) {
      const id = decodeURIComponent(url.pathname.slice("/v1/models/".length));
      if (id === modelName) return Response.json(modelCard);
      throw new HttpError(404, `model ${JSON.stringify(id)} not found`, {
        param: "model",
        code: "model_not_found",
      });
    }
    const body = await readJsonBody(request, bodyOptions);
    return url.pathname === "/v1/completions"
      ? await completionsRoute(request, body, ctx)
      : await chatRoute(request, body, ctx, template);
  }

  const handler = async (request: Request): Promise<Response> => {
    const cors = corsHeaders(request, options.corsOrigins ?? []);
    if (request.method === "OPTIONS") return preflight(cors);
    const end = drain.begin();
    let res: Response;
    try {
      res = await route(request, new URL(request.url));
    } catch (e) {
      const err = toHttpError(e);
      if (err.status >= 500 && err.status !== 503) (options.onError ?? console.error)(e);
      res = err.toResponse();
    } finally {
      end();
    }
    metrics.onResponse(res.status);
    for (const [k, v] of Object.entries(cors)) res.headers.set(k, v);
    return res;
  };
  return Object.defineProperties(handler, {
    drain: { value: () => drain.drain() },
    draining: { get: () => drain.draining },
    numInFlight: { get: () => drain.numInFlight },
    metrics: { value: metrics },
  }) as LoomHandler;
}
