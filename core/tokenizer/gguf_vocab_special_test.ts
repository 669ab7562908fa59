import assert from "node:assert/strict";
import { TokenizerError } from "../errors.ts";
import type { GgufValue } from "../model/gguf.ts";
import { tokenizerFromGguf } from "./gguf_vocab.ts";
import { fixtureTokenizer } from "./_test_fixtures.ts";

const SPM = "tokenizer/ggml-vocab-llama-spm.gguf";
const PHI3 = "tokenizer/ggml-vocab-phi-3.gguf";
const GPT2 = "tokenizer/ggml-vocab-gpt-2.gguf";
const byteId = (b: number) => 3 + b; // llama-spm: <0x00> is id 3

/** A small SPM vocabulary: specials, byte tokens, a few pieces. */
function spmMeta(extra: Record<string, GgufValue> = {}): Record<string, GgufValue> {
  const tokens = ["<unk>", "<s>", "</s>", "<0x41>", "<0x20>", "\u2581", "a", "b", "\u2581a", "ab"];
  const types = [2, 3, 3, 6, 6, 1, 1, 1, 1, 1];
  tokens.push("<|x|>", "<|x|>y", "[U]");
  types.push(3, 3, 4);
  return {
    "tokenizer.ggml.model": "llama",
    "tokenizer.ggml.tokens": tokens,
    "tokenizer.ggml.scores": tokens.map((_, i) => -i),
    "tokenizer.ggml.token_type": types,
    ...extra,
  };
}

Deno.test("gguf special: control tokens are parsed only when asked", async () => {
  const phi3 = await fixtureTokenizer(PHI3);
  const text = "<|user|>\nHi<|end|>";
  const parsed = phi3.encode(text, { addSpecial: false, parseSpecial: true });
  assert.equal(parsed[0], 32010);
  assert.equal(parsed.at(-1), 32007);
  const plain = phi3.encode(text, { addSpecial: false });
  assert.ok(!plain.includes(32010) && !plain.includes(32007));
  assert.equal(phi3.decode(plain), text);

  const gpt2 = await fixtureTokenizer(GPT2);
  assert.deepEqual(gpt2.encode("<|endoftext|>", { parseSpecial: true }), [50256]);
  const asText = gpt2.encode("<|endoftext|>");
  assert.ok(asText.length > 1 && !asText.includes(50256));
  assert.equal(gpt2.decode(asText), "<|endoftext|>");
  assert.equal(gpt2.decode([50256]), "");
  assert.equal(gpt2.decode([50256], { skipSpecial: false }), "<|endoftext|>");
});

Deno.test("gguf special: user-defined tokens are always matched (llama.cpp)", async () => {
  const phi3 = await fixtureTokenizer(PHI3); // "</s>" is user-defined here
  assert.ok(phi3.encode("a</s>b", { addSpecial: false }).includes(2));
  const tok = tokenizerFromGguf(spmMeta());
  assert.deepEqual(tok.encode("a[U]", { addSpecial: false }), [8, 12]);
  assert.equal(tok.isSpecial(12), false);
  assert.equal(tok.decode([8, 12]), "a[U]");
});

Deno.test("gguf special: the longest special token wins", () => {
  const tok = tokenizerFromGguf(spmMeta());
  assert.deepEqual(tok.encode("<|x|>y", { addSpecial: false, parseSpecial: true }), [11]);
  assert.deepEqual(tok.encode("<|x|>", { addSpecial: false, parseSpecial: true }), [10]);
  // Text after a special token gets the SentencePiece space prefix again (as llama.cpp).
  assert.deepEqual(tok.encode("<|x|>a", { addSpecial: false, parseSpecial: true }), [10, 8]);
});

Deno.test("gguf special: BOS/EOS flags and space prefix", () => {
  const tok = tokenizerFromGguf(spmMeta({ "tokenizer.ggml.add_eos_token": true }));
  assert.deepEqual(tok.encode("a"), [1, 8, 2]);
  assert.deepEqual(tok.encode("a", { addSpecial: false }), [8]);
  assert.deepEqual(tok.encode(""), [1, 2]);
  const noPrefix = tokenizerFromGguf(spmMeta({ "tokenizer.ggml.add_space_prefix": false }));
  assert.deepEqual(noPrefix.encode("ab", { addSpecial: false }), [9]);
  assert.equal(noPrefix.decode([5, 6]), " a");
  const noBos = tokenizerFromGguf(spmMeta({ "tokenizer.ggml.add_bos_token": false }));
  assert.deepEqual(noBos.encode("a"), [8]);
});

Deno.test("gguf special: byte fallback and the unknown token", () => {
  const tok = tokenizerFromGguf(spmMeta());
  // "A" has a byte token; "é" has neither piece nor byte tokens: <unk> per byte.
  assert.deepEqual(tok.encode("A", { addSpecial: false }), [5, 3]);
  assert.deepEqual(tok.encode("é", { addSpecial: false }), [5, 0, 0]);
});

Deno.test("gguf decode: bytes, U+FFFD, BOM, leading space", async () => {
  const spm = await fixtureTokenizer(SPM);
  assert.equal(spm.decode([byteId(0xe2), byteId(0x82), byteId(0xac)]), "€");
  assert.equal(spm.decode([byteId(0xe2), byteId(0x82)]), "\ufffd");
  assert.equal(spm.decode([byteId(0xff), byteId(0x41)]), "\ufffdA");
  assert.equal(spm.decode([1, 15043]), "Hello");
  assert.equal(spm.decode([1, 15043], { skipSpecial: false }), "<s> Hello");
  assert.equal(spm.decode([15043, 15043]), "Hello Hello");
  assert.deepEqual(spm.tokenBytes(15043), new TextEncoder().encode(" Hello"));
  assert.deepEqual(spm.tokenBytes(byteId(0x0a)), Uint8Array.of(0x0a));
  assert.deepEqual(spm.tokenBytes(1), new TextEncoder().encode("<s>"));
  for (const text of ["\ufeffhi", " \ufeff", "x\u00a0\u3000y"]) {
    assert.equal(spm.decode(spm.encode(text)), text);
  }
  const gpt2 = await fixtureTokenizer(GPT2);
  assert.equal(gpt2.decode(gpt2.encode("\ufeffhi \u00e9\u{1f999}")), "\ufeffhi \u00e9\u{1f999}");
  assert.equal(gpt2.decode(gpt2.encode(" Hello")), " Hello");
  assert.throws(() => spm.decode([32000]), TokenizerError);
  assert.throws(() => spm.tokenBytes(-1), TokenizerError);
});

function expectError(meta: Record<string, GgufValue>, key: string): void {
  assert.throws(
    () => tokenizerFromGguf(meta),
    (e: unknown) => e instanceof TokenizerError && e.message.includes(key),
    key,
  );
}

Deno.test("gguf errors: malformed vocabulary metadata names the key", () => {
  const gpt2 = {
    "tokenizer.ggml.model": "gpt2",
    "tokenizer.ggml.tokens": ["a", "b", "ab"],
    "tokenizer.ggml.merges": ["a b"],
  };
  tokenizerFromGguf(gpt2);
  expectError({ "tokenizer.ggml.model": "llama" }, "tokenizer.ggml.tokens");
  expectError({ ...spmMeta(), "tokenizer.ggml.tokens": [1, 2] }, "tokenizer.ggml.tokens");
  expectError({ ...spmMeta(), "tokenizer.ggml.tokens": [] }, "tokenizer.ggml.tokens");
  expectError({ ...spmMeta(), "tokenizer.ggml.tokens": "abc" }, "tokenizer.ggml.tokens");
  expectError({}, "tokenizer.ggml.model");
  expectError({ ...spmMeta(), "tokenizer.ggml.model": "bert" }, "tokenizer.ggml.model");
  expectError({ ...gpt2, "tokenizer.ggml.merges": [1] }, "tokenizer.ggml.merges");
  expectError({ ...gpt2, "tokenizer.ggml.merges": undefined! }, "tokenizer.ggml.merges");
  expectError({ ...spmMeta(), "tokenizer.ggml.scores": [0] }, "tokenizer.ggml.scores");
  expectError({ ...spmMeta(), "tokenizer.ggml.token_type": ["x"] }, "tokenizer.ggml.token_type");
  expectError({ ...spmMeta(), "tokenizer.ggml.bos_token_id": 99 }, "tokenizer.ggml.bos_token_id");
  expectError({ ...spmMeta(), "tokenizer.ggml.eos_token_id": -1 }, "tokenizer.ggml.eos_token_id");
  expectError({ ...spmMeta(), "tokenizer.ggml.eot_token_id": 1n << 60n }, "tokenizer.ggml.eot");
  expectError({ ...spmMeta(), "tokenizer.ggml.add_bos_token": 1 }, "tokenizer.ggml.add_bos_token");
  expectError({ ...gpt2, "tokenizer.ggml.add_bos_token": true }, "bos_token_id");
});
