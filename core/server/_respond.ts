/**
 * The part both generation endpoints share: start the engine requests (linked to the
 * client's connection), then either collect whole choices or stream chunks as SSE, feeding
 * the latency histograms and keeping the in-flight count for draining.
 *
 * @module
 */
import type { Engine } from "../engine/engine.ts";
import type { Usage } from "../engine/request_state.ts";
import { AbortedError } from "../errors.ts";
import { type IndexedDelta, startGenerations } from "./_generate_many.ts";
import { HttpError, toHttpError } from "./http_errors.ts";
import { ChoiceCollector, type OpenAiUsage, toOpenAiUsage } from "./openai_response.ts";
import type { ServerMetrics } from "./prometheus.ts";
import type { GenerationRequest } from "./request_params.ts";
import { SSE_HEADERS, sseStream } from "./sse.ts";

/** What routes need from the handler. */
export interface RouteContext {
  readonly engine: Engine;
  readonly modelName: string;
  readonly metrics: ServerMetrics;
  /** Marks a stream as in flight; call the result when it ends. */
  beginStream(): () => void;
}

/** How one endpoint shapes its output. */
export interface Shaper {
  /** Events sent before any delta (roles, echoed prompts). */
  start(): unknown[];
  /** Events for one delta (none when there is nothing to say). */
  chunks(d: IndexedDelta): unknown[];
  /** The last event when usage is asked for. */
  usageChunk(usage: OpenAiUsage): unknown;
  /** The whole non-streaming body. */
  whole(c: ChoiceCollector, usage: OpenAiUsage): unknown;
}

/** Throws 404 unless the request names the served model (or none). */
export function checkModel(model: string | undefined, served: string): void {
  if (model !== undefined && model !== served) {
    throw new HttpError(404, `model ${JSON.stringify(model)} not found (serving ${served})`, {
      param: "model",
      code: "model_not_found",
    });
  }
}

/** Runs a validated generation request and answers it. */
export async function respond(
  request: Request,
  ctx: RouteContext,
  prompts: readonly (string | readonly number[])[],
  parsed: GenerationRequest,
  promptParam: string,
  shaper: Shaper,
): Promise<Response> {
  const abort = new AbortController();
  // A whole answer watches the connection; a stream learns of a gone client from its body
  // being cancelled (touching request.signal while streaming makes Deno.serve warn).
  const onGone = () => abort.abort();
  if (!parsed.stream) request.signal.addEventListener("abort", onGone, { once: true });
  const unlink = () => {
    if (!parsed.stream) request.signal.removeEventListener("abort", onGone);
  };
  let gens;
  try {
    gens = await startGenerations(ctx.engine, prompts, parsed.options, abort);
  } catch (e) {
    unlink();
    throw toHttpError(e, promptParam);
  }
  const usages: Usage[] = [];
  const observe = (d: IndexedDelta) => {
    if (d.delta.timings) ctx.metrics.observe(d.delta.timings);
    if (d.delta.usage) usages.push(d.delta.usage);
  };
  if (!parsed.stream) {
    const c = new ChoiceCollector(prompts.length * (parsed.options.n ?? 1));
    try {
      for await (const d of gens.deltas) {
        observe(d);
        c.add(d.index, d.delta);
      }
    } catch (e) {
      if (e instanceof AbortedError) ctx.metrics.numClientAborts++;
      throw toHttpError(e, promptParam);
    } finally {
      unlink();
    }
    return Response.json(shaper.whole(c, toOpenAiUsage(usages)));
  }
  const end = ctx.beginStream();
  async function* events(): AsyncGenerator<unknown> {
    yield* shaper.start();
    for await (const d of gens!.deltas) {
      observe(d);
      yield* shaper.chunks(d);
    }
    if (parsed.includeUsage) yield shaper.usageChunk(toOpenAiUsage(usages));
  }
  const body = sseStream(events(), {
    onCancel: () => {
      ctx.metrics.numClientAborts++;
      abort.abort();
    },
    onError: (e) => {
      if (!(e instanceof AbortedError)) return toHttpError(e, promptParam).body();
      ctx.metrics.numClientAborts++;
      return undefined;
    },
    onClose: end,
  });
  return new Response(body, { headers: SSE_HEADERS });
}
