import assert from "node:assert/strict";
import { buildDemoModel, createHandler, Engine, PagedCacheManager } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";
import { runLoad } from "./_load_run.ts";
import { streamRequest } from "./_openai_stream.ts";
import { computeMetrics, tpotMs } from "./_stats.ts";
import { cdfSvg } from "./_svg.ts";
import { buildWorkload } from "./_workload.ts";

Deno.test("the load generator measures Loom's server with the demo model", async (t) => {
  const engine = new Engine({
    model: await buildDemoModel(new ReferenceBackend()),
    cache: new PagedCacheManager({ numBlocks: 64 }),
    scheduler: new FcfsScheduler(),
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createHandler(engine),
  );
  const baseUrl = `http://127.0.0.1:${server.addr.port}`;
  const extraBody = { temperature: 0, ignore_eos: true };
  try {
    await t.step("every request of a capped Poisson load completes, timed", async () => {
      const requests = buildWorkload({
        numRequests: 5,
        requestRate: 50,
        burstiness: 1,
        inputLen: 12,
        outputLen: 6,
        rangeRatio: 0.3,
        prefixLen: 4,
        seed: 1,
      });
      const endpoint = { baseUrl, api: "completions" as const, extraBody };
      const { records, durationMs } = await runLoad(endpoint, requests, { maxConcurrency: 2 });
      records.forEach((r, i) => {
        assert.ok(r.success, r.error);
        assert.equal(r.outputTokens, requests[i]!.maxTokens); // usage, EOS ignored
        assert.ok(r.promptTokens > requests[i]!.promptWords); // the demo vocab splits words
        assert.ok(r.ttftMs > 0 && r.e2eMs >= r.ttftMs);
        assert.ok(r.itlMs.length >= 1 && r.itlMs.length < r.outputTokens);
        assert.ok(tpotMs(r) > 0);
      });
      const m = computeMetrics(records, durationMs, { ttftMs: 60_000 });
      assert.equal(m.numCompleted, 5);
      assert.equal(m.goodput, m.requestThroughput);
      assert.ok(m.ttft.p99 >= m.ttft.median && m.outputThroughput > 0);
      const svg = cdfSvg(["TTFT", "E2E"], [{
        label: "loom",
        values: { TTFT: records.map((r) => r.ttftMs), E2E: records.map((r) => r.e2eMs) },
      }], "test");
      assert.equal(svg.match(/<path /g)?.length, 2);
    });
    await t.step("chat endpoint streams deltas too", async () => {
      const r = await streamRequest({ baseUrl: `${baseUrl}/v1`, api: "chat", extraBody }, "hi", 3);
      assert.ok(r.success, r.error);
      assert.equal(r.outputTokens, 3);
    });
    await t.step("errors come back as failed records, not exceptions", async () => {
      const bad = { baseUrl, api: "completions" as const, extraBody: { temperature: -1 } };
      const r = await streamRequest(bad, "hi", 3);
      assert.equal(r.success, false);
      assert.match(r.error!, /HTTP 400/);
      const down = await streamRequest(
        { baseUrl: "http://127.0.0.1:9", api: "completions" },
        "hi",
        3,
      );
      assert.equal(down.success, false);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("the concurrency cap holds: never more requests in flight than asked", async () => {
  let inFlight = 0, maxInFlight = 0;
  const enc = new TextEncoder();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const body = new ReadableStream({
      async start(c) {
        for (const text of ["a", "b"]) {
          await new Promise((r) => setTimeout(r, 15));
          c.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [{ text }] })}\n\n`));
        }
        const usage = { prompt_tokens: 5, completion_tokens: 2 };
        c.enqueue(
          enc.encode(`data: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`),
        );
        inFlight--;
        c.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    const requests = Array.from({ length: 9 }, () => ({
      prompt: "abc",
      promptWords: 1,
      maxTokens: 2,
      sendAtMs: 0,
    }));
    const endpoint = {
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      api: "completions" as const,
    };
    const { records, durationMs } = await runLoad(endpoint, requests, { maxConcurrency: 3 });
    assert.equal(maxInFlight, 3);
    assert.ok(records.every((r) => r.success && r.outputTokens === 2 && r.itlMs.length === 1));
    assert.ok(durationMs >= 3 * 30 - 5); // three waves of two 15 ms chunks
  } finally {
    await server.shutdown();
  }
});
