/**
 * Tokenizers from Hugging Face `tokenizer.json` (+ `tokenizer_config.json`), encoding with
 * `@huggingface/tokenizers`. Loom adds what the library leaves out: special tokens are
 * parsed only when asked (the library always splits on added tokens, so a second instance
 * without the special ones encodes plain text), BOS/EOS follow `tokenizer_config.json`
 * (`bos_token`, `eos_token`, `add_bos_token`, `add_eos_token`; otherwise what the
 * post-processor adds), and decoding goes token by token through the bytes of each piece, so
 * it agrees with the {@linkcode IncrementalDetokenizer}. `decode` applies no "clean up
 * tokenization spaces" pass.
 *
 * @module
 */
import { Tokenizer as HfLibTokenizer } from "@huggingface/tokenizers";
import { TokenizerError } from "../errors.ts";
import type { DecodeOptions, EncodeOptions, Tokenizer } from "./tokenizer.ts";
import { checkId, decodeIds } from "./_decode.ts";
import { type PieceDecoder, pieceDecoder } from "./_hf_decoder.ts";
import { EOG_TEXTS } from "./_vocab.ts";

const encoder = new TextEncoder();

interface AddedTokenJson {
  readonly id: number;
  readonly content: string;
  readonly special?: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A token named in tokenizer_config.json: a string or `{ content }`. */
function tokenName(config: Json, key: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.content === "string") return v.content;
  throw new TokenizerError(`tokenizer_config.json: ${key} must be a string or {content}`);
}

function optionalFlag(config: Json, key: string): boolean | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") {
    throw new TokenizerError(`tokenizer_config.json: ${key} must be a boolean`);
  }
  return v;
}

/**
 * A {@linkcode Tokenizer} over a `tokenizer.json`. Make one with {@linkcode tokenizerFromJson}.
 *
 * @example
 * ```ts
 * import { tokenizerFromJson } from "@loom/core";
 * const tok = tokenizerFromJson({
 *   model: { type: "BPE", vocab: { a: 0, b: 1, ab: 2 }, merges: ["a b"] },
 *   added_tokens: [{ id: 3, content: "<s>", special: true }],
 * }, { bos_token: "<s>", add_bos_token: true });
 * console.log(tok.encode("ab"), tok.prefixIds, tok.isSpecial(3)); // [3, 2] [3] true
 * ```
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosIds: readonly number[];
  readonly addBos: boolean;
  /** Ids `encode` puts before the text when `addSpecial` is true. */
  readonly prefixIds: readonly number[];
  /** Ids `encode` puts after the text when `addSpecial` is true. */
  readonly suffixIds: readonly number[];

  readonly #all: HfLibTokenizer;
  readonly #plain: HfLibTokenizer;
  readonly #added = new Map<number, AddedTokenJson>();
  readonly #decoder: PieceDecoder;
  readonly #bytes = new Map<number, Uint8Array>();

  /**
   * Prefer {@linkcode tokenizerFromJson}, which checks the arguments first.
   *
   * @param json A parsed tokenizer.json.
   * @param config A parsed tokenizer_config.json.
   */
  constructor(json: Json, config: Json) {
    const added = (json.added_tokens ?? []) as AddedTokenJson[];
    if (
      !Array.isArray(added) ||
      added.some((t) => !isObject(t) || typeof t.content !== "string" || !Number.isInteger(t.id))
    ) {
      throw new TokenizerError("tokenizer.json: added_tokens must be a list of {id, content}");
    }
    const base = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      ...json,
      added_tokens: added,
    };
    try {
      this.#all = new HfLibTokenizer(base, config);
      this.#plain = added.some((t) => t.special)
        ? new HfLibTokenizer({ ...base, added_tokens: added.filter((t) => !t.special) }, config)
        : this.#all;
    } catch (e) {
      throw new TokenizerError(`tokenizer.json: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const t of added) this.#added.set(t.id, t);
    this.#decoder = pieceDecoder(json.decoder);
    let maxId = -1;
    for (const id of this.#all.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;

    const idOf = (key: string): number | undefined => {
      const name = tokenName(config, key);
      if (name === undefined) return undefined;
      const id = this.#all.token_to_id(name);
      if (id === undefined) {
        throw new TokenizerError(
          `tokenizer_config.json: ${key} ${JSON.stringify(name)} is not in the vocabulary`,
        );
      }
      return id;
    };
    const [prefix, suffix] = this.#probeTemplate();
    const bosId = idOf("bos_token") ?? (prefix.length === 1 ? prefix[0] : undefined);
    const eosId = idOf("eos_token");
    const addBos = optionalFlag(config, "add_bos_token");
    const addEos = optionalFlag(config, "add_eos_token");
    if (addBos && bosId === undefined) {
      throw new TokenizerError(
        "tokenizer_config.json: add_bos_token is true but there is no bos_token",
      );
    }
    if (addEos && eosId === undefined) {
      throw new TokenizerError(
        "tokenizer_config.json: add_eos_token is true but there is no eos_token",
      );
    }
    this.prefixIds = addBos === undefined ? prefix : addBos ? [bosId!] : [];
    this.suffixIds = addEos === undefined ? suffix : addEos ? [eosId!] : [];
    this.bosId = bosId;
    this.addBos = bosId !== undefined && this.prefixIds[0] === bosId;
    const eos = new Set<number>(eosId === undefined ? [] : [eosId]);
    for (const t of added) if (t.special && EOG_TEXTS.has(t.content)) eos.add(t.id);
    this.eosIds = [...eos];
  }

  /** What the post-processor adds around a text: [prefix, suffix]. */
  #probeTemplate(): [number[], number[]] {
    const bare = this.#all.encode("a", { add_special_tokens: false }).ids;
    const full = this.#all.encode("a", { add_special_tokens: true }).ids;
    for (let i = 0; i + bare.length <= full.length; i++) {
      if (bare.every((id, k) => full[i + k] === id)) {
        return [full.slice(0, i), full.slice(i + bare.length)];
      }
    }
    return [[], []];
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const lib = options.parseSpecial ? this.#all : this.#plain;
    const ids = text.length === 0 ? [] : lib.encode(text, { add_special_tokens: false }).ids;
    return options.addSpecial ?? true ? [...this.prefixIds, ...ids, ...this.suffixIds] : ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return decodeIds(this, ids, options.skipSpecial ?? true, this.#decoder.stripLeadingSpace);
  }

  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize);
    let bytes = this.#bytes.get(id);
    if (bytes === undefined) {
      const added = this.#added.get(id);
      const piece = this.#all.id_to_token(id) ?? "";
      if (added) bytes = encoder.encode(added.content);
      else if (this.#decoder.pieceBytes) bytes = this.#decoder.pieceBytes(piece);
      else bytes = encoder.encode(this.#all.decode([id], { clean_up_tokenization_spaces: false }));
      this.#bytes.set(id, bytes);
    }
    return bytes;
  }

  isSpecial(id: number): boolean {
    checkId(id, this.vocabSize);
    return this.#added.get(id)?.special === true;
  }

  tokenText(id: number): string {
    checkId(id, this.vocabSize);
    return this.#all.id_to_token(id) ?? "";
  }

  tokenId(piece: string): number | undefined {
    return this.#all.token_to_id(piece);
  }
}

/**
 * Builds a tokenizer from a parsed `tokenizer.json` and, optionally, `tokenizer_config.json`.
 *
 * @example
 * ```ts
 * import { tokenizerFromJson } from "@loom/core";
 * const alphabet = [..."abcdefghijklmnopqrstuvwxyz", "Ġ"];
 * const vocab = Object.fromEntries(alphabet.map((c, i) => [c, i]));
 * const tok = tokenizerFromJson({
 *   model: { type: "BPE", vocab, merges: [] },
 *   pre_tokenizer: { type: "ByteLevel", add_prefix_space: false },
 *   decoder: { type: "ByteLevel" },
 *   added_tokens: [{ id: 27, content: "<eos>", special: true }],
 * }, { eos_token: "<eos>" });
 * console.log(tok.encode("hi"), tok.eosIds); // [7, 8] [27]
 * console.log(tok.decode([7, 8, 26, 7, 27])); // "hi h"
 * ```
 */
export function tokenizerFromJson(tokenizerJson: unknown, tokenizerConfig?: unknown): HfTokenizer {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new TokenizerError("tokenizer.json must be an object with a model");
  }
  if (tokenizerConfig !== undefined && !isObject(tokenizerConfig)) {
    throw new TokenizerError("tokenizer_config.json must be an object");
  }
  return new HfTokenizer(tokenizerJson, tokenizerConfig ?? {});
}
