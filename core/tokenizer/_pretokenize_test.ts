import assert from "node:assert/strict";
import { preTokenize, preTokenizerFor } from "./_pretokenize.ts";

const split = (pre: string, text: string) => preTokenize(text, preTokenizerFor(pre));
const SAMPLE = "Hello 12345 'RE  world!!\n\n x";

Deno.test("pretokenize: GPT-2, Llama 3 and Qwen2 expressions", () => {
  assert.deepEqual(split("gpt-2", SAMPLE), [
    "Hello",
    " 12345",
    " '",
    "RE",
    " ",
    " world",
    "!!",
    "\n\n",
    " x",
  ]);
  assert.deepEqual(split("llama-bpe", SAMPLE), [
    "Hello",
    " ",
    "123",
    "45",
    " '",
    "RE",
    " ",
    " world",
    "!!\n\n",
    " x",
  ]);
  assert.deepEqual(split("qwen2", SAMPLE), [
    "Hello",
    " ",
    "1",
    "2",
    "3",
    "4",
    "5",
    " '",
    "RE",
    " ",
    " world",
    "!!\n\n",
    " x",
  ]);
  assert.deepEqual(split("llama3", "it'S"), ["it", "'S"]);
  assert.deepEqual(split("gpt-2", "it'S"), ["it", "'", "S"]);
  assert.deepEqual(split("starcoder", "x42"), ["x", "4", "2"]);
});

Deno.test("pretokenize: whitespace as llama.cpp sees it", () => {
  // NBSP is whitespace (but not " "); U+FEFF is not whitespace.
  assert.deepEqual(split("gpt-2", "a\u00a0\u00a0b"), ["a", "\u00a0", "\u00a0", "b"]);
  assert.deepEqual(split("gpt-2", "a\ufeffb"), ["a", "\ufeff", "b"]);
});

Deno.test("pretokenize: every known name splits without losing text", () => {
  const names = [
    "default",
    "",
    "gpt-2",
    "starcoder",
    "llama3",
    "qwen2",
    "deepseek-llm",
    "deepseek-coder",
    "deepseek-v3",
    "falcon",
    "tekken",
    "gpt-4o",
    "bloom",
    "command-r",
    "olmo",
  ];
  const text = "Ünïcødé ✓ 🦙 I've 3.14159 日本語テキスト 한국어 Ωμέγα\r\n\t  x=y+1;\u3000end";
  for (const name of names) {
    const pre = preTokenizerFor(name);
    assert.ok(pre.known, name);
    const words = preTokenize(text, pre);
    assert.equal(words.join(""), text, name);
    assert.ok(words.every((w) => w.length > 0), name);
  }
  assert.equal(preTokenizerFor("no-such-pre").known, false);
  assert.deepEqual(split("no-such-pre", SAMPLE), split("gpt-2", SAMPLE));
});
