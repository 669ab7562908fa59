import assert from "node:assert/strict";
import type { EngineMetrics } from "../engine/stats.ts";
import { Histogram } from "./histogram.ts";
import { prometheusText, ServerMetrics } from "./prometheus.ts";

const METRICS: EngineMetrics = {
  numRunning: 2,
  numWaiting: 3,
  numSwapped: 1,
  kvUsage: 0.25,
  cache: {
    numBlocks: 64,
    numUsedBlocks: 16,
    numFreeBlocks: 48,
    numCachedBlocks: 4,
    numHostBlocks: 0,
    numUsedHostBlocks: 0,
    numPrefixQueryTokens: 100,
    numPrefixHitTokens: 40,
  },
  prefixHitRate: 0.4,
  numPreemptions: 5,
  numRequests: 10,
  numFinished: 7,
  numRejected: 1,
  numPromptTokens: 70,
  numGeneratedTokens: 140,
  numSteps: 50,
};

Deno.test("Histogram buckets are cumulative", () => {
  const h = new Histogram("x_seconds", "help", [1, 2, 5]);
  for (const v of [0.5, 1, 1.5, 3, 10, NaN]) h.observe(v);
  const lines = h.render().split("\n");
  assert.deepEqual(lines.slice(2), [
    'x_seconds_bucket{le="1"} 2',
    'x_seconds_bucket{le="2"} 3',
    'x_seconds_bucket{le="5"} 4',
    'x_seconds_bucket{le="+Inf"} 5',
    "x_seconds_sum 16",
    "x_seconds_count 5",
  ]);
});

Deno.test("prometheusText: every sample line is well-formed and values are the engine's", () => {
  const server = new ServerMetrics();
  server.observe({
    arrivalMs: 0,
    scheduledMs: 10,
    firstTokenMs: 30,
    finishedMs: 100,
    interTokenMs: [5, 7],
  });
  server.onResponse(200);
  server.onResponse(200);
  server.onResponse(429);
  const text = prometheusText(METRICS, server);
  const samples = new Map<string, string>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("#")) {
      assert.match(line, /^# (HELP|TYPE) [a-z0-9_:]+ .+$/);
      continue;
    }
    const m = /^([a-z0-9_:]+(?:\{[a-z]+="[^"]*"\})?) (-?[\d.e+-]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, line);
    samples.set(m[1]!, m[2]!);
  }
  assert.equal(samples.get("loom_num_requests_running"), "2");
  assert.equal(samples.get("loom_num_requests_waiting"), "3");
  assert.equal(samples.get("loom_num_requests_swapped"), "1");
  assert.equal(samples.get("loom_kv_cache_blocks_used"), "16");
  assert.equal(samples.get("loom_prefix_cache_hits_total"), "40");
  assert.equal(samples.get("loom_num_preemptions_total"), "5");
  assert.equal(samples.get("loom_generation_tokens_total"), "140");
  assert.equal(samples.get("loom_time_to_first_token_seconds_count"), "1");
  assert.equal(samples.get("loom_inter_token_latency_seconds_count"), "2");
  assert.equal(samples.get('loom_request_queue_time_seconds_bucket{le="0.01"}'), "1");
  assert.equal(samples.get("loom_e2e_request_latency_seconds_sum"), "0.1");
  assert.equal(samples.get('loom_http_responses_total{code="200"}'), "2");
  assert.equal(samples.get('loom_http_responses_total{code="429"}'), "1");
});
