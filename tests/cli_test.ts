import assert from "node:assert/strict";
import { FIXTURES } from "./_llama_cpp_reference.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

async function loom(
  args: string[],
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const r = await p.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

const TINY = `${FIXTURES}gguf/llama-2-tiny-random.gguf`;

Deno.test("cli: demo generates from the built-in model and from the fixture", async () => {
  const a = await loom(["demo", "--max-tokens", "8"]);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^Once upon a time/);
  assert.match(a.err, /8 tokens/);
  const b = await loom([
    "demo",
    "--model",
    TINY,
    "--prompt",
    "Once upon a time",
    "--max-tokens",
    "5",
  ]);
  assert.equal(b.code, 0, b.err);
  assert.ok(b.out.length > "Once upon a time".length + 2, b.out);
  assert.match(b.err, /5 tokens/);
});

Deno.test("cli: tokenize, detokenize and inspect", async () => {
  const t = await loom(["tokenize", "--model", TINY], "Once upon a time");
  assert.equal(t.code, 0, t.err);
  assert.deepEqual(JSON.parse(t.out), [1, 9038, 2501, 263, 931]);
  const nb = await loom(["tokenize", "--model", TINY, "--no-bos", "--jsonl"], '"a b"\n"time"\n');
  assert.deepEqual(nb.out.trim().split("\n").map((l) => JSON.parse(l)), [[263, 289], [931]]);
  const d = await loom(["detokenize", "--model", TINY], "[9038, 2501, 263, 931]");
  assert.equal(d.out, "Once upon a time");
  const i = await loom(["inspect", "--model", `${FIXTURES}reference/mini-llama-q4_k.gguf`]);
  const info = JSON.parse(i.out);
  assert.equal(info.config.numLayers, 2);
  assert.deepEqual(info.tensorsByDtype, { q4_k: 16, f32: 5 });
});

Deno.test("cli: bad input exits non-zero with a clear message", async () => {
  const r = await loom(["demo", "--model", "/nonexistent.gguf"]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /nonexistent/);
  const u = await loom(["frobnicate"]);
  assert.equal(u.code, 2);
  assert.match(u.err, /unknown command/);
});

Deno.test("cli: template renders like jinja2 and exits 2 when the template raises", async () => {
  const vectors = JSON.parse(
    await Deno.readTextFile(`${FIXTURES}chat_templates/vectors.json`),
  );
  const dir = await Deno.makeTempDir();
  try {
    const gemma = `${FIXTURES}chat_templates/google-gemma-2-2b-it.jinja`;
    await Deno.writeTextFile(
      `${dir}/ok.json`,
      JSON.stringify({
        messages: [{ role: "user", content: "hi" }],
        add_generation_prompt: true,
        bos_token: "<bos>",
      }),
    );
    const ok = await loom(["template", "--template", gemma, "--vars", `${dir}/ok.json`]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, "<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n");
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      JSON.stringify({
        messages: [{ role: "system", content: "x" }, { role: "user", content: "y" }],
      }),
    );
    const bad = await loom(["template", "--template", gemma, "--vars", `${dir}/bad.json`]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /System role not supported/);
    const lines = await loom(
      ["template", "--template", gemma, "--jsonl"],
      `${await Deno.readTextFile(`${dir}/ok.json`)}\n${await Deno.readTextFile(
        `${dir}/bad.json`,
      )}\n`,
    );
    const out = lines.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(out[0].text, ok.out);
    assert.match(out[1].error, /System role/);
    assert.ok(Object.keys(vectors).length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
