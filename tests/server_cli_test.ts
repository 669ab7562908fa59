/**
 * `loom serve` and `loom generate` as processes: the demo model by default, `--json`
 * output, and SIGTERM draining an in-flight stream before the server exits.
 */
import assert from "node:assert/strict";
import { readSse } from "./_server_fixture.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await spawn(args).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

Deno.test("cli generate: --json gives ids, text, top-5 logprobs and timings", async () => {
  const r = await run(["generate", "--prompt", "Once upon", "--max-tokens", "6", "--json"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /built-in demo model/);
  assert.match(r.err, /--model/);
  const j = JSON.parse(r.out);
  assert.equal(j.prompt, "Once upon");
  assert.equal(j.promptIds[0], 352); // the demo vocabulary's BOS
  assert.ok(j.generatedIds.length >= 1 && j.generatedIds.length <= 6);
  assert.equal(j.logprobs.length, j.generatedIds.length);
  for (const lp of j.logprobs) {
    assert.equal(lp.top.length, 5);
    assert.ok(lp.logprob <= 0 && lp.top[0].logprob >= lp.top[4].logprob);
  }
  assert.equal(j.usage.completionTokens, j.generatedIds.length);
  assert.ok(j.timings.totalMs >= 0 && j.timings.timeToFirstTokenMs >= 0);
  const plain = await run(["generate", "--prompt", "Once upon", "--max-tokens", "6"]);
  assert.equal(plain.out.trimEnd(), j.text.trimEnd()); // greedy by default: the same text
});

Deno.test("cli generate/serve: --help, missing prompt, bad scheduler and packing", async () => {
  for (const cmd of ["generate", "serve"]) {
    const h = await run([cmd, "--help"]);
    assert.equal(h.code, 0);
    assert.match(h.out, /--scheduler/);
    assert.match(h.out, /--pack-prefills/);
  }
  const missing = await run(["generate"]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /prompt: is required/);
  const bad = await run(["generate", "--prompt", "a", "--scheduler", "lottery"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown scheduler lottery \(fcfs/);
  const pack = await run(["generate", "--prompt", "a", "--pack-prefills", "some"]);
  assert.equal(pack.code, 1);
  assert.match(pack.err, /whole or chunk, not some/);
  const notFcfs = await run([
    "generate",
    "--prompt",
    "a",
    "--scheduler",
    "slo",
    "--pack-prefills=chunk",
  ]);
  assert.equal(notFcfs.code, 1);
  assert.match(notFcfs.err, /applies to the fcfs scheduler, not slo/);
});

Deno.test("cli generate: WASM threads and activations flags (q8 by default)", async () => {
  const args = ["generate", "--prompt", "Once upon", "--max-tokens", "2", "--backend", "wasm"];
  const q8 = await run([...args, "--threads", "1"]);
  assert.equal(q8.code, 0, q8.err);
  assert.match(q8.err, /wasm, 1 threads, q8 activations\]/);
  const f32 = await run([...args, "--threads", "2", "--activations", "f32"]);
  assert.equal(f32.code, 0, f32.err);
  assert.match(f32.err, /wasm, 2 threads, f32 activations\]/);
  const bad = await run([...args, "--activations", "q4"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /q8 or f32, not q4/);
  const zero = await run([...args, "--max-batch-tokens", "0"]);
  assert.equal(zero.code, 1);
  assert.match(zero.err, /max-batch-tokens/);
  const none = await run([...args, "--threads", "0"]);
  assert.equal(none.code, 1);
  assert.match(none.err, /threads/);
});

Deno.test("cli serve: listens on 127.0.0.1, SIGTERM drains an in-flight stream", async () => {
  const p = spawn(["serve", "--port", "0", "--api-key", "k", "--backend", "wasm"]);
  const lines = p.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  while (!/at (http:\/\/[^\s]+)/.test(log)) {
    const { value, done } = await lines.read();
    if (done) break;
    log += value;
  }
  const origin = /at (http:\/\/[^\s]+)/.exec(log)![1]!;
  assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(log, /steps of 128 tokens; wasm, \d+ threads, q8 activations\)/); // WASM defaults
  const res = await fetch(`${origin}/v1/completions`, {
    method: "POST",
    headers: { authorization: "Bearer k" },
    body: JSON.stringify({ prompt: "x", max_tokens: 200, ignore_eos: true, stream: true }),
  });
  assert.equal(res.status, 200);
  p.kill("SIGTERM");
  const events = await readSse(res);
  assert.equal(events.at(-1), "[DONE]");
  assert.equal(JSON.parse(events.at(-2)!).choices[0].finish_reason, "length");
  const status = await p.status;
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    log += value;
  }
  await p.stdout.cancel();
  assert.equal(status.code, 0, log);
  assert.match(log, /Draining 1 in-flight/);
});
