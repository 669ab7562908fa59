import assert from "node:assert/strict";
import { GgufFile } from "../model/gguf.ts";
import { tokenizerFromGguf } from "./gguf_vocab.ts";
import { tokenizerFromJson } from "./hf_tokenizer.ts";
import { tokenizerJsonFromGguf } from "./tokenizer_json.ts";
import { FIXTURES, readVectors, vectorVocabs } from "./_test_fixtures.ts";

for (const name of vectorVocabs()) {
  Deno.test(`tokenizer.json from GGUF: ${name} encodes the vectors as the GGUF tokenizer`, async () => {
    const f = await GgufFile.open(new URL(`tokenizer/${name}`, FIXTURES).pathname);
    const gguf = tokenizerFromGguf(f.metadata);
    const { tokenizer, config } = tokenizerJsonFromGguf(f.metadata);
    f.close();
    // What a writer would do: through JSON text.
    const hf = tokenizerFromJson(
      JSON.parse(JSON.stringify(tokenizer)),
      JSON.parse(JSON.stringify(config)),
    );
    assert.equal(hf.vocabSize, gguf.vocabSize);
    assert.equal(hf.bosId, gguf.bosId);
    assert.equal(hf.addBos, gguf.addBos);
    assert.ok(gguf.eosId === undefined || hf.eosIds.includes(gguf.eosId));
    for (const v of readVectors(name)) {
      for (const addSpecial of [false, true]) {
        const ids = hf.encode(v.text, { addSpecial });
        assert.deepEqual(ids, gguf.encode(v.text, { addSpecial }), JSON.stringify(v.text));
        assert.equal(hf.decode(ids), v.text);
      }
    }
  });
}
