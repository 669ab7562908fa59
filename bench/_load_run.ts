/**
 * Runs a load against an endpoint: each request is sent at its arrival time (or as soon as
 * a slot frees when a concurrency cap is set), streamed and timed; a progress bar shows on
 * stderr when it is a terminal.
 *
 * @module
 */
import { type EndpointOptions, streamRequest } from "./_openai_stream.ts";
import type { RequestRecord } from "./_stats.ts";
import type { BenchRequest } from "./_workload.ts";

/** Records in request order and the run's duration (first send to last response). */
export interface LoadResult {
  readonly records: RequestRecord[];
  readonly durationMs: number;
}

/**
 * A one-line progress bar.
 *
 * @example
 * ```ts
 * import { progressBar } from "./_load_run.ts";
 * console.log(progressBar(5, 10, 10)); // "[#####-----] 5/10"
 * ```
 */
export function progressBar(done: number, total: number, width = 30): string {
  const n = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(n)}${"-".repeat(width - n)}] ${done}/${total}`;
}

/**
 * Sends the load and waits for every response.
 *
 * @example
 * ```ts ignore
 * import { runLoad } from "./_load_run.ts";
 * const { records, durationMs } = await runLoad(
 *   { baseUrl: "http://127.0.0.1:8000", api: "completions" },
 *   [{ prompt: "abc def", promptWords: 2, maxTokens: 8, sendAtMs: 0 }],
 *   { maxConcurrency: Infinity },
 * );
 * ```
 */
export async function runLoad(
  endpoint: EndpointOptions,
  requests: readonly BenchRequest[],
  o: { readonly maxConcurrency: number; readonly progress?: boolean },
): Promise<LoadResult> {
  const records: RequestRecord[] = new Array(requests.length);
  const showBar = (o.progress ?? true) && Deno.stderr.isTerminal();
  let numDone = 0, numFailed = 0, inFlight = 0;
  const waiters: (() => void)[] = [];
  const draw = () => {
    if (!showBar) return;
    const failed = numFailed ? `, ${numFailed} failed` : "";
    Deno.stderr.writeSync(
      new TextEncoder().encode(`\r  ${progressBar(numDone, requests.length)}${failed}  `),
    );
  };
  const t0 = performance.now();
  draw();
  await Promise.all(requests.map(async (req, i) => {
    const wait = req.sendAtMs - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight >= o.maxConcurrency) await new Promise<void>((r) => waiters.push(r));
    inFlight++;
    try {
      // prompt tokens: the bench vocab's one token a word, plus BOS (usage overrides it)
      const sentAtMs = performance.now() - t0;
      const rec = await streamRequest(endpoint, req.prompt, req.maxTokens, req.promptWords + 1);
      records[i] = { ...rec, sentAtMs };
    } finally {
      inFlight--;
      waiters.shift()?.();
    }
    numDone++;
    if (!records[i]!.success) numFailed++;
    draw();
  }));
  const durationMs = performance.now() - t0;
  if (showBar) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  return { records, durationMs };
}
