/**
 * Writes a Hugging Face `tokenizer.json` + `tokenizer_config.json` for the vocabulary in
 * GGUF metadata — to ship a GGUF-derived model as safetensors. Byte-level BPE (`gpt2`)
 * vocabularies keep their merges and get the pre-tokenizer's expressions as `Split` steps;
 * SentencePiece (`llama`) vocabularies become BPE with byte fallback, with merges derived
 * from the piece scores the way Hugging Face's converter does (a pair merges with the rank
 * of the score of the piece it makes). Encodings match {@linkcode tokenizerFromGguf} for
 * ordinary text; exotic whitespace and tie-breaking between equal scores may differ.
 *
 * @module
 */
import type { GgufValue } from "../model/gguf.ts";
import { Attr, type GgufVocab, readGgufVocab } from "./_vocab.ts";
import { preTokenizerPatterns } from "./_pretokenize.ts";

/** A `tokenizer.json` and its `tokenizer_config.json`, as plain JSON values. */
export interface TokenizerJsonFiles {
  /** The contents of `tokenizer.json`. */
  readonly tokenizer: Record<string, unknown>;
  /** The contents of `tokenizer_config.json`. */
  readonly config: Record<string, unknown>;
}

/** Pairs of pieces whose concatenation is a piece, ranked by that piece's score (highest first). */
function spmMerges(v: GgufVocab): [string, string][] {
  const found: { left: string; right: string; score: number; id: number }[] = [];
  v.tokens.forEach((piece, id) => {
    if (!(v.attrs[id]! & Attr.normal)) return;
    const chars = [...piece];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join("");
      const right = chars.slice(i).join("");
      if (v.idOf.has(left) && v.idOf.has(right)) {
        found.push({ left, right, score: v.scores[id]!, id });
      }
    }
  });
  found.sort((a, b) => b.score - a.score || a.id - b.id);
  return found.map((m) => [m.left, m.right]);
}

function template(v: GgufVocab): Record<string, unknown> | null {
  const bos = v.addBos ? [v.bosId!] : [];
  const eos = v.addEos ? [v.eosId!] : [];
  if (bos.length + eos.length === 0) return null;
  const special = (id: number) => ({ SpecialToken: { id: v.tokens[id], type_id: 0 } });
  const single = [...bos.map(special), { Sequence: { id: "A", type_id: 0 } }, ...eos.map(special)];
  const pair = [
    ...single,
    ...bos.map(special),
    { Sequence: { id: "B", type_id: 1 } },
    ...eos.map(special),
  ];
  const specialTokens = Object.fromEntries(
    [...bos, ...eos].map((
      id,
    ) => [v.tokens[id], { id: v.tokens[id], ids: [id], tokens: [v.tokens[id]] }]),
  );
  return { type: "TemplateProcessing", single, pair, special_tokens: specialTokens };
}

/**
 * Converts GGUF vocabulary metadata to `tokenizer.json` + `tokenizer_config.json`.
 *
 * @example
 * ```ts
 * import { GgufFile, tokenizerFromJson, tokenizerJsonFromGguf } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * const { tokenizer, config } = tokenizerJsonFromGguf(f.metadata);
 * f.close();
 * const tok = tokenizerFromJson(tokenizer, config);
 * console.log(tok.encode("Once upon a time")); // [1, 9038, 2501, 263, 931]
 * ```
 */
export function tokenizerJsonFromGguf(
  metadata: Readonly<Record<string, GgufValue>>,
): TokenizerJsonFiles {
  const v = readGgufVocab(metadata);
  const isSpm = v.model === "llama";
  const addedTokens: Record<string, unknown>[] = [];
  v.attrs.forEach((a, id) => {
    if (!(a & (Attr.control | Attr.unknown | Attr.userDefined))) return;
    addedTokens.push({
      id,
      content: v.tokens[id],
      single_word: false,
      lstrip: (a & Attr.lstrip) !== 0,
      rstrip: (a & Attr.rstrip) !== 0,
      normalized: false,
      special: (a & (Attr.control | Attr.unknown)) !== 0,
    });
  });
  const vocab = Object.fromEntries(
    v.tokens.map((t, id) => [t, id]).filter(([t, id]) => v.idOf.get(t as string) === id),
  );
  const model = {
    type: "BPE",
    dropout: null,
    unk_token: v.unkId === undefined ? null : v.tokens[v.unkId],
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: isSpm,
    byte_fallback: isSpm,
    ignore_merges: v.ignoreMerges,
    vocab,
    merges: isSpm ? spmMerges(v) : v.merges.map((m) => {
      const at = m.indexOf(" ", 1);
      return [m.slice(0, at), m.slice(at + 1)];
    }),
  };
  const patterns = preTokenizerPatterns(v.pre) ?? preTokenizerPatterns("gpt-2")!;
  const tokenizer = isSpm
    ? {
      version: "1.0",
      added_tokens: addedTokens,
      normalizer: {
        type: "Sequence",
        normalizers: [
          ...(v.addSpacePrefix ? [{ type: "Prepend", prepend: "\u2581" }] : []),
          { type: "Replace", pattern: { String: " " }, content: "\u2581" },
        ],
      },
      pre_tokenizer: null,
      post_processor: template(v),
      decoder: {
        type: "Sequence",
        decoders: [
          { type: "Replace", pattern: { String: "\u2581" }, content: " " },
          { type: "ByteFallback" },
          { type: "Fuse" },
          ...(v.addSpacePrefix ? [{ type: "Strip", content: " ", start: 1, stop: 0 }] : []),
        ],
      },
      model,
    }
    : {
      version: "1.0",
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: {
        type: "Sequence",
        pretokenizers: [
          ...patterns.map((p) => ({
            type: "Split",
            pattern: { Regex: p.replace(/\\u\{([0-9A-Fa-f]+)\}/g, "\\x{$1}") },
            behavior: "Isolated",
            invert: false,
          })),
          { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: template(v),
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model,
    };
  const name = (id: number | undefined) => (id === undefined ? null : v.tokens[id]);
  const chatTemplate = metadata["tokenizer.chat_template"];
  const config = {
    bos_token: name(v.bosId),
    eos_token: name(v.eosId),
    unk_token: name(v.unkId),
    pad_token: name(v.padId),
    add_bos_token: v.addBos,
    add_eos_token: v.addEos,
    clean_up_tokenization_spaces: false,
    ...(typeof chatTemplate === "string" ? { chat_template: chatTemplate } : {}),
  };
  return { tokenizer, config };
}
