/**
 * `loom serve`: the OpenAI-compatible server (`deno task serve`). Binds 127.0.0.1 unless
 * `--host` says otherwise; SIGINT/SIGTERM drain in-flight requests, then exit (a second
 * signal stops at once).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { describeBackend } from "./_backends.ts";
import { createHandler, type HandlerOptions } from "@loom/core";
import {
  createEngine,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  intFlag,
  loadModel,
  parseBytes,
} from "./_engine_flags.ts";

const HELP = `Usage: deno task serve [options]
       deno task loom serve [options]

Serves the OpenAI API (/v1/chat/completions, /v1/completions, /v1/models) plus /health and
/metrics (Prometheus).

Server options:
  --host HOST            address to bind (default 127.0.0.1; 0.0.0.0 exposes it)
  --port N               port (default 8000; 0 picks a free one)
  --api-key KEY          require "Authorization: Bearer KEY" on /v1 (or set LOOM_API_KEY)
  --model-name NAME      model id clients send (default: the model's name)
  --cors ORIGINS         comma-separated origins allowed from browsers ("*" for any)
  --max-body SIZE        largest request body (default 4MiB)
  --help                 this text

${ENGINE_HELP}

Example:
  curl http://127.0.0.1:8000/v1/completions -H 'content-type: application/json' \\
    -d '{"prompt": "Once upon a time", "max_tokens": 16}'
`;

/** Runs the server until SIGINT/SIGTERM; returns the exit code. */
export async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...ENGINE_OPTIONS,
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8000" },
      "api-key": { type: "string" },
      "model-name": { type: "string" },
      cors: { type: "string" },
      "max-body": { type: "string" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const model = await loadModel(values, "serve");
  const engine = createEngine(model, values);
  const apiKey = values["api-key"] ?? Deno.env.get("LOOM_API_KEY");
  const options: HandlerOptions = {
    ...(apiKey ? { apiKey } : {}),
    ...(values["model-name"] ? { modelName: values["model-name"] } : {}),
    ...(values.cors ? { corsOrigins: values.cors.split(",").map((s) => s.trim()) } : {}),
    ...(values["max-body"] ? { maxBodyBytes: parseBytes("max-body", values["max-body"]) } : {}),
  };
  const handler = createHandler(engine, options);
  const port = intFlag("port", values.port)!;
  const { promise: listening, resolve: onListen } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({ hostname: values.host, port, onListen }, handler);
  const addr = await listening;
  const name = options.modelName ?? model.config.name ?? "loom";
  const url = `http://${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
  console.error(
    `Loom is serving ${name} (${model.config.architecture}, ${engine.cache.numBlocks} KV blocks ` +
      `of ${engine.cache.blockSize} tokens, steps of ${engine.maxBatchTokens} tokens; ` +
      `${describeBackend(model.backend)}) at ${url}\n` +
      `  OpenAI API: ${url}/v1   metrics: ${url}/metrics${
        apiKey ? "   (API key required)" : ""
      }\n` +
      "  Ctrl-C drains in-flight requests, then exits.",
  );

  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  let numSignals = 0;
  const onSignal = () => {
    if (++numSignals === 1) {
      console.error(`\nDraining ${handler.numInFlight} in-flight request(s)...`);
      handler.drain().then(stop);
    } else {
      console.error("Stopping now.");
      stop();
    }
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  await Promise.race([stopped, server.finished]);
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  if (numSignals > 1) return 130; // forced: leave open connections to the process exit
  await server.shutdown();
  console.error("Stopped.");
  return 0;
}
