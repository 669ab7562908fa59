import assert from "node:assert/strict";
import { GgufFile, GgufWriter, quantize, tokenizerFromGguf } from "@loom/core";
import { banBytesLogitBias, benchVocab, benchWords } from "./_bench_vocab.ts";
import { GgufStreamWriter } from "./_gguf_stream.ts";

Deno.test("the streaming writer writes the bytes GgufWriter builds in memory", async () => {
  const q = quantize("q8_0", new Float32Array(64).map((_, i) => Math.sin(i)));
  const f = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
  const mem = new GgufWriter()
    .add("general.architecture", "string", "llama")
    .add("x.count", "u32", 7)
    .add("x.eps", "f32", 1e-5)
    .add("x.flag", "bool", true)
    .addArray("x.names", "string", ["a", "bé"])
    .addArray("x.ids", "i32", [-1, 2])
    .addTensor("w", "q8_0", [2, 32], q)
    .addTensor("v", "f32", [3], f);
  const stream = new GgufStreamWriter()
    .add("general.architecture", "string", "llama")
    .add("x.count", "u32", 7)
    .add("x.eps", "f32", 1e-5)
    .add("x.flag", "bool", true)
    .addArray("x.names", "string", ["a", "bé"])
    .addArray("x.ids", "i32", [-1, 2])
    .addTensor({ name: "w", dtype: "q8_0", shape: [2, 32] })
    .addTensor({ name: "v", dtype: "f32", shape: [3] });
  const path = await Deno.makeTempFile({ suffix: ".gguf" });
  try {
    await stream.write(path, async (t, sink) => {
      if (t.name === "v") return await sink(f);
      await sink(q.subarray(0, 10)); // any chunking
      await sink(q.subarray(10));
    });
    assert.deepEqual(await Deno.readFile(path), mem.toBytes());
    const bad = new GgufStreamWriter().addTensor({ name: "v", dtype: "f32", shape: [3] });
    await assert.rejects(
      () => bad.write(path, (_t, sink) => sink(new Uint8Array(8))),
      /12 expected/,
    );
  } finally {
    await Deno.remove(path);
    await Deno.remove(`${path}.tmp`).catch(() => {});
  }
});

Deno.test("bench vocabulary: one token per three-letter word, byte ids 3..258", async () => {
  const v = benchVocab();
  assert.equal(v.tokens.length, 32000);
  assert.equal(new Set(v.tokens).size, 32000);
  const w = new GgufStreamWriter()
    .add("tokenizer.ggml.model", "string", "llama")
    .addArray("tokenizer.ggml.tokens", "string", v.tokens)
    .addArray("tokenizer.ggml.scores", "f32", v.scores)
    .addArray("tokenizer.ggml.token_type", "i32", v.tokenTypes)
    .add("tokenizer.ggml.bos_token_id", "u32", 1)
    .add("tokenizer.ggml.eos_token_id", "u32", 2);
  const path = await Deno.makeTempFile({ suffix: ".gguf" });
  try {
    await w.write(path, () => Promise.resolve());
    const f = await GgufFile.open(path);
    const tok = tokenizerFromGguf(f.metadata);
    f.close();
    const text = benchWords(50, 4);
    const ids = tok.encode(text);
    assert.equal(ids.length, 51);
    assert.equal(ids[0], 1);
    assert.ok(ids.slice(1).every((id) => id > 258));
    assert.equal(tok.decode(ids, { skipSpecial: true }), text);
    assert.equal(tok.encode("é", { addSpecial: false }).length, 3); // ▁ + two byte tokens
    assert.equal(tok.tokenText(3), "<0x00>");
    assert.equal(Object.keys(banBytesLogitBias()).length, 256);
  } finally {
    await Deno.remove(path);
  }
});
