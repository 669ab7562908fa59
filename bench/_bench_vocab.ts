/**
 * The 32000-token SentencePiece-style vocabulary of the benchmark models, generated: `<unk>`,
 * `<s>`, `</s>`, the 256 byte tokens `<0x00>`..`<0xFF>`, then lowercase pieces closed under
 * prefixes (`▁`, letters, `▁a`..`▁z`, two letters, `▁` + two letters, `▁` + three
 * letters, three letters), so every lowercase three-letter word after a space is exactly
 * one token: prompts of known token counts are plain text any server tokenizes alike.
 *
 * @module
 */

/** Vocabulary size of the benchmark models. */
export const BENCH_VOCAB_SIZE = 32000;
/** Id of `</s>`. */
export const BENCH_EOS_ID = 2;
/** Ids of the byte tokens `<0x00>`..`<0xFF>` (they can form invalid UTF-8). */
export const BENCH_BYTE_IDS = { first: 3, last: 258 } as const;

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function words(length: number): string[] {
  let out = [""];
  for (let i = 0; i < length; i++) out = out.flatMap((w) => [...LETTERS].map((c) => w + c));
  return out;
}

/** Tokens, scores and types (llama.cpp's numbering: 1 normal, 2 unknown, 3 control, 6 byte). */
export interface BenchVocab {
  readonly tokens: string[];
  readonly scores: number[];
  readonly tokenTypes: number[];
}

/**
 * Builds the vocabulary (deterministic).
 *
 * @example
 * ```ts
 * import { benchVocab } from "./_bench_vocab.ts";
 * const v = benchVocab();
 * console.log(v.tokens.length, v.tokens[3], v.tokens.includes("▁cat")); // 32000 "<0x00>" true
 * ```
 */
export function benchVocab(): BenchVocab {
  const tokens = ["<unk>", "<s>", "</s>"];
  const tokenTypes = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    tokenTypes.push(6);
  }
  const pieces = [
    "▁",
    ...words(1),
    ...words(1).map((w) => "▁" + w),
    ...words(2),
    ...words(2).map((w) => "▁" + w),
    ...words(3).map((w) => "▁" + w),
    ...words(3),
  ].slice(0, BENCH_VOCAB_SIZE - tokens.length);
  tokens.push(...pieces);
  tokenTypes.push(...pieces.map(() => 1));
  // merge priority: earlier pieces first; specials and bytes score 0 as in llama's files
  const scores = tokens.map((_, i) => (tokenTypes[i] === 1 ? -i : 0));
  return { tokens, scores, tokenTypes };
}

/**
 * Deterministic text of `numWords` lowercase three-letter words separated by spaces: one
 * token per word with the benchmark vocabulary (plus BOS), about two with real tokenizers.
 *
 * @example
 * ```ts
 * import { benchWords } from "./_bench_vocab.ts";
 * console.log(benchWords(3, 1).split(" ").length); // 3
 * ```
 */
export function benchWords(numWords: number, seed: number): string {
  let s = (seed * 2654435761) >>> 0;
  const out: string[] = [];
  for (let i = 0; i < numWords; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const n = s % (26 * 26 * 26);
    out.push(LETTERS[n % 26]! + LETTERS[Math.floor(n / 26) % 26]! + LETTERS[Math.floor(n / 676)]!);
  }
  return out.join(" ");
}

/** `logit_bias` that bans the byte tokens (and EOS when asked), as an OpenAI request field. */
export function banBytesLogitBias(banEos = false): Record<string, number> {
  const bias: Record<string, number> = {};
  for (let id = BENCH_BYTE_IDS.first; id <= BENCH_BYTE_IDS.last; id++) bias[id] = -100;
  if (banEos) bias[BENCH_EOS_ID] = -100;
  return bias;
}
