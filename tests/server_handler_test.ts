/**
 * The handler called directly (no network): routes, auth, CORS, draining, echo and batched
 * prompts, invalid UTF-8 in generated text, and chat templates that raise.
 */
import assert from "node:assert/strict";
import { ChatTemplate, type Scheduler } from "@loom/core";
import { demoHandler, post, readSse } from "./_server_fixture.ts";

const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost${path}`, { headers });

Deno.test("handler: health, models, auth and CORS", async (t) => {
  const { handler } = await demoHandler({ apiKey: "k", corsOrigins: ["https://app.example"] });
  await t.step("health and metrics need no key", async () => {
    assert.deepEqual(await (await handler(get("/health"))).json(), { status: "ok" });
    const m = await handler(get("/metrics"));
    assert.match(m.headers.get("content-type")!, /^text\/plain; version=0.0.4/);
    assert.match(await m.text(), /^loom_kv_cache_blocks_total 256$/m);
  });
  await t.step("/v1 needs the key", async () => {
    const none = await handler(get("/v1/models"));
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.code, "invalid_api_key");
    assert.equal((await handler(get("/v1/models", { authorization: "Bearer kk" }))).status, 401);
    const ok = await handler(get("/v1/models/loom-demo", { authorization: "Bearer k" }));
    assert.equal((await ok.json()).id, "loom-demo");
    const missing = await handler(get("/v1/models/other", { authorization: "Bearer k" }));
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
  await t.step("CORS only for allowed origins", async () => {
    const allowed = await handler(get("/health", { origin: "https://app.example" }));
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
    await allowed.body?.cancel();
    const other = await handler(get("/health", { origin: "https://evil.example" }));
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    await other.body?.cancel();
    const pre = await handler(
      new Request("http://localhost/v1/completions", {
        method: "OPTIONS",
        headers: { origin: "https://app.example" },
      }),
    );
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get("access-control-allow-headers")!, /authorization/);
  });
});

Deno.test("handler: draining refuses new requests while in-flight ones finish", async () => {
  const { handler, engine } = await demoHandler();
  const res = await post(handler, "/v1/completions", {
    prompt: "drain me",
    max_tokens: 40,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(handler.numInFlight, 1);
  let drained = false;
  const draining = handler.drain().then(() => (drained = true));
  assert.ok(handler.draining);
  const refused = await post(handler, "/v1/completions", { prompt: "late" });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  await refused.body?.cancel();
  assert.equal((await handler(get("/health"))).status, 503);
  assert.equal(drained, false);
  const events = await readSse(res);
  assert.equal(events.at(-1), "[DONE]");
  assert.equal(JSON.parse(events.at(-2)!).usage.completion_tokens, 40);
  await draining;
  assert.equal(handler.numInFlight, 0);
  await engine.drain();
});

Deno.test("handler: echo, batched prompts with n = 2, invalid UTF-8 output", async (t) => {
  const { handler } = await demoHandler();
  await t.step("echo puts the prompt first; batched choices are prompt·n + i", async () => {
    const res = await post(handler, "/v1/completions", {
      prompt: ["ab", "cd"],
      n: 2,
      max_tokens: 3,
      echo: true,
      seed: 1,
    });
    const body = await res.json();
    assert.deepEqual(body.choices.map((c: { index: number }) => c.index), [0, 1, 2, 3]);
    assert.deepEqual(
      body.choices.map((c: { text: string }) => c.text.slice(0, 2)),
      ["ab", "ab", "cd", "cd"],
    );
    assert.equal(body.usage.completion_tokens, 12);
  });
  await t.step("lone continuation bytes stream as U+FFFD, never an error", async () => {
    const res = await post(handler, "/v1/completions", {
      prompt: "x",
      max_tokens: 6,
      logit_bias: { "128": 100 },
      temperature: 0,
      stream: true,
    });
    const events = await readSse(res);
    assert.equal(events.at(-1), "[DONE]");
    const text = events.slice(0, -1).map((e) => JSON.parse(e).choices[0].text).join("");
    assert.equal(text, "\ufffd".repeat(6));
  });
});

Deno.test("handler: chat templates that raise give 400 naming messages", async () => {
  const template = new ChatTemplate(
    "{% if messages[0].role != 'system' %}{{ raise_exception('a system message comes first') }}" +
      "{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}",
  );
  const { handler } = await demoHandler({ chatTemplate: template });
  const bad = await post(handler, "/v1/chat/completions", {
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(bad.status, 400);
  const err = (await bad.json()).error;
  assert.equal(err.param, "messages");
  assert.equal(err.code, "template_error");
  assert.match(err.message, /a system message comes first/);
  const good = await post(handler, "/v1/chat/completions", {
    messages: [{ role: "system", content: "s" }, { role: "user", content: "hi" }],
    max_tokens: 2,
  });
  assert.equal(good.status, 200);
  assert.equal((await good.json()).usage.prompt_tokens, 4); // BOS + "s" + "hi" (2 tokens)
});

Deno.test("handler: a scheduler's rejection becomes 429 with Retry-After", async () => {
  const rejectAll: Scheduler = {
    name: "reject-all",
    schedule: (ctx) => ({
      run: [],
      preempt: [],
      reject: ctx.waiting.map((s) => ({
        seqId: s.id,
        reason: "SLO cannot be met",
        retryAfterMs: 2500,
      })),
    }),
  };
  const { handler } = await demoHandler({}, { scheduler: rejectAll });
  for (const stream of [false, true]) {
    const res = await post(handler, "/v1/completions", { prompt: "a", max_tokens: 2, stream });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "3");
    const err = (await res.json()).error;
    assert.equal(err.code, "request_rejected");
    assert.match(err.message, /SLO cannot be met/);
  }
  assert.equal(handler.numInFlight, 0);
});
