import assert from "node:assert/strict";
import type { Tokenizer } from "./tokenizer.ts";
import { IncrementalDetokenizer, type IncrementalDetokenizerOptions } from "./detokenizer.ts";
import { BYTE_TO_CHAR } from "./_byte_level.ts";
import { fixtureTokenizer, readVectors, vectorVocabs } from "./_test_fixtures.ts";

function stream(tok: Tokenizer, ids: readonly number[], options?: IncrementalDetokenizerOptions) {
  const detok = new IncrementalDetokenizer(tok, options);
  const pieces = ids.map((id) => detok.push(id));
  pieces.push(detok.flush());
  return pieces;
}

/** A seeded generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes biased towards UTF-8 structure: ASCII, lead bytes, continuation bytes, invalid bytes. */
function randomBytes(next: () => number, n: number): number[] {
  const pools = [[0x41, 0x20, 0x0a], [0xc3, 0xe2, 0xf0, 0xed, 0xf4, 0xe0], [
    0x80,
    0x82,
    0xa4,
    0xbf,
  ]];
  return Array.from({ length: n }, () => {
    const r = next();
    if (r < 0.1) return Math.floor(next() * 256);
    const pool = pools[r < 0.35 ? 0 : r < 0.6 ? 1 : 2]!;
    return pool[Math.floor(next() * pool.length)]!;
  });
}

for (const name of vectorVocabs()) {
  Deno.test(`detokenizer: ${name} vectors, token by token`, async () => {
    const tok = await fixtureTokenizer(`tokenizer/${name}`);
    for (const v of readVectors(name)) {
      for (const ids of [v.ids, tok.encode(v.text)]) {
        const pieces = stream(tok, ids);
        assert.equal(pieces.join(""), tok.decode(ids), JSON.stringify(v.text));
        assert.equal(pieces.join(""), v.text);
        // A valid text never shows a replacement character on the way.
        assert.ok(pieces.every((p) => !p.includes("\ufffd")), JSON.stringify(v.text));
        const all = stream(tok, ids, { skipSpecial: false }).join("");
        assert.equal(all, tok.decode(ids, { skipSpecial: false }));
      }
    }
  });
}

Deno.test("detokenizer: random byte tokens give U+FFFD exactly as decode", async () => {
  const spm = await fixtureTokenizer("tokenizer/ggml-vocab-llama-spm.gguf");
  const gpt2 = await fixtureTokenizer("tokenizer/ggml-vocab-gpt-2.gguf");
  const byteIds = {
    spm: (b: number) => spm.tokenId(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`)!,
    gpt2: (b: number) => gpt2.tokenId(BYTE_TO_CHAR[b]!)!,
  };
  const next = rng(42);
  for (let trial = 0; trial < 300; trial++) {
    const bytes = randomBytes(next, 1 + Math.floor(next() * 12));
    for (const [tok, toId] of [[spm, byteIds.spm], [gpt2, byteIds.gpt2]] as const) {
      const ids = bytes.map(toId);
      // Mix in whole tokens and a special token now and then.
      if (next() < 0.3) ids.splice(Math.floor(next() * ids.length), 0, tok === spm ? 15043 : 15496);
      if (next() < 0.2) ids.splice(Math.floor(next() * ids.length), 0, tok === spm ? 2 : 50256);
      const expected = tok.decode(ids);
      assert.equal(stream(tok, ids).join(""), expected, `bytes ${bytes}`);
      const expectedAll = tok.decode(ids, { skipSpecial: false });
      assert.equal(stream(tok, ids, { skipSpecial: false }).join(""), expectedAll);
      const decoded = new TextDecoder("utf-8", { ignoreBOM: true }).decode(Uint8Array.from(bytes));
      if (ids.length === bytes.length) {
        // SentencePiece drops the space it prefixes, even from a leading <0x20> byte token.
        assert.equal(expected, tok === spm ? decoded.replace(/^ /, "") : decoded);
      }
    }
  }
});

Deno.test("detokenizer: holds back incomplete characters", async () => {
  const spm = await fixtureTokenizer("tokenizer/ggml-vocab-llama-spm.gguf");
  const detok = new IncrementalDetokenizer(spm);
  const euro = [0xe2, 0x82, 0xac].map((b) => 3 + b);
  assert.equal(detok.push(euro[0]!), "");
  assert.equal(detok.push(euro[1]!), "");
  assert.equal(detok.push(euro[2]!), "€");
  assert.equal(detok.push(3 + 0xf0), "");
  assert.equal(detok.flush(), "\ufffd");
});

Deno.test("detokenizer: leading space of the first token", async () => {
  const spm = await fixtureTokenizer("tokenizer/ggml-vocab-llama-spm.gguf");
  const ids = [1, 15043, 3186]; // <s> ▁Hello ▁world
  assert.equal(stream(spm, ids).join(""), "Hello world");
  assert.equal(stream(spm, ids.slice(1), { continuation: true }).join(""), " Hello world");
  assert.equal(stream(spm, ids, { skipSpecial: false }).join(""), "<s> Hello world");
  const gpt2 = await fixtureTokenizer("tokenizer/ggml-vocab-gpt-2.gguf");
  const hello = gpt2.encode(" Hello");
  assert.equal(stream(gpt2, hello).join(""), " Hello");
});
