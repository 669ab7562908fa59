/**
 * Servers `bench:serve --spawn` starts, one at a time, on the same model file and threads:
 * Loom (`_loom_server.ts`) and llama.cpp's `llama-server` built from node-llama-cpp's bundled
 * source (`_llama_build.ts`). Each is a child process, ready when `/health` answers 200.
 *
 * @module
 */
import { llamaServerPath } from "./_llama_build.ts";

/** A running server. */
export interface ServerHandle {
  readonly name: string;
  readonly baseUrl: string;
  /** The command line, for the report. */
  readonly command: string;
  stop(): Promise<void>;
}

/** How to run a server. */
export interface SpawnOptions {
  readonly model: string;
  readonly numThreads: number;
  /** Sequences served at once (llama-server slots; Loom's step limit is higher). */
  readonly numParallel: number;
  /** Context tokens per sequence. */
  readonly contextPerSeq: number;
  /** Loom: most tokens per step (the chunked-prefill budget). */
  readonly maxBatchTokens: number;
  /** Loom: backend and scheduler. */
  readonly backend: string;
  readonly scheduler: string;
  /** Loom: FCFS prompt packing (`whole` or `chunk`; the server's default when absent). */
  readonly packPrefills?: string | undefined;
  /** Loom: KV-cache dtype (Loom's default is f32; llama-server keeps f16). */
  readonly kvDType: "f32" | "f16";
}

/**
 * A free TCP port on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { freePort } from "./_servers.ts";
 * console.log((await freePort()) > 0); // true
 * ```
 */
export async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return await Promise.resolve(port);
}

async function waitHealthy(url: string, child: Deno.ChildProcess, timeoutMs: number) {
  let exited = false;
  child.status.then(() => (exited = true));
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`server exited before ${url}/health answered`);
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/health did not answer 200 within ${timeoutMs} ms`);
}

async function spawn(name: string, cmd: string, args: string[]): Promise<ServerHandle> {
  const port = await freePort();
  const full = args.map((x) => x.replace("$PORT", String(port)));
  const child = new Deno.Command(cmd, { args: full, stdout: "null", stderr: "piped" }).spawn();
  // keep the tail of stderr for errors; drain it so the child never blocks
  let tail = "";
  (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) {
      tail = (tail + t).slice(-4000);
    }
  })();
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(baseUrl, child, 600_000);
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw new Error(`${name}: ${(e as Error).message}\n${tail}`);
  }
  return {
    name,
    baseUrl,
    command: [cmd, ...full].join(" "),
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** Starts Loom's server over the model. */
export async function startLoom(o: SpawnOptions): Promise<ServerHandle> {
  const numBlocks = Math.ceil((o.numParallel * o.contextPerSeq) / 16) + 16;
  const script = new URL("./_loom_server.ts", import.meta.url).pathname;
  return await spawn(`loom (${o.backend}, ${o.scheduler})`, Deno.execPath(), [
    "run",
    "-A",
    script,
    `--model=${o.model}`,
    `--backend=${o.backend}`,
    `--threads=${o.numThreads}`,
    `--scheduler=${o.scheduler}`,
    `--kv-blocks=${numBlocks}`,
    `--max-batch-tokens=${o.maxBatchTokens}`,
    `--kv-dtype=${o.kvDType}`,
    ...(o.packPrefills === undefined ? [] : [`--pack-prefills=${o.packPrefills}`]),
    "--port=$PORT",
  ]);
}

/** Starts llama-server over the model (`numParallel` slots sharing one context). */
export async function startLlamaServer(o: SpawnOptions): Promise<ServerHandle> {
  return await spawn(`llama-server (${o.numParallel} slots)`, await llamaServerPath(), [
    "-m",
    o.model,
    "-t",
    String(o.numThreads),
    "-tb",
    String(o.numThreads),
    "-c",
    String(o.numParallel * o.contextPerSeq),
    "-np",
    String(o.numParallel),
    "--host",
    "127.0.0.1",
    "--port",
    "$PORT",
    "--no-webui",
  ]);
}
