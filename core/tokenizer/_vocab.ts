/**
 * Reads and validates the `tokenizer.ggml.*` metadata of a GGUF file into plain vocabulary
 * data, applying llama.cpp's defaults (BOS/EOS ids, add-BOS flags, end-of-generation
 * detection by token text). Malformed values give a {@linkcode TokenizerError} naming the key.
 *
 * @module
 */
import { TokenizerError } from "../errors.ts";
import type { GgufValue } from "../model/gguf.ts";

/** Token attributes (bit flags), as llama.cpp derives them from `tokenizer.ggml.token_type`. */
export const Attr = {
  unknown: 1 << 0,
  unused: 1 << 1,
  normal: 1 << 2,
  control: 1 << 3,
  userDefined: 1 << 4,
  byte: 1 << 5,
  lstrip: 1 << 7,
  rstrip: 1 << 8,
} as const;

/** `tokenizer.ggml.token_type` values → attributes (0 undefined → no flags). */
const TYPE_ATTR: Readonly<Record<number, number>> = {
  1: Attr.normal,
  2: Attr.unknown,
  3: Attr.control,
  4: Attr.userDefined,
  5: Attr.unused,
  6: Attr.byte,
};

/** Texts llama.cpp treats as end-of-generation tokens wherever they appear in a vocabulary. */
export const EOG_TEXTS: ReadonlySet<string> = new Set([
  "<|eot_id|>",
  "<|im_end|>",
  "<|end|>",
  "<end_of_turn>",
  "<|endoftext|>",
  "<|eom_id|>",
  "<EOT>",
  "_<EOT>",
  "<|end_of_text|>",
  "<end_of_utterance>",
  "<｜end▁of▁sentence｜>",
]);
/** Texts that name an end-of-turn token when `tokenizer.ggml.eot_token_id` is absent, in order of preference. */
const EOT_TEXTS = [
  "<|eot_id|>",
  "<|im_end|>",
  "<|end|>",
  "<end_of_turn>",
  "<|endoftext|>",
  "<|end_of_text|>",
  "<EOT>",
  "_<EOT>",
  "<｜end▁of▁sentence｜>",
  "<end_of_utterance>",
];
/** Pre-tokenizers for which llama.cpp adds BOS unless `add_bos_token` says otherwise. */
const PRE_ADDS_BOS = new Set(["llama3", "llama-v3", "llama-bpe", "falcon3", "tekken", "chameleon"]);
/** Pre-tokenizers for which a word already in the vocabulary skips the merges. */
const PRE_IGNORES_MERGES = new Set(["llama3", "llama-v3", "llama-bpe", "falcon3", "tekken"]);

/** Vocabulary data read from GGUF metadata. */
export interface GgufVocab {
  /** `llama` (SentencePiece-style) or `gpt2` (byte-level BPE). */
  readonly model: "llama" | "gpt2";
  /** `tokenizer.ggml.pre`, `""` when absent. */
  readonly pre: string;
  readonly tokens: readonly string[];
  /** Token scores (SPM merge priority); zeros when absent. */
  readonly scores: Float64Array;
  /** Attribute bit flags per token ({@linkcode Attr}). */
  readonly attrs: Uint16Array;
  /** Piece → id (the first id when a piece repeats). */
  readonly idOf: ReadonlyMap<string, number>;
  /** BPE merges `"left right"`, in rank order (gpt2 only). */
  readonly merges: readonly string[];
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly eotId: number | undefined;
  readonly unkId: number | undefined;
  readonly padId: number | undefined;
  /** All end-of-generation ids (EOS, EOT, EOM and well-known end tokens). */
  readonly eogIds: readonly number[];
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  /** Whether a pre-tokenized word that is itself a token skips the merges (llama3). */
  readonly ignoreMerges: boolean;
}

type Meta = Readonly<Record<string, GgufValue>>;

function stringArray(meta: Meta, key: string, required: boolean): string[] | undefined {
  const v = meta[key];
  if (v === undefined) {
    if (required) throw new TokenizerError(`missing ${key} in GGUF metadata`);
    return undefined;
  }
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new TokenizerError(`${key} must be an array of strings`);
  }
  return v as string[];
}

function numberArray(meta: Meta, key: string, minLength: number): number[] | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "number")) {
    throw new TokenizerError(`${key} must be an array of numbers`);
  }
  if (v.length < minLength) {
    throw new TokenizerError(`${key} has ${v.length} entries, fewer than the ${minLength} tokens`);
  }
  return v as number[];
}

function flag(meta: Meta, key: string, fallback: boolean): boolean {
  const v = meta[key];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new TokenizerError(`${key} must be a boolean`);
  return v;
}

function tokenId(
  meta: Meta,
  key: string,
  numTokens: number,
  fallback?: number,
): number | undefined {
  const v = meta[key];
  if (v === undefined) return fallback !== undefined && fallback < numTokens ? fallback : undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= numTokens) {
    throw new TokenizerError(
      `${key} = ${String(v)} is not a token id (vocabulary of ${numTokens})`,
    );
  }
  return v;
}

/** Reads the vocabulary from GGUF metadata. */
export function readGgufVocab(meta: Meta): GgufVocab {
  const modelValue = meta["tokenizer.ggml.model"];
  if (modelValue === undefined) throw new TokenizerError("missing tokenizer.ggml.model");
  if (modelValue !== "llama" && modelValue !== "gpt2") {
    throw new TokenizerError(
      `unsupported tokenizer.ggml.model ${JSON.stringify(modelValue)} (supported: llama, gpt2)`,
    );
  }
  const model = modelValue;
  const preValue = meta["tokenizer.ggml.pre"] ?? "";
  if (typeof preValue !== "string") throw new TokenizerError("tokenizer.ggml.pre must be a string");
  const tokens = [...stringArray(meta, "tokenizer.ggml.tokens", true)!];
  const n = tokens.length;
  if (n === 0) throw new TokenizerError("tokenizer.ggml.tokens is empty");
  const scoreList = numberArray(meta, "tokenizer.ggml.scores", n);
  const typeList = numberArray(meta, "tokenizer.ggml.token_type", n);
  const merges = model === "gpt2" ? stringArray(meta, "tokenizer.ggml.merges", true)! : [];

  const scores = new Float64Array(n);
  const attrs = new Uint16Array(n);
  const idOf = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (tokens[i] === "") tokens[i] = `[EMPTY_${i}]`;
    if (!idOf.has(tokens[i]!)) idOf.set(tokens[i]!, i);
    scores[i] = scoreList?.[i] ?? 0;
    attrs[i] = typeList ? TYPE_ATTR[typeList[i]!] ?? 0 : Attr.normal;
  }

  const isSpm = model === "llama";
  const bosId = tokenId(meta, "tokenizer.ggml.bos_token_id", n, isSpm ? 1 : undefined);
  const eosId = tokenId(meta, "tokenizer.ggml.eos_token_id", n, isSpm ? 2 : undefined);
  const unkId = tokenId(meta, "tokenizer.ggml.unknown_token_id", n, isSpm ? 0 : undefined);
  const padId = tokenId(meta, "tokenizer.ggml.padding_token_id", n);
  let eotId = tokenId(meta, "tokenizer.ggml.eot_token_id", n);
  const eomId = tokenId(meta, "tokenizer.ggml.eom_token_id", n);
  const addBos = flag(meta, "tokenizer.ggml.add_bos_token", isSpm || PRE_ADDS_BOS.has(preValue));
  const addEos = flag(meta, "tokenizer.ggml.add_eos_token", false);
  const addSpacePrefix = flag(meta, "tokenizer.ggml.add_space_prefix", isSpm);
  if (addBos && bosId === undefined) {
    throw new TokenizerError("tokenizer.ggml.add_bos_token is true but there is no bos_token_id");
  }
  if (addEos && eosId === undefined) {
    throw new TokenizerError("tokenizer.ggml.add_eos_token is true but there is no eos_token_id");
  }

  // As llama.cpp: find EOT/EOG tokens by text; such tokens become control tokens.
  eotId ??= EOT_TEXTS.map((t) => idOf.get(t)).find((id) => id !== undefined);
  const eog = new Set<number>();
  for (const [text, id] of idOf) {
    if (EOG_TEXTS.has(text) || id === eotId) {
      eog.add(id);
      attrs[id] = attrs[id]! | Attr.control;
    }
  }
  for (const id of [eosId, eotId, eomId]) if (id !== undefined) eog.add(id);
  applyNameQuirks(meta, tokens, attrs, idOf);

  return {
    model,
    pre: preValue,
    tokens,
    scores,
    attrs,
    idOf,
    merges,
    bosId,
    eosId,
    eotId,
    unkId,
    padId,
    eogIds: [...eog].sort((a, b) => a - b),
    addBos,
    addEos,
    addSpacePrefix,
    ignoreMerges: model === "gpt2" && PRE_IGNORES_MERGES.has(preValue),
  };
}

/** llama.cpp sets strip attributes for some models by name (Phi-3: rstrip after specials). */
function applyNameQuirks(
  meta: Meta,
  tokens: readonly string[],
  attrs: Uint16Array,
  idOf: ReadonlyMap<string, number>,
): void {
  const name = meta["general.name"];
  if (typeof name !== "string") return;
  const lower = name.toLowerCase();
  if (!lower.includes("phi-3") && !lower.includes("phi3")) return;
  const specialMask = Attr.control | Attr.userDefined | Attr.unknown;
  for (let i = 0; i < tokens.length; i++) {
    if (attrs[i]! & specialMask) attrs[i] = attrs[i]! | Attr.rstrip;
  }
  const eos = idOf.get("</s>");
  if (eos !== undefined) attrs[eos] = attrs[eos]! | Attr.rstrip;
  for (const text of ["<unk>", "<s>", "<|endoftext|>"]) {
    const id = idOf.get(text);
    if (id !== undefined) attrs[id] = attrs[id]! & ~Attr.rstrip;
  }
}
