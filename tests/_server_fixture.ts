/**
 * Test helpers for the server: an engine over the built-in demo model, a handler over it,
 * and the real server on 127.0.0.1 (port 0) for the `openai` client and raw fetches.
 *
 * @module
 */
import {
  buildDemoModel,
  createHandler,
  Engine,
  type EngineOptions,
  type HandlerOptions,
  type LoomHandler,
  type Model,
  PagedCacheManager,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

let demo: Promise<Model> | undefined;

/** The demo model, built once per test process. */
export function demoModel(): Promise<Model> {
  demo ??= buildDemoModel(new ReferenceBackend());
  return demo;
}

/** Engine options for tests: the model is the demo model; `numBlocks` sizes the cache. */
export type TestEngineOptions = Partial<Omit<EngineOptions, "model">> & { numBlocks?: number };

/** A fresh engine (own cache) over the shared demo model. */
export async function demoEngine(options: TestEngineOptions = {}): Promise<Engine> {
  const { numBlocks, ...rest } = options;
  return new Engine({
    model: await demoModel(),
    cache: new PagedCacheManager({ numBlocks: numBlocks ?? 256, blockSize: 16 }),
    scheduler: new FcfsScheduler(),
    ...rest,
  });
}

/** A handler over a fresh demo engine. */
export async function demoHandler(
  options: HandlerOptions = {},
  engineOptions: TestEngineOptions = {},
): Promise<{ engine: Engine; handler: LoomHandler }> {
  const engine = await demoEngine(engineOptions);
  return { engine, handler: createHandler(engine, options) };
}

/** POSTs JSON (or raw bytes/text as they are) to a handler. */
export function post(
  handler: (r: Request) => Promise<Response>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const raw = typeof body === "string" || body instanceof Uint8Array;
  return handler(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: raw ? body as BodyInit : JSON.stringify(body),
    }),
  );
}

/** A running server over the demo model. */
export interface TestServer {
  readonly engine: Engine;
  readonly handler: LoomHandler;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Drains, stops the server and waits for the engine to go idle. */
  close(): Promise<void>;
}

/** Starts the real server on 127.0.0.1, port 0. */
export async function startServer(
  options: HandlerOptions = {},
  engineOptions: TestEngineOptions = {},
): Promise<TestServer> {
  const { engine, handler } = await demoHandler(options, engineOptions);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    engine,
    handler,
    origin,
    async close() {
      await handler.drain();
      await server.shutdown();
      await engine.drain();
    },
  };
}

/** Reads a `/metrics` value (first sample of the named metric). */
export async function metricValue(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " ") || l.startsWith(name + "{"));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Reads SSE `data:` payloads from a response; stops after `limit` events when given. */
export async function readSse(res: Response, limit = Infinity): Promise<string[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: string[] = [];
  let buf = "";
  try {
    while (events.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += value;
      let at;
      while ((at = buf.indexOf("\n\n")) >= 0 && events.length < limit) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        events.push(block.replace(/^data: /, ""));
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

/** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return await check();
}
