/**
 * `deno task serve:browser`: builds `dist/loom.js`, writes the built-in demo model to
 * `dist/models/loom-demo.gguf`, and serves the example page on 127.0.0.1 with the headers
 * shared-memory threads need (`Cross-Origin-Opener-Policy: same-origin`,
 * `Cross-Origin-Embedder-Policy: require-corp`).
 *
 * Usage: `deno task serve:browser [--port 8080] [--host 127.0.0.1] [--model FILE.gguf]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeTestModelGguf } from "@loom/core";
import { buildBrowser } from "../../scripts/build_browser.ts";

const HERE = new URL(".", import.meta.url);
const DIST = new URL("../../dist/", import.meta.url);

/** The page's own files: URL path → file. */
const PAGE_FILES: Readonly<Record<string, URL>> = {
  "/": new URL("index.html", HERE),
  "/index.html": new URL("index.html", HERE),
  "/app.js": new URL("app.js", HERE),
  "/worker.js": new URL("worker.js", HERE),
  "/loom.js": new URL("loom.js", DIST),
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  gguf: "application/octet-stream",
};

/** Headers every response carries: cross-origin isolation, so `SharedArrayBuffer` exists. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

/**
 * The built-in demo model's GGUF bytes (the model `buildDemoModel` builds in memory).
 *
 * @example
 * ```ts
 * import { demoModelGguf } from "./serve.ts";
 * console.log(new TextDecoder().decode(demoModelGguf().subarray(0, 4))); // "GGUF"
 * ```
 */
export function demoModelGguf(): Uint8Array {
  return writeTestModelGguf({ name: "loom-demo", seed: 7, hiddenSize: 64, numLayers: 2 });
}

/** Options of {@linkcode serveBrowserExample}. */
export interface ServeBrowserOptions {
  /** Address to bind (default 127.0.0.1). */
  readonly hostname?: string;
  /** Port (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** A GGUF file to serve as `/models/<its name>` as well as the demo model. */
  readonly modelPath?: string;
  /** Build `dist/loom.js` first (default true). */
  readonly build?: boolean;
}

/** A running example server. */
export interface BrowserExampleServer {
  /** The page's address. */
  readonly url: string;
  /** URL path of the model the page should load by default. */
  readonly modelPath: string;
  /** Stops the server. */
  shutdown(): Promise<void>;
}

/**
 * Builds the bundle, exports the demo model and starts serving the page.
 *
 * @example
 * ```ts ignore
 * import { serveBrowserExample } from "./serve.ts";
 * const server = await serveBrowserExample({ port: 0 });
 * console.log(server.url); // e.g. "http://127.0.0.1:41234/"
 * await server.shutdown();
 * ```
 */
export async function serveBrowserExample(
  options: ServeBrowserOptions = {},
): Promise<BrowserExampleServer> {
  if (options.build ?? true) await buildBrowser();
  const models = new Map<string, URL | string>();
  await Deno.mkdir(new URL("models/", DIST), { recursive: true });
  const demo = new URL("models/loom-demo.gguf", DIST);
  await Deno.writeFile(demo, demoModelGguf());
  models.set("/models/loom-demo.gguf", demo);
  let modelPath = "/models/loom-demo.gguf";
  if (options.modelPath) {
    const name = options.modelPath.split("/").at(-1)!;
    modelPath = `/models/${encodeURIComponent(name)}`;
    models.set(modelPath, options.modelPath);
  }
  const handler = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (path === "/favicon.ico") {
      return new Response(null, { status: 204, headers: ISOLATION_HEADERS });
    }
    const file = PAGE_FILES[path] ?? models.get(path);
    if (req.method !== "GET" || !file) {
      return new Response("not found", { status: 404, headers: ISOLATION_HEADERS });
    }
    try {
      const f = await Deno.open(file);
      const size = (await f.stat()).size;
      const ext = String(file).split(".").at(-1) ?? "";
      return new Response(f.readable, {
        headers: {
          ...ISOLATION_HEADERS,
          "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
          "content-length": String(size),
        },
      });
    } catch {
      return new Response(`cannot read ${path}`, { status: 500, headers: ISOLATION_HEADERS });
    }
  };
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8080,
    onListen: resolve,
  }, handler);
  const addr = await promise;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return { url: `http://${host}:${addr.port}/`, modelPath, shutdown: () => server.shutdown() };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8080" },
      model: { type: "string" },
    },
  });
  const server = await serveBrowserExample({
    hostname: values.host,
    port: Number(values.port),
    ...(values.model ? { modelPath: values.model } : {}),
  });
  const page = server.modelPath === "/models/loom-demo.gguf"
    ? server.url
    : `${server.url}?model=${encodeURIComponent(server.modelPath.slice(1))}`;
  console.log(`Loom's browser example: ${page}  (Ctrl-C stops)`);
}
