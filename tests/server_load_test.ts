/**
 * Load: 64 concurrent streaming clients on the demo model, a quarter of them disconnecting
 * mid-stream at different moments. Every other stream completes without an error event, and
 * afterwards no KV block is referenced (read from /metrics) and nothing is in flight.
 */
import assert from "node:assert/strict";
import { metricValue, readSse, startServer, waitFor } from "./_server_fixture.ts";

const NUM_CLIENTS = 64;
const MAX_TOKENS = 48;

Deno.test("server load: 64 streams, a quarter disconnect, no blocks leak", async () => {
  const s = await startServer({}, { numBlocks: 512 });
  try {
    const results = await Promise.all(
      Array.from({ length: NUM_CLIENTS }, async (_, i) => {
        const leaves = i % 4 === 3;
        const abort = new AbortController();
        const chat = i % 2 === 0;
        const body = {
          model: "loom-demo",
          // a leaver asks for more than it reads, so it surely leaves mid-stream
          max_tokens: leaves ? 4 * MAX_TOKENS : MAX_TOKENS,
          ignore_eos: true,
          seed: i,
          stream: true,
          stream_options: { include_usage: true },
          ...(chat
            ? { messages: [{ role: "user", content: `client ${i}` }] }
            : { prompt: `client ${i} says` }),
        };
        const path = chat ? "/v1/chat/completions" : "/v1/completions";
        if (leaves && i % 8 === 3) setTimeout(() => abort.abort(), 1 + (i % 5)); // maybe before headers
        const res = await fetch(`${s.origin}${path}`, {
          method: "POST",
          body: JSON.stringify(body),
          signal: abort.signal,
        }).catch(() => undefined);
        if (!res) return { leaves, events: [] };
        assert.equal(res.status, 200);
        if (leaves) {
          const events = await readSse(res, 1 + (i % 6)).catch(() => []);
          abort.abort();
          return { leaves, events };
        }
        return { leaves, events: await readSse(res) };
      }),
    );
    for (const r of results.filter((r) => !r.leaves)) {
      assert.equal(r.events.at(-1), "[DONE]");
      const parsed = r.events.slice(0, -1).map((e) => JSON.parse(e));
      assert.ok(parsed.every((e) => !("error" in e)));
      assert.equal(parsed.at(-1).usage.completion_tokens, MAX_TOKENS);
    }
    const idle = await waitFor(async () =>
      await metricValue(s.origin, "loom_kv_cache_blocks_used") === 0 &&
      s.handler.numInFlight === 0
    );
    assert.ok(idle, `blocks used: ${await metricValue(s.origin, "loom_kv_cache_blocks_used")}`);
    assert.equal(await metricValue(s.origin, "loom_num_requests_running"), 0);
    assert.equal(await metricValue(s.origin, "loom_num_requests_waiting"), 0);
    assert.ok(await metricValue(s.origin, "loom_requests_finished_total") >= NUM_CLIENTS * 3 / 4);
    assert.ok(await metricValue(s.origin, "loom_requests_client_aborted_total") > 0);
    assert.equal(s.engine.numRequests, 0);
    const metrics = await (await fetch(`${s.origin}/metrics`)).text();
    assert.doesNotMatch(metrics, /loom_http_responses_total\{code="5\d\d"\}/);
  } finally {
    await s.close();
  }
});

Deno.test("server load: non-streaming clients that disconnect abort their requests", async () => {
  const s = await startServer();
  try {
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 30 + 10 * i);
      const res = await fetch(`${s.origin}/v1/completions`, {
        method: "POST",
        body: JSON.stringify({ prompt: `slow ${i}`, max_tokens: 1500, ignore_eos: true }),
        signal: abort.signal,
      }).catch((e) => e);
      assert.equal(res.name, "AbortError");
    }));
    assert.ok(await waitFor(() => Promise.resolve(s.engine.numRequests === 0), 3000));
    assert.equal(await metricValue(s.origin, "loom_kv_cache_blocks_used"), 0);
    assert.equal(await metricValue(s.origin, "loom_requests_client_aborted_total"), 8);
    assert.equal(await metricValue(s.origin, "loom_requests_finished_total"), 0);
    assert.equal(s.handler.numInFlight, 0);
  } finally {
    await s.close();
  }
});
