/**
 * Every example runs as its doc line says (small settings), and prints what the same calls
 * compute in this process. The browser example is tests/browser_test.ts.
 */
import assert from "node:assert/strict";
import {
  buildDemoModel,
  type ConversationMessage,
  Engine,
  type GenerationDelta,
  PagedCacheManager,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

const EXAMPLES = new URL("../examples/", import.meta.url);

/** Runs `deno run -A examples/<name> ...args` with `input` on stdin. */
async function runExample(
  name: string,
  args: string[] = [],
  input = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(name, EXAMPLES).pathname, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

async function demoEngine(): Promise<Engine> {
  return new Engine({
    model: await buildDemoModel(new ReferenceBackend()),
    cache: new PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
    scheduler: new FcfsScheduler(),
  });
}

async function text(stream: AsyncIterable<GenerationDelta>): Promise<string> {
  let s = "";
  for await (const d of stream) s += d.text;
  return s;
}

Deno.test("quickstart.ts prints the greedy continuation", async () => {
  const r = await runExample("quickstart.ts");
  assert.equal(r.code, 0, r.stderr);
  const engine = await demoEngine();
  const want = await text(engine.generate("Once upon a time", { maxTokens: 24, temperature: 0 }));
  assert.equal(r.stdout, `${want}\n`);
});

Deno.test("chat.ts answers each piped line with the conversation so far", async () => {
  const r = await runExample(
    "chat.ts",
    ["--temperature", "0", "--max-tokens", "8"],
    "Hi\n\nTell me more\n",
  );
  assert.equal(r.code, 0, r.stderr);
  const engine = await demoEngine();
  const history: ConversationMessage[] = [];
  let want = "";
  for (const line of ["Hi", "Tell me more"]) {
    history.push({ role: "user", content: line });
    const reply = await text(engine.chat(history, { maxTokens: 8, temperature: 0, seed: 1 }));
    history.push({ role: "assistant", content: reply });
    want += `loom> ${reply}\n`;
  }
  assert.equal(r.stdout, want);
});

Deno.test("custom_server.ts serves its own route beside the OpenAI ones", async (t) => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("custom_server.ts", EXAMPLES).pathname, "--port", "0"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    first += value;
  }
  const base = first.match(/listening on (http:\S+)/)?.[1];
  try {
    assert.ok(base, `no address in ${JSON.stringify(first)}`);
    await t.step("POST /story streams SSE events", async () => {
      const res = await fetch(`${base}/story`, {
        method: "POST",
        body: JSON.stringify({ topic: "a loom", max_tokens: 6, temperature: 0 }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const events = (await res.text()).split("\n\n").filter((e) => e).map((e) => e.slice(6));
      assert.equal(events.at(-1), "[DONE]");
      const got = events.slice(0, -1).map((e) => JSON.parse(e).text).join("");
      const engine = await demoEngine();
      const want = await text(
        engine.generate("A story about a loom:", { maxTokens: 6, temperature: 0 }),
      );
      assert.equal(got, want);
    });
    await t.step("bad input is an OpenAI-shaped error", async () => {
      const res = await fetch(`${base}/story`, { method: "POST", body: "{}" });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.message, "topic must be a string");
      const get = await fetch(`${base}/story`);
      assert.equal(get.status, 405);
      await get.body?.cancel();
    });
    await t.step("the OpenAI routes are there", async () => {
      const res = await fetch(`${base}/v1/completions`, {
        method: "POST",
        body: JSON.stringify({ prompt: "Hi", max_tokens: 3 }),
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).usage.completion_tokens, 3);
    });
  } finally {
    child.kill("SIGINT");
    await lines.cancel();
  }
  assert.equal((await child.status).code, 0);
});

Deno.test("compare_schedulers.ts prints one row per policy", async () => {
  const r = await runExample("compare_schedulers.ts", [
    "--scenario",
    "reference-demo",
    "--requests",
    "30",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.split("\n").map((l) => l.split(/\s+/));
  for (const name of ["fcfs", "preemptive", "slo-aware"]) {
    const row = rows.find((cells) => cells[0] === name);
    assert.ok(row, `no ${name} row in\n${r.stdout}`);
    assert.equal(Number(row[1]) + Number(row[2]), 30); // done + rejected
  }
});

Deno.test("custom_scheduler.ts runs", async () => {
  const r = await runExample("custom_scheduler.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /steps: \d+/);
});
