/**
 * Pre-tokenizers of byte-level BPE vocabularies, keyed by `tokenizer.ggml.pre`: the regular
 * expressions llama.cpp applies (one after another, each splitting every piece left by the
 * previous one; text between matches stays a piece of its own). Whitespace follows
 * llama.cpp: non-ASCII whitespace is matched as if it were `\v`, and U+FEFF is not
 * whitespace. `default` (and a missing name) is llama.cpp's DEFAULT set of four expressions,
 * not GPT-2's; an unknown name falls back to the GPT-2 expression.
 *
 * @module
 */

const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`;
const CONTRACTIONS = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`;
const LLAMA3 = CONTRACTIONS +
  String
    .raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2 = CONTRACTIONS +
  String.raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
/** Letters of DeepSeek LLM's pre-tokenizer (from its tokenizer.json, as in llama.cpp). */
const DEEPSEEK_LETTERS = String
  .raw`A-Za-z\u{B5}\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{1BA}\u{1BC}-\u{1BF}\u{1C4}-\u{293}\u{295}-\u{2AF}\u{370}-\u{373}\u{376}\u{377}\u{37B}-\u{37D}\u{37F}\u{386}\u{388}-\u{38A}\u{38C}\u{38E}-\u{3A1}\u{3A3}-\u{3F5}\u{3F7}-\u{481}\u{48A}-\u{52F}\u{531}-\u{556}\u{10A0}-\u{10C5}\u{13A0}-\u{13F5}\u{13F8}-\u{13FD}\u{1C90}-\u{1CBA}\u{1CBD}-\u{1CBF}\u{1D00}-\u{1D2B}\u{1D6B}-\u{1D77}\u{1D79}-\u{1D9A}\u{1E00}-\u{1F15}\u{1F18}-\u{1F1D}\u{1F20}-\u{1F45}\u{1F48}-\u{1F4D}\u{1F50}-\u{1F57}\u{1F59}\u{1F5B}\u{1F5D}\u{1F5F}-\u{1F7D}\u{1F80}-\u{1FB4}\u{1FB6}-\u{1FBC}\u{1FBE}\u{1FC2}-\u{1FC4}\u{1FC6}-\u{1FCC}\u{1FD0}-\u{1FD3}\u{1FD6}-\u{1FDB}\u{1FE0}-\u{1FEC}\u{1FF2}-\u{1FF4}\u{1FF6}-\u{1FFC}\u{2102}\u{2107}\u{210A}-\u{2113}\u{2115}\u{2119}-\u{211D}\u{2124}\u{2126}\u{2128}\u{212A}-\u{212D}\u{212F}-\u{2134}\u{2139}\u{213C}-\u{213F}\u{2145}-\u{2149}\u{214E}\u{2183}\u{2184}\u{2C00}-\u{2C7B}\u{2C7E}-\u{2CE4}\u{2CEB}-\u{2CEE}\u{2CF2}\u{2CF3}\u{A640}-\u{A66D}\u{A680}-\u{A69B}\u{A722}-\u{A76F}\u{A771}-\u{A787}\u{A78B}-\u{A78E}\u{AB70}-\u{ABBF}\u{FB00}-\u{FB06}\u{FB13}-\u{FB17}\u{FF21}-\u{FF3A}\u{FF41}-\u{FF5A}\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}`;
const CJK = String.raw`[\u{4E00}-\u{9FA5}\u{800}-\u{4E00}\u{AC00}-\u{D7FF}]+`;
/** llama.cpp's adaptation of Tekken / GPT-4o's case-aware letters (`(?=\p{L})[^a-z]` = "upper"). */
const UPPER = String.raw`((?=[\p{L}])([^a-z]))`;
const LOWER = String.raw`((?=[\p{L}])([^A-Z]))`;

const GROUPS: readonly { names: readonly string[]; patterns: readonly string[] }[] = [
  {
    names: ["default"],
    patterns: [String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, String.raw`\p{N}+`, "[0-9][0-9][0-9]"],
  },
  {
    names: [
      "gpt-2",
      "gpt2",
      "phi-2",
      "jina-es",
      "jina-de",
      "gigachat",
      "jina-v2-es",
      "jina-v2-de",
      "a.x-4.0",
      "mellum",
      "modern-bert",
      "mpt",
      "olmo",
      "jais",
      "trillion",
      "granite-docling",
      "exaone4",
      "jina-v1-en",
      "jina-v2-code",
      "roberta-bpe",
    ],
    patterns: [GPT2],
  },
  {
    names: ["starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"],
    patterns: [String.raw`\p{N}`, GPT2],
  },
  {
    names: [
      "llama3",
      "llama-v3",
      "llama-bpe",
      "falcon3",
      "falcon-h1",
      "pixtral",
      "midm-2.0",
      "lfm2",
      "dbrx",
      "smaug-bpe",
      "chatglm-bpe",
      "glm4",
    ],
    patterns: [LLAMA3],
  },
  {
    names: ["qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan", "megrez"],
    patterns: [QWEN2],
  },
  {
    names: ["deepseek-llm"],
    patterns: [
      String.raw`[\r\n]`,
      String.raw`\s?[${DEEPSEEK_LETTERS}]+`,
      String.raw`\s?[!-/:-~\u{FF01}-\u{FF0F}\u{FF1A}-\u{FF5E}\u{2018}-\u{201F}\u{3000}-\u{3002}]+`,
      String.raw`\s+$`,
      CJK,
      String.raw`\p{N}+`,
    ],
  },
  {
    names: ["deepseek-coder"],
    patterns: [
      String.raw`[\r\n]`,
      String.raw`\s?\p{L}+`,
      String.raw`\s?\p{P}+`,
      CJK,
      String.raw`\p{N}`,
    ],
  },
  {
    names: ["deepseek-v3", "hunyuan-dense"],
    patterns: [
      String.raw`\p{N}{1,3}`,
      String.raw`[\u{4E00}-\u{9FA5}\u{3040}-\u{309F}\u{30A0}-\u{30FF}]+`,
      "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+" +
      String
        .raw`|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    ],
  },
  {
    names: ["falcon"],
    patterns: [String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, "[0-9][0-9][0-9]"],
  },
  {
    names: ["tekken"],
    patterns: [
      String.raw`[^\r\n\p{L}\p{N}]?${UPPER}*${LOWER}+|[^\r\n\p{L}\p{N}]?${UPPER}+${LOWER}*` +
      String.raw`|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    ],
  },
  {
    names: ["gpt-4o", "llama4"],
    patterns: [
      String.raw`[^\r\n\p{L}\p{N}]?${UPPER}*${LOWER}+${CONTRACTIONS}?` +
      String.raw`|[^\r\n\p{L}\p{N}]?${UPPER}+${LOWER}*${CONTRACTIONS}?` +
      String.raw`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    ],
  },
  {
    names: ["bloom", "poro-chat", "gpt3-finnish"],
    patterns: [String.raw` ?[^(\s|.,!?…。，、।۔،)]+`],
  },
];

/** Rewrites `\s` / `\S` to llama.cpp's whitespace (after masking: ASCII `\t`-`\r` and space). */
function compile(source: string): RegExp {
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const d = source[i + 1]!;
      if (d === "s") out += inClass ? String.raw`\t-\r ` : String.raw`[\t-\r ]`;
      else if (d === "S") out += String.raw`[^\t-\r ]`;
      else out += c + d;
      i++;
      continue;
    }
    if (c === "[" && !inClass) inClass = true;
    else if (c === "]" && inClass) inClass = false;
    out += c;
  }
  return new RegExp(out, "gu");
}

const BY_NAME = new Map<string, readonly string[]>();
for (const g of GROUPS) for (const name of g.names) BY_NAME.set(name, g.patterns);

/** A compiled pre-tokenizer. */
export interface PreTokenizer {
  /** Whether the name was known (false: the GPT-2 fallback is used). */
  readonly known: boolean;
  readonly regexes: readonly RegExp[];
}

/**
 * The regular expressions (JavaScript `u`-mode sources, `\s` meaning llama.cpp's
 * whitespace) of a `tokenizer.ggml.pre` value, or undefined when the name is unknown.
 */
export function preTokenizerPatterns(pre: string): readonly string[] | undefined {
  return BY_NAME.get(pre === "" ? "default" : pre);
}

/** The pre-tokenizer for a `tokenizer.ggml.pre` value (`""` means `default`, as in llama.cpp). */
export function preTokenizerFor(pre: string): PreTokenizer {
  const patterns = preTokenizerPatterns(pre);
  return { known: patterns !== undefined, regexes: (patterns ?? [GPT2]).map(compile) };
}

const NON_ASCII_SPACE = /[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;

/** Splits text into words. */
export function preTokenize(text: string, pre: PreTokenizer): string[] {
  const masked = text.replace(NON_ASCII_SPACE, "\v");
  let bounds = [0, text.length];
  for (const re of pre.regexes) {
    const next: number[] = [];
    for (let k = 0; k < bounds.length; k += 2) {
      const start = bounds[k]!;
      const end = bounds[k + 1]!;
      let last = 0;
      for (const m of masked.slice(start, end).matchAll(re)) {
        if (m[0].length === 0) continue;
        if (m.index > last) next.push(start + last, start + m.index);
        last = m.index + m[0].length;
        next.push(start + m.index, start + last);
      }
      if (start + last < end) next.push(start + last, end);
    }
    bounds = next;
  }
  const words: string[] = [];
  for (let k = 0; k < bounds.length; k += 2) words.push(text.slice(bounds[k], bounds[k + 1]));
  return words;
}
