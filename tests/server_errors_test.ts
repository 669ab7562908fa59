/**
 * Malformed and invalid requests against the real server: each gets a 4xx in OpenAI's error
 * shape (with `param` where a field is at fault), and the server keeps serving after each.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./_server_fixture.ts";

async function send(
  s: TestServer,
  path: string,
  body: BodyInit,
): Promise<{ status: number; error: Record<string, unknown> }> {
  const res = await fetch(`${s.origin}${path}`, { method: "POST", body });
  const json = await res.json();
  return { status: res.status, error: json.error };
}

async function stillServes(s: TestServer): Promise<void> {
  assert.equal((await fetch(`${s.origin}/health`)).status, 200);
  const res = await fetch(`${s.origin}/v1/completions`, {
    method: "POST",
    body: JSON.stringify({ prompt: "ok", max_tokens: 2 }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).usage.completion_tokens, 2);
}

const C = "/v1/completions", CHAT = "/v1/chat/completions";
const user = [{ role: "user", content: "hi" }];

/** [name, path, body, expected status, expected param (or code when prefixed with "code:")] */
const CASES: [string, string, BodyInit, number, string][] = [
  ["invalid JSON", C, '{"prompt": "a",', 400, "code:invalid_json"],
  ["top-level array", C, "[1, 2]", 400, "code:invalid_json"],
  ["empty body", C, "", 400, "code:invalid_json"],
  [
    "invalid UTF-8",
    C,
    Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d),
    400,
    "code:invalid_encoding",
  ],
  ["deeply nested JSON", C, "[".repeat(200_000) + "]".repeat(200_000), 400, "code:invalid_json"],
  [
    "nested in a field",
    C,
    `{"prompt":"a","logit_bias":${'{"a":'.repeat(100)}1${"}".repeat(100)}}`,
    400,
    "code:invalid_json",
  ],
  ["prompt of wrong type", C, '{"prompt": 5}', 400, "prompt"],
  ["missing prompt", C, "{}", 400, "prompt"],
  ["max_tokens as text", C, '{"prompt": "a", "max_tokens": "10"}', 400, "max_tokens"],
  ["fractional n", C, '{"prompt": "a", "n": 1.5}', 400, "n"],
  ["stream as text", C, '{"prompt": "a", "stream": "yes"}', 400, "stream"],
  ["stop of numbers", C, '{"prompt": "a", "stop": [1]}', 400, "stop"],
  ["logit_bias key", C, '{"prompt": "a", "logit_bias": {"abc": 1}}', 400, "logit_bias"],
  [
    "logit_bias id outside vocab",
    C,
    '{"prompt": "a", "logit_bias": {"99999": 1}}',
    400,
    "logit_bias",
  ],
  ["token id outside vocab", C, '{"prompt": [1, 2, 99999]}', 400, "prompt"],
  ["negative ttft_ms", C, '{"prompt": "a", "ttft_ms": -1}', 400, "ttft_ms"],
  ["huge token array", C, JSON.stringify({ prompt: Array(200_000).fill(7) }), 400, "prompt"],
  ["huge prompt list", C, JSON.stringify({ prompt: Array(1000).fill("a") }), 400, "prompt"],
  ["huge stop list", C, JSON.stringify({ prompt: "a", stop: Array(1000).fill("x") }), 400, "stop"],
  ["max_tokens over context", C, '{"prompt": "a", "max_tokens": 100000}', 400, "max_tokens"],
  ["messages as text", CHAT, '{"messages": "hi"}', 400, "messages"],
  ["message without role", CHAT, '{"messages": [{"content": "hi"}]}', 400, "messages[0].role"],
  [
    "image part",
    CHAT,
    JSON.stringify({ messages: [{ role: "user", content: [{ type: "image_url" }] }] }),
    400,
    "messages[0].content[0]",
  ],
  [
    "huge messages list",
    CHAT,
    JSON.stringify({ messages: Array(5000).fill(user[0]) }),
    400,
    "messages",
  ],
  [
    "top_logprobs without logprobs",
    CHAT,
    JSON.stringify({ messages: user, top_logprobs: 2 }),
    400,
    "top_logprobs",
  ],
  ["tools not a list", CHAT, JSON.stringify({ messages: user, tools: {} }), 400, "tools"],
  [
    "unsupported response_format",
    CHAT,
    JSON.stringify({ messages: user, response_format: { type: "json_schema" } }),
    400,
    "response_format",
  ],
];

Deno.test("server: malformed bodies get 400s and the server keeps serving", async (t) => {
  const s = await startServer();
  try {
    for (const [name, path, body, status, want] of CASES) {
      await t.step(name, async () => {
        const r = await send(s, path, body);
        assert.equal(r.status, status, JSON.stringify(r.error));
        assert.equal(typeof r.error["message"], "string");
        if (want.startsWith("code:")) assert.equal(r.error["code"], want.slice(5));
        else assert.equal(r.error["param"], want, JSON.stringify(r.error));
        await stillServes(s);
      });
    }
  } finally {
    await s.close();
  }
});

Deno.test("server: body size cap → 413, routes → 404/405", async () => {
  const s = await startServer({ maxBodyBytes: 1024 });
  try {
    const big = JSON.stringify({ prompt: "a".repeat(2000) });
    const r = await send(s, C, big);
    assert.equal(r.status, 413);
    assert.equal(r.error["code"], "request_too_large");
    // a streamed body without Content-Length is capped while it is read
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode(" ".repeat(400)));
        c.close();
      },
    });
    const streamed = await fetch(`${s.origin}${C}`, { method: "POST", body: chunks });
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
    const missing = await fetch(`${s.origin}/v2/nothing`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.type, "not_found_error");
    const wrong = await fetch(`${s.origin}${C}`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    await wrong.body?.cancel();
    await stillServes(s);
  } finally {
    await s.close();
  }
});
