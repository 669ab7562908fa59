/**
 * The OpenAI-compatible server driven by the official `openai` npm client, against the real
 * server on 127.0.0.1 over the built-in demo model.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startServer, type TestServer } from "./_server_fixture.ts";

function client(s: TestServer, apiKey = "unused"): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${s.origin}/v1`, maxRetries: 0, timeout: 20_000 });
}

/** Greedy text straight from the engine, for comparison. */
async function engineText(s: TestServer, prompt: string, maxTokens: number): Promise<string> {
  let text = "";
  for await (const d of s.engine.generate(prompt, { maxTokens, temperature: 0 })) text += d.text;
  return text;
}

Deno.test("server: completions and chat through the openai client", async (t) => {
  const s = await startServer();
  const ai = client(s);
  const model = "loom-demo";
  try {
    await t.step("models lists the demo model", async () => {
      const list = await ai.models.list();
      assert.deepEqual(list.data.map((m) => m.id), [model]);
    });

    await t.step("completion, greedy, equals the engine's own output", async () => {
      const r = await ai.completions.create({
        model,
        prompt: "Once upon a time",
        max_tokens: 12,
        temperature: 0,
      });
      assert.equal(r.object, "text_completion");
      assert.equal(r.choices.length, 1);
      assert.equal(r.choices[0]!.text, await engineText(s, "Once upon a time", 12));
      assert.equal(r.choices[0]!.finish_reason, "length");
      assert.equal(r.usage!.completion_tokens, 12);
      assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + 12);
      assert.equal(typeof r.usage!.prompt_tokens_details?.cached_tokens, "number");
    });

    await t.step("streamed completion equals the whole one; usage comes last", async () => {
      const whole = await engineText(s, "Hello there", 10);
      const stream = await ai.completions.create({
        model,
        prompt: "Hello there",
        max_tokens: 10,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "", usage, finish;
      for await (const c of stream) {
        text += c.choices[0]?.text ?? "";
        finish ??= c.choices[0]?.finish_reason ?? undefined;
        if (c.usage) usage = c.usage;
      }
      assert.equal(text, whole);
      assert.equal(finish, "length");
      assert.equal(usage?.completion_tokens, 10);
    });

    await t.step("n = 2 with a seed gives two reproducible choices", async () => {
      const ask = () =>
        ai.completions.create({ model, prompt: "abc", max_tokens: 6, n: 2, seed: 42 });
      const [a, b] = [await ask(), await ask()];
      assert.deepEqual(a.choices.map((c) => c.index), [0, 1]);
      assert.deepEqual(a.choices.map((c) => c.text), b.choices.map((c) => c.text));
      assert.equal(a.usage!.completion_tokens, 12);
    });

    await t.step("a stop sequence ends the text before it", async () => {
      const full = await engineText(s, "The cat", 24);
      const stop = [...full.slice(4)].find((ch) => ch.trim() !== "" && ch !== "\ufffd")!;
      const cut = full.indexOf(stop);
      const r = await ai.completions.create({
        model,
        prompt: "The cat",
        max_tokens: 24,
        temperature: 0,
        stop: [stop],
      });
      assert.equal(r.choices[0]!.text, full.slice(0, cut));
      assert.equal(r.choices[0]!.finish_reason, "stop");
    });

    await t.step("completion logprobs: one entry per token, top alternatives", async () => {
      const r = await ai.completions.create({
        model,
        prompt: "hi",
        max_tokens: 5,
        temperature: 0,
        logprobs: 3,
      });
      const lp = r.choices[0]!.logprobs!;
      assert.equal(lp.tokens!.length, 5);
      assert.equal(lp.token_logprobs!.length, 5);
      for (const top of lp.top_logprobs!) assert.ok(Object.keys(top).length <= 3);
      assert.ok(lp.token_logprobs!.every((v) => v <= 0));
      assert.equal(lp.text_offset![0], 0);
    });

    await t.step("a repeated long prompt is served from the prefix cache", async () => {
      const prompt = "the quick brown fox jumps over the lazy dog ".repeat(6);
      const ask = () => ai.completions.create({ model, prompt, max_tokens: 2, temperature: 0 });
      const first = await ask();
      const second = await ask();
      assert.equal(first.usage!.prompt_tokens, second.usage!.prompt_tokens);
      assert.ok(second.usage!.prompt_tokens_details!.cached_tokens! >= 16);
    });

    await t.step("chat: whole and streamed answers agree", async () => {
      const messages = [{ role: "user" as const, content: "Hi!" }];
      const r = await ai.chat.completions.create({
        model,
        messages,
        max_completion_tokens: 8,
        temperature: 0,
      });
      assert.equal(r.object, "chat.completion");
      assert.equal(r.choices[0]!.message.role, "assistant");
      const numTokens = r.usage!.completion_tokens;
      assert.ok(numTokens <= 8 && (numTokens === 8) === (r.choices[0]!.finish_reason === "length"));
      const stream = await ai.chat.completions.create({
        model,
        messages,
        max_completion_tokens: 8,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "", role, usage;
      for await (const c of stream) {
        role ??= c.choices[0]?.delta.role;
        text += c.choices[0]?.delta.content ?? "";
        if (c.usage) usage = c.usage;
      }
      assert.equal(role, "assistant");
      assert.equal(text, r.choices[0]!.message.content);
      // same counts; the second request found the first's full prompt blocks cached
      assert.equal(usage?.completion_tokens, r.usage!.completion_tokens);
      assert.equal(usage?.prompt_tokens, r.usage!.prompt_tokens);
      const numFullBlocks = Math.floor((r.usage!.prompt_tokens - 1) / 16) * 16;
      assert.equal(usage?.prompt_tokens_details?.cached_tokens, numFullBlocks);
    });

    await t.step("chat: n = 2 and logprobs with top_logprobs", async () => {
      const r = await ai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "Tell me" }],
        max_tokens: 4,
        n: 2,
        seed: 3,
        logprobs: true,
        top_logprobs: 2,
      });
      assert.equal(r.choices.length, 2);
      for (const c of r.choices) {
        const content = c.logprobs!.content!;
        assert.ok(content.length >= 1 && content.length <= 4);
        assert.ok(content.every((e) => e.top_logprobs.length === 2 && Array.isArray(e.bytes)));
      }
    });

    await t.step("bad parameter → 400 naming it", async () => {
      const err = await ai.completions.create({ model, prompt: "x", top_p: 2 }).catch((e) => e);
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.param, "top_p");
      const bad = await ai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "x" }],
        temperature: -1,
      }).catch((e) => e);
      assert.equal(bad.status, 400);
      assert.equal(bad.param, "temperature");
    });

    await t.step("unknown model → 404", async () => {
      const err = await ai.completions.create({ model: "gpt-9", prompt: "x" }).catch((e) => e);
      assert.ok(err instanceof OpenAI.NotFoundError);
      assert.equal(err.code, "model_not_found");
    });

    await t.step("prompt over the context → 400 naming the prompt", async () => {
      const err = await ai.completions.create({ model, prompt: Array(3000).fill(5), max_tokens: 1 })
        .catch((e) => e);
      assert.equal(err.status, 400);
      assert.equal(err.param, "prompt");
    });
  } finally {
    await s.close();
  }
});

Deno.test("server: API key and queue cap", async (t) => {
  await t.step("wrong or missing key → 401; right key works", async () => {
    const s = await startServer({ apiKey: "sekret" });
    try {
      const err = await client(s, "wrong").models.list().catch((e) => e);
      assert.ok(err instanceof OpenAI.AuthenticationError);
      const ok = await client(s, "sekret").completions.create({
        model: "loom-demo",
        prompt: "a",
        max_tokens: 2,
      });
      assert.equal(ok.choices.length, 1);
      assert.equal((await fetch(`${s.origin}/health`)).status, 200);
    } finally {
      await s.close();
    }
  });

  await t.step("queue full → 429 with Retry-After", async () => {
    const s = await startServer({}, { maxWaiting: 0 });
    try {
      const err = await client(s).completions.create({ model: "loom-demo", prompt: "a" })
        .catch((e) => e);
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.headers.get("retry-after"), "1");
      assert.equal(err.code, "queue_full");
    } finally {
      await s.close();
    }
  });
});
