/**
 * A server of your own from Loom's pieces: the OpenAI routes from `createHandler`, plus one
 * route of ours, `POST /story` (`{"topic": "..."}` → the story streamed as SSE events).
 * `deno run -A examples/custom_server.ts [--port 8000]` (0 picks a free port), then:
 * `curl -N localhost:8000/story -d '{"topic":"a loom"}'`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  buildDemoModel,
  createHandler,
  Engine,
  HttpError,
  PagedCacheManager,
  readJsonBody,
  SSE_HEADERS,
  sseStream,
  toHttpError,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string" } } });
const engine = new Engine({
  model: await buildDemoModel(new ReferenceBackend()),
  cache: new PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
  scheduler: new FcfsScheduler(),
});
const openai = createHandler(engine); // /v1/chat/completions, /v1/completions, /metrics, ...

async function story(request: Request): Promise<Response> {
  const { topic, max_tokens = 32, temperature = 0.8 } = await readJsonBody(request);
  if (typeof topic !== "string") throw new HttpError(400, "topic must be a string");
  const abort = new AbortController();
  const deltas = engine.generate(`A story about ${topic}:`, {
    maxTokens: Number(max_tokens),
    temperature: Number(temperature),
    signal: abort.signal,
  });
  const events = (async function* () {
    for await (const d of deltas) yield { text: d.text };
  })();
  return new Response(sseStream(events, { onCancel: () => abort.abort() }), {
    headers: SSE_HEADERS,
  });
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(values.port ?? 8000),
  onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
}, async (request) => {
  if (new URL(request.url).pathname !== "/story") return await openai(request);
  if (request.method !== "POST") return new HttpError(405, "POST only").toResponse();
  return await story(request).catch((e) => toHttpError(e).toResponse());
});
const stop = () => openai.drain().then(() => server.shutdown()); // Ctrl-C: finish, then exit
Deno.addSignalListener("SIGINT", stop);
await server.finished;
Deno.removeSignalListener("SIGINT", stop);
