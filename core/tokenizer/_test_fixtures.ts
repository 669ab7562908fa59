/**
 * Test helpers: llama.cpp's tokenizer test vectors and the shared GGUF fixtures.
 *
 * @module
 */
import { GgufFile } from "../model/gguf.ts";
import { type GgufTokenizer, tokenizerFromGguf } from "./gguf_vocab.ts";

/** The shared fixtures folder, beside the project's checkout. */
export const FIXTURES = new URL("../../../shared/fixtures/", import.meta.url);

/** Every `ggml-vocab-*.gguf` in the fixtures that has `.inp` / `.out` vectors. */
export function vectorVocabs(): string[] {
  const dir = new URL("tokenizer/", FIXTURES);
  const names: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".gguf.inp")) names.push(e.name.slice(0, -".inp".length));
  }
  return names.sort();
}

/** One vector: a text and the ids llama.cpp gives for it (no BOS, no special parsing). */
export interface VocabVector {
  readonly text: string;
  readonly ids: readonly number[];
}

/**
 * Reads `NAME.inp` / `NAME.out`, as llama.cpp's test does: texts separated by
 * `\n__ggml_vocab_test__\n` (each text is followed by one, so the part after the last is
 * not a text), and one line of ids per text.
 */
export function readVectors(name: string): VocabVector[] {
  const inp = Deno.readTextFileSync(new URL(`tokenizer/${name}.inp`, FIXTURES));
  const out = Deno.readTextFileSync(new URL(`tokenizer/${name}.out`, FIXTURES));
  const texts = inp.split("\n__ggml_vocab_test__\n");
  const tail = texts.pop();
  if (tail !== "") throw new Error(`${name}.inp does not end with a separator`);
  const lines = out.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length !== texts.length) {
    throw new Error(`${name}: ${texts.length} texts but ${lines.length} lines of ids`);
  }
  return texts.map((text, i) => ({
    text,
    ids: lines[i]!.trim() === "" ? [] : lines[i]!.trim().split(/\s+/).map(Number),
  }));
}

const cache = new Map<string, Promise<GgufTokenizer>>();

/** The tokenizer of a GGUF file (path relative to the fixtures folder), loaded once. */
export function fixtureTokenizer(path: string): Promise<GgufTokenizer> {
  let t = cache.get(path);
  if (t === undefined) {
    t = (async () => {
      const f = await GgufFile.open(new URL(path, FIXTURES).pathname);
      try {
        return tokenizerFromGguf(f.metadata);
      } finally {
        f.close();
      }
    })();
    cache.set(path, t);
  }
  return t;
}
