import assert from "node:assert/strict";
import { TokenizerError } from "../errors.ts";
import { tokenizerFromJson } from "./hf_tokenizer.ts";
import { IncrementalDetokenizer } from "./detokenizer.ts";
import { tinyTokenizerJson } from "./_test_tokenizer_json.ts";

const HELLO = 259, WORLD = 264, THE = 266;
const BOS = 267, IM_START = 268, IM_END = 269, TOOL = 270;

function tiny(options?: Parameters<typeof tinyTokenizerJson>[0]) {
  const { tokenizer, config } = tinyTokenizerJson(options);
  return tokenizerFromJson(tokenizer, config);
}

Deno.test("hf tokenizer: byte-level BPE encode and decode", () => {
  const tok = tiny();
  assert.equal(tok.vocabSize, 271);
  assert.deepEqual(tok.encode("hello world the"), [HELLO, WORLD, THE]);
  assert.equal(tok.decode([HELLO, WORLD, THE]), "hello world the");
  for (const text of ["", " hello", "héllo wörld 🦙\n\t x", "\ufeffBOM"]) {
    assert.equal(tok.decode(tok.encode(text)), text);
  }
  assert.equal(tok.tokenText(WORLD), "\u0120world");
  assert.equal(tok.tokenId("hello"), HELLO);
  assert.deepEqual(tok.tokenBytes(WORLD), new TextEncoder().encode(" world"));
  assert.throws(() => tok.decode([271]), TokenizerError);
});

Deno.test("hf tokenizer: special tokens are parsed only when asked", () => {
  const tok = tiny();
  const text = "<|im_start|>hello<|im_end|>";
  assert.deepEqual(tok.encode(text, { parseSpecial: true }), [IM_START, HELLO, IM_END]);
  const plain = tok.encode(text);
  assert.ok(!plain.includes(IM_START) && !plain.includes(IM_END));
  assert.equal(tok.decode(plain), text);
  // Non-special added tokens are always matched (as Hugging Face does).
  assert.deepEqual(tok.encode("hello<tool>"), [HELLO, TOOL]);
  assert.ok(tok.isSpecial(IM_END) && !tok.isSpecial(TOOL) && !tok.isSpecial(HELLO));
  assert.equal(tok.decode([IM_START, HELLO, TOOL, IM_END]), "hello<tool>");
  assert.equal(tok.decode([IM_START, HELLO, IM_END], { skipSpecial: false }), text);
  assert.deepEqual(tok.eosIds, [IM_END]);
});

Deno.test("hf tokenizer: BOS/EOS from tokenizer_config.json and the post-processor", () => {
  const none = tiny();
  assert.equal(none.addBos, false);
  assert.equal(none.bosId, undefined);
  assert.deepEqual(none.encode("hello"), [HELLO]);

  const template = tiny({ templateBos: true });
  assert.equal(template.addBos, true);
  assert.equal(template.bosId, BOS);
  assert.deepEqual(template.encode("hello"), [BOS, HELLO]);
  assert.deepEqual(template.encode("hello", { addSpecial: false }), [HELLO]);
  assert.deepEqual(template.encode(""), [BOS]);
  assert.equal(template.decode([BOS, HELLO]), "hello");

  const off = tiny({ templateBos: true, config: { bos_token: "<|bos|>", add_bos_token: false } });
  assert.equal(off.addBos, false);
  assert.equal(off.bosId, BOS);
  assert.deepEqual(off.encode("hello"), [HELLO]);

  const on = tiny({
    config: { bos_token: { content: "<|bos|>" }, add_bos_token: true, add_eos_token: true },
  });
  assert.deepEqual(on.encode("hello"), [BOS, HELLO, IM_END]);
  assert.ok(on.addBos);
});

Deno.test("hf tokenizer: errors", () => {
  const isTokErr = (e: unknown) => e instanceof TokenizerError;
  assert.throws(() => tokenizerFromJson(null), isTokErr);
  assert.throws(() => tokenizerFromJson({}), isTokErr);
  const { tokenizer } = tinyTokenizerJson();
  assert.throws(() => tokenizerFromJson(tokenizer, "x"), isTokErr);
  assert.throws(() => tokenizerFromJson(tokenizer, { bos_token: "<nope>" }), /bos_token/);
  assert.throws(() => tokenizerFromJson(tokenizer, { add_bos_token: true }), /add_bos_token/);
  assert.throws(() => tokenizerFromJson(tokenizer, { add_bos_token: "yes" }), /add_bos_token/);
  assert.throws(
    () => tokenizerFromJson({ ...tokenizer, added_tokens: [{ id: "x" }] }),
    /added_tokens/,
  );
  assert.throws(
    () => tokenizerFromJson({ ...tokenizer, decoder: { type: "Nope" } }),
    (e: unknown) => isTokErr(e) && /Nope/.test((e as Error).message),
  );
});

Deno.test("hf tokenizer: SentencePiece-style decoder strips the first space", () => {
  const chars = ["\u2581", "h", "i", "\u2581h", "\u2581hi", "<0xC3>", "<0xA9>"];
  const tok = tokenizerFromJson({
    model: {
      type: "BPE",
      vocab: Object.fromEntries(chars.map((c, i) => [c, i])),
      merges: [["\u2581", "h"], ["\u2581h", "i"]],
      byte_fallback: true,
    },
    normalizer: {
      type: "Sequence",
      normalizers: [{ type: "Prepend", prepend: "\u2581" }, {
        type: "Replace",
        pattern: { String: " " },
        content: "\u2581",
      }],
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "\u2581" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
  });
  assert.deepEqual(tok.encode("hi hi"), [4, 4]);
  assert.equal(tok.decode([4, 4]), "hi hi");
  assert.deepEqual(tok.encode("é"), [0, 5, 6]);
  assert.equal(tok.decode([4, 5, 6]), "hi\u00e9");
  const detok = new IncrementalDetokenizer(tok);
  assert.equal([4, 5, 6, 4].map((id) => detok.push(id)).join("") + detok.flush(), "hié hi");
});

Deno.test("hf tokenizer: the incremental detokenizer agrees with decode", () => {
  const tok = tiny();
  const ids = tok.encode("hello wörld 🦙 <|im_end|> the", { parseSpecial: true });
  for (const skipSpecial of [true, false]) {
    const detok = new IncrementalDetokenizer(tok, { skipSpecial });
    const pieces = ids.map((id) => detok.push(id));
    pieces.push(detok.flush());
    assert.equal(pieces.join(""), tok.decode(ids, { skipSpecial }));
    assert.ok(pieces.every((p) => !p.includes("\ufffd")));
  }
});
