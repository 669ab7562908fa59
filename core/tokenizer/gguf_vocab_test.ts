import assert from "node:assert/strict";
import { FIXTURES, fixtureTokenizer, readVectors, vectorVocabs } from "./_test_fixtures.ts";

const VOCABS = vectorVocabs();

Deno.test("gguf vocab: the fixtures hold the four expected vocabularies", () => {
  for (const name of ["llama-spm", "phi-3", "gpt-2", "starcoder"]) {
    assert.ok(VOCABS.includes(`ggml-vocab-${name}.gguf`), name);
  }
});

for (const name of VOCABS) {
  Deno.test(`gguf vocab: ${name} reproduces llama.cpp's test vectors`, async () => {
    const tok = await fixtureTokenizer(`tokenizer/${name}`);
    const vectors = readVectors(name);
    assert.ok(vectors.length > 0);
    const failures: string[] = [];
    for (const [i, v] of vectors.entries()) {
      const ids = tok.encode(v.text, { addSpecial: false, parseSpecial: false });
      if (JSON.stringify(ids) !== JSON.stringify(v.ids)) {
        failures.push(`#${i} ${JSON.stringify(v.text)}\n  want ${v.ids}\n  got  ${ids}`);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n"));
  });

  Deno.test(`gguf vocab: ${name} decodes every vector back to its text`, async () => {
    const tok = await fixtureTokenizer(`tokenizer/${name}`);
    for (const v of readVectors(name)) {
      assert.equal(tok.decode(v.ids), v.text, JSON.stringify(v.text));
      const withSpecial = tok.encode(v.text, { addSpecial: true });
      assert.equal(tok.decode(withSpecial), v.text, JSON.stringify(v.text));
    }
  });
}

interface ReferenceRecord {
  readonly model_file: string;
  readonly prompt: string;
  readonly prompt_ids: readonly number[];
}

Deno.test("gguf vocab: prompt ids of llama.cpp's reference records", async () => {
  const records: ReferenceRecord[] = JSON.parse(
    await Deno.readTextFile(new URL("reference/expected.json", FIXTURES)),
  );
  assert.ok(records.length >= 24);
  const files = new Set<string>();
  for (const r of records) {
    const path = r.model_file === "llama-2-tiny-random.gguf"
      ? `gguf/${r.model_file}`
      : `reference/${r.model_file}`;
    files.add(path);
    const tok = await fixtureTokenizer(path);
    const ids = tok.encode(r.prompt, { addSpecial: true, parseSpecial: true });
    assert.deepEqual(ids, r.prompt_ids, `${r.model_file}: ${r.prompt.slice(0, 40)}`);
    assert.equal(tok.decode(ids), r.prompt);
  }
  assert.ok(files.size >= 8, [...files].join(", "));
});

Deno.test("gguf vocab: special-token facts of the fixtures", async () => {
  const spm = await fixtureTokenizer("tokenizer/ggml-vocab-llama-spm.gguf");
  assert.equal(spm.model, "llama");
  assert.equal(spm.vocabSize, 32000);
  assert.equal(spm.bosId, 1);
  assert.deepEqual(spm.eosIds, [2]);
  assert.equal(spm.unkId, 0);
  assert.equal(spm.addBos, true);
  assert.deepEqual(spm.encode("Hello"), [1, 15043]);
  assert.ok(spm.isSpecial(1) && spm.isSpecial(0) && !spm.isSpecial(15043));
  assert.equal(spm.tokenText(15043), "\u2581Hello");
  assert.equal(spm.tokenId("\u2581Hello"), 15043);
  assert.equal(spm.tokenId("no such piece"), undefined);

  const phi3 = await fixtureTokenizer("tokenizer/ggml-vocab-phi-3.gguf");
  assert.deepEqual(phi3.eosIds, [32000, 32007]); // <|endoftext|>, <|end|>
  assert.equal(phi3.eotId, 32007);

  const gpt2 = await fixtureTokenizer("tokenizer/ggml-vocab-gpt-2.gguf");
  assert.equal(gpt2.model, "gpt2");
  assert.equal(gpt2.addBos, false);
  assert.deepEqual(gpt2.encode("Hello world"), [15496, 995]);
  assert.deepEqual(gpt2.eosIds, [50256]);

  const starcoder = await fixtureTokenizer("tokenizer/ggml-vocab-starcoder.gguf");
  assert.equal(starcoder.pre, "starcoder");
  assert.ok(starcoder.preKnown);
  assert.ok(starcoder.eosIds.includes(0));
});
