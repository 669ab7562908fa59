import { BYTE_TO_CHAR } from "../tokenizer/_byte_level.ts";

/** Words whose spellings become BPE merges of the generated vocabulary. */
const WORDS = [
  "the",
  "and",
  "ing",
  "ion",
  "ed",
  "er",
  "es",
  "en",
  "on",
  "in",
  "at",
  "or",
  "re",
  "an",
  "is",
  "it",
  "to",
  "of",
  "ou",
  " the",
  " and",
  " of",
  " to",
  " a",
  " in",
  " is",
  " it",
  " that",
  " was",
  " for",
  " on",
  " with",
  " he",
  " she",
  " time",
  " upon",
  " once",
  " there",
  " little",
  " story",
  " day",
  " world",
  " hello",
  " loom",
  " model",
  " token",
  " text",
];

/** Special tokens of generated models. */
export const TEST_SPECIALS = ["<|bos|>", "<|eos|>", "<|im_start|>", "<|im_end|>"] as const;

/** A small byte-level BPE vocabulary: 256 byte tokens, merges of common words, specials. */
export function testVocabulary(): {
  tokens: string[];
  merges: string[];
  tokenTypes: number[];
  printable: boolean[];
} {
  const tokens = [...BYTE_TO_CHAR];
  const printable = tokens.map((_, b) => b === 10 || (b >= 32 && b < 127));
  const have = new Set(tokens);
  const merges: string[] = [];
  for (const word of WORDS) {
    const chars = [...new TextEncoder().encode(word)].map((b) => BYTE_TO_CHAR[b]!);
    let prefix = chars[0]!;
    for (const c of chars.slice(1)) {
      const next = prefix + c;
      if (!have.has(next)) {
        have.add(next);
        merges.push(`${prefix} ${c}`);
        tokens.push(next);
        printable.push(true);
      }
      prefix = next;
    }
  }
  const tokenTypes = tokens.map(() => 1);
  for (const s of TEST_SPECIALS) {
    tokens.push(s);
    tokenTypes.push(3);
    printable.push(false);
  }
  return { tokens, merges, tokenTypes, printable };
}

/** ChatML, the template generated models carry. */
export const TEST_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
