/**
 * `GET /metrics`: the engine's gauges and counters plus the server's latency histograms in
 * the Prometheus text exposition format (version 0.0.4).
 *
 * @module
 */
import type { RequestTimings } from "../engine/request_state.ts";
import type { EngineMetrics } from "../engine/stats.ts";
import {
  Histogram,
  ITL_BUCKETS_S,
  LATENCY_BUCKETS_S,
  promNumber,
  TTFT_BUCKETS_S,
} from "./histogram.ts";

/** Content type of the exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Latency histograms and HTTP counters a server keeps; fed with each finished request's
 * timings (engine-clock milliseconds).
 *
 * @example
 * ```ts
 * import { ServerMetrics } from "@loom/core";
 * const m = new ServerMetrics();
 * m.observe({ arrivalMs: 0, scheduledMs: 5, firstTokenMs: 20, finishedMs: 50, interTokenMs: [10, 20] });
 * console.log(m.ttft.count, m.interToken.count); // 1 2
 * ```
 */
export class ServerMetrics {
  /** Time to first token. */
  readonly ttft: Histogram = new Histogram(
    "loom_time_to_first_token_seconds",
    "Time from arrival to the first generated token.",
    TTFT_BUCKETS_S,
  );
  /** Gaps between consecutive tokens. */
  readonly interToken: Histogram = new Histogram(
    "loom_inter_token_latency_seconds",
    "Time between consecutive generated tokens of a request.",
    ITL_BUCKETS_S,
  );
  /** Arrival to end. */
  readonly e2e: Histogram = new Histogram(
    "loom_e2e_request_latency_seconds",
    "Time from arrival to the end of a finished request.",
    LATENCY_BUCKETS_S,
  );
  /** Arrival to first scheduled. */
  readonly queue: Histogram = new Histogram(
    "loom_request_queue_time_seconds",
    "Time a request waited before it was first scheduled.",
    LATENCY_BUCKETS_S,
  );
  /** HTTP responses by status code. */
  readonly responses: Map<number, number> = new Map();
  /** Requests whose client went away before the end. */
  numClientAborts: number = 0;

  /** Records a finished request's timings. */
  observe(t: RequestTimings): void {
    if (t.firstTokenMs !== undefined) this.ttft.observe((t.firstTokenMs - t.arrivalMs) / 1000);
    if (t.scheduledMs !== undefined) this.queue.observe((t.scheduledMs - t.arrivalMs) / 1000);
    if (t.finishedMs !== undefined) this.e2e.observe((t.finishedMs - t.arrivalMs) / 1000);
    for (const ms of t.interTokenMs) this.interToken.observe(ms / 1000);
  }

  /** Counts one response. */
  onResponse(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }
}

/**
 * Renders engine metrics and server histograms as Prometheus text.
 *
 * @example
 * ```ts
 * import { buildDemoModel, Engine, PagedCacheManager, prometheusText, ServerMetrics } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * import { FcfsScheduler } from "@loom/schedulers";
 * const engine = new Engine({
 *   model: await buildDemoModel(new ReferenceBackend()),
 *   cache: new PagedCacheManager({ numBlocks: 16 }),
 *   scheduler: new FcfsScheduler(),
 * });
 * const text = prometheusText(engine.metrics(), new ServerMetrics());
 * console.log(text.includes("loom_kv_cache_blocks_used 0")); // true
 * ```
 */
export function prometheusText(m: EngineMetrics, server: ServerMetrics): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, value: number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${promNumber(value)}`);
  };
  const c = m.cache;
  metric("loom_num_requests_running", "gauge", "Sequences running on the device.", m.numRunning);
  metric("loom_num_requests_waiting", "gauge", "Sequences waiting to be scheduled.", m.numWaiting);
  metric("loom_num_requests_swapped", "gauge", "Sequences swapped to host memory.", m.numSwapped);
  metric("loom_kv_cache_usage_ratio", "gauge", "Fraction of KV blocks referenced.", m.kvUsage);
  metric("loom_kv_cache_blocks_total", "gauge", "KV blocks in the device pool.", c.numBlocks);
  metric("loom_kv_cache_blocks_used", "gauge", "KV blocks referenced.", c.numUsedBlocks);
  metric(
    "loom_kv_cache_blocks_cached",
    "gauge",
    "Unreferenced blocks holding a prefix.",
    c.numCachedBlocks,
  );
  metric(
    "loom_kv_cache_host_blocks_used",
    "gauge",
    "Host blocks holding swapped sequences.",
    c.numUsedHostBlocks,
  );
  metric(
    "loom_prefix_cache_queries_total",
    "counter",
    "Prompt tokens looked up in the prefix cache.",
    c.numPrefixQueryTokens,
  );
  metric(
    "loom_prefix_cache_hits_total",
    "counter",
    "Prompt tokens found in the prefix cache.",
    c.numPrefixHitTokens,
  );
  metric("loom_prefix_cache_hit_rate", "gauge", "Prefix cache hits / queries.", m.prefixHitRate);
  metric("loom_num_preemptions_total", "counter", "Sequences preempted.", m.numPreemptions);
  metric("loom_requests_total", "counter", "Requests received by the engine.", m.numRequests);
  metric("loom_requests_finished_total", "counter", "Requests finished normally.", m.numFinished);
  metric(
    "loom_requests_rejected_total",
    "counter",
    "Requests rejected by the scheduler.",
    m.numRejected,
  );
  metric(
    "loom_requests_client_aborted_total",
    "counter",
    "Requests whose client went away.",
    server.numClientAborts,
  );
  metric(
    "loom_prompt_tokens_total",
    "counter",
    "Prompt tokens of finished requests.",
    m.numPromptTokens,
  );
  metric(
    "loom_generation_tokens_total",
    "counter",
    "Generated tokens of finished requests.",
    m.numGeneratedTokens,
  );
  metric("loom_engine_steps_total", "counter", "Engine steps run.", m.numSteps);
  for (const h of [server.ttft, server.interToken, server.e2e, server.queue]) out.push(h.render());
  out.push("# HELP loom_http_responses_total HTTP responses by status code.");
  out.push("# TYPE loom_http_responses_total counter");
  for (const [code, n] of [...server.responses].sort((a, b) => a[0] - b[0])) {
    out.push(`loom_http_responses_total{code="${code}"} ${n}`);
  }
  return out.join("\n") + "\n";
}
