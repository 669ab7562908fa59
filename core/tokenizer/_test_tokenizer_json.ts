/**
 * Test helper: a tiny byte-level BPE `tokenizer.json` (GPT-2 alphabet, a few merges, special
 * and non-special added tokens), built in code so tests need no files.
 *
 * @module
 */
import { BYTE_TO_CHAR } from "./_byte_level.ts";

/** Options of {@linkcode tinyTokenizerJson}. */
export interface TinyTokenizerOptions {
  /** Make the post-processor add `<|bos|>` (a TemplateProcessing), as Llama-3 files do. */
  readonly templateBos?: boolean;
  /** Extra fields of tokenizer_config.json. */
  readonly config?: Record<string, unknown>;
}

/** Merges, in rank order, spelling "hello", " world", " the" and "ll". */
export const TINY_MERGES: readonly string[] = [
  "h e",
  "l l",
  "he ll",
  "hell o",
  "Ġ w",
  "o r",
  "Ġw or",
  "l d",
  "Ġwor ld",
  "Ġ t",
  "Ġt he",
];

/** Added tokens: three special, one not. */
export const TINY_ADDED = ["<|bos|>", "<|im_start|>", "<|im_end|>", "<tool>"] as const;

/** Builds the tokenizer.json and tokenizer_config.json. Ids: bytes 0-255, merges, added. */
export function tinyTokenizerJson(
  options: TinyTokenizerOptions = {},
): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => (vocab[c] = b));
  for (const m of TINY_MERGES) vocab[m.replace(" ", "")] ??= Object.keys(vocab).length;
  const firstAdded = Object.keys(vocab).length;
  const added = TINY_ADDED.map((content, i) => ({
    id: firstAdded + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: content !== "<tool>",
  }));
  const bos = { SpecialToken: { id: "<|bos|>", type_id: 0 } };
  const tokenizer = {
    version: "1.0",
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: {
      type: "ByteLevel",
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: options.templateBos
      ? {
        type: "TemplateProcessing",
        single: [bos, { Sequence: { id: "A", type_id: 0 } }],
        pair: [bos, { Sequence: { id: "A", type_id: 0 } }, bos, {
          Sequence: { id: "B", type_id: 1 },
        }],
        special_tokens: { "<|bos|>": { id: "<|bos|>", ids: [firstAdded], tokens: ["<|bos|>"] } },
      }
      : null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...TINY_MERGES],
    },
  };
  return { tokenizer, config: { eos_token: "<|im_end|>", ...options.config } };
}
