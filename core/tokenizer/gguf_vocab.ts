/**
 * The tokenizer stored in a GGUF file's metadata, reproducing llama.cpp's tokenization:
 * `tokenizer.ggml.model` = `llama` (SentencePiece-style: score-driven merges over characters,
 * `▁` for spaces, byte fallback) or `gpt2` (byte-level BPE with the pre-tokenizer named by
 * `tokenizer.ggml.pre`; an unknown name falls back to GPT-2's expression).
 *
 * Differences from llama.cpp, on purpose: `decode` does not apply llama.cpp's "clean up
 * spaces" pass for BPE vocabularies (text round-trips exactly), and it removes the
 * SentencePiece space prefix from the first token that shows text even after a skipped BOS.
 * As in llama.cpp, user-defined tokens (type 4) are matched in text even when
 * `parseSpecial` is false; control and unknown tokens only when it is true.
 *
 * @module
 */
import { TokenizerError } from "../errors.ts";
import type { GgufValue } from "../model/gguf.ts";
import type { DecodeOptions, EncodeOptions, Tokenizer } from "./tokenizer.ts";
import { Attr, type GgufVocab, readGgufVocab } from "./_vocab.ts";
import { spmByteIds, spmEncode, type SpmVocab } from "./_spm.ts";
import { BpeModel } from "./_bpe.ts";
import { preTokenize, type PreTokenizer, preTokenizerFor } from "./_pretokenize.ts";
import { byteLevelDecode, byteLevelEncode } from "./_byte_level.ts";
import {
  type Fragment,
  sortSpecialTokens,
  type SpecialToken,
  splitSpecial,
} from "./_special_split.ts";
import { checkId, decodeIds } from "./_decode.ts";

const encoder = new TextEncoder();
const SPECIAL_ATTRS = Attr.control | Attr.unknown;

/**
 * A {@linkcode Tokenizer} built from GGUF metadata. Make one with {@linkcode tokenizerFromGguf}.
 *
 * @example
 * ```ts
 * import { GgufFile, tokenizerFromGguf } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * const tok = tokenizerFromGguf(f.metadata);
 * f.close();
 * console.log(tok.model, tok.bosId, tok.eosIds, tok.addBos); // "llama" 1 [2] true
 * console.log(tok.tokenText(15043), tok.isSpecial(2)); // "▁Hello" true
 * ```
 */
export class GgufTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosIds: readonly number[];
  readonly addBos: boolean;
  /** Whether `encode` with `addSpecial` appends EOS. */
  readonly addEos: boolean;
  /** The EOS id from the metadata (also in `eosIds`). */
  readonly eosId: number | undefined;
  /** The end-of-turn id (`<|eot_id|>`, `<|im_end|>`, ...), when there is one. */
  readonly eotId: number | undefined;
  /** The unknown-token id, when there is one. */
  readonly unkId: number | undefined;
  /** The padding id, when there is one. */
  readonly padId: number | undefined;
  /** `llama` (SentencePiece-style) or `gpt2` (byte-level BPE). */
  readonly model: "llama" | "gpt2";
  /** The pre-tokenizer name (`tokenizer.ggml.pre`). */
  readonly pre: string;
  /** False when `pre` is unknown and GPT-2's pre-tokenizer is used instead. */
  readonly preKnown: boolean;
  /** SentencePiece: a space is prefixed to the text, and removed again by `decode`. */
  readonly addSpacePrefix: boolean;

  readonly #vocab: GgufVocab;
  readonly #specials: readonly SpecialToken[];
  readonly #spm: SpmVocab | undefined;
  readonly #bpe: BpeModel | undefined;
  readonly #pre: PreTokenizer | undefined;
  readonly #bytes: (Uint8Array | undefined)[];

  /**
   * Prefer {@linkcode tokenizerFromGguf}, which validates the metadata first.
   *
   * @param vocab Validated vocabulary data.
   */
  constructor(vocab: GgufVocab) {
    this.#vocab = vocab;
    this.vocabSize = vocab.tokens.length;
    this.bosId = vocab.bosId;
    this.eosId = vocab.eosId;
    this.eosIds = vocab.eogIds;
    this.eotId = vocab.eotId;
    this.unkId = vocab.unkId;
    this.padId = vocab.padId;
    this.addBos = vocab.addBos;
    this.addEos = vocab.addEos;
    this.model = vocab.model;
    this.pre = vocab.pre;
    this.addSpacePrefix = vocab.addSpacePrefix;
    this.#bytes = new Array(this.vocabSize);
    const specials: SpecialToken[] = [];
    vocab.attrs.forEach((a, id) => {
      if (a & (Attr.control | Attr.userDefined | Attr.unknown)) {
        specials.push({
          text: vocab.tokens[id]!,
          id,
          always: (a & SPECIAL_ATTRS) === 0,
          lstrip: (a & Attr.lstrip) !== 0,
          rstrip: (a & Attr.rstrip) !== 0,
        });
      }
    });
    this.#specials = sortSpecialTokens(specials);
    if (vocab.model === "llama") {
      this.#spm = {
        idOf: vocab.idOf,
        scores: vocab.scores,
        byteIds: spmByteIds(vocab.idOf),
        unkId: vocab.unkId,
      };
      this.preKnown = true;
    } else {
      this.#bpe = new BpeModel(vocab.merges, vocab.idOf, vocab.ignoreMerges);
      this.#pre = preTokenizerFor(vocab.pre);
      this.preKnown = this.#pre.known;
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecial = options.addSpecial ?? true;
    const fragments = splitSpecial(text, this.#specials, options.parseSpecial ?? false);
    const out: number[] = [];
    if (addSpecial && this.addBos) out.push(this.bosId!);
    if (this.#spm) this.#encodeSpm(fragments, out);
    else this.#encodeBpe(fragments, out);
    if (addSpecial && this.addEos) out.push(this.eosId!);
    return out;
  }

  #encodeSpm(fragments: readonly Fragment[], out: number[]): void {
    let prevSpecial = true; // the text start counts as "after a special token"
    for (const f of fragments) {
      if (typeof f === "number") {
        out.push(f);
        prevSpecial = true;
        continue;
      }
      const text = (this.addSpacePrefix && prevSpecial ? " " : "") + f;
      spmEncode(text.replaceAll(" ", "\u2581"), this.#spm!, out);
      prevSpecial = false;
    }
  }

  #encodeBpe(fragments: readonly Fragment[], out: number[]): void {
    for (const f of fragments) {
      if (typeof f === "number") out.push(f);
      else {for (const word of preTokenize(f, this.#pre!)) {
          this.#bpe!.encodeWord(byteLevelEncode(word), out);
        }}
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return decodeIds(this, ids, options.skipSpecial ?? true, this.addSpacePrefix);
  }

  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize);
    let bytes = this.#bytes[id];
    if (bytes === undefined) {
      bytes = this.#pieceBytes(id);
      this.#bytes[id] = bytes;
    }
    return bytes;
  }

  #pieceBytes(id: number): Uint8Array {
    const text = this.#vocab.tokens[id]!;
    const attr = this.#vocab.attrs[id]!;
    if (attr & (Attr.control | Attr.unknown | Attr.userDefined)) return encoder.encode(text);
    if (attr & Attr.byte) {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
      if (m) return Uint8Array.of(parseInt(m[1]!, 16));
    }
    if (this.model === "llama") return encoder.encode(text.replaceAll("\u2581", " "));
    return byteLevelDecode(text);
  }

  isSpecial(id: number): boolean {
    checkId(id, this.vocabSize);
    return (this.#vocab.attrs[id]! & SPECIAL_ATTRS) !== 0;
  }

  tokenText(id: number): string {
    checkId(id, this.vocabSize);
    return this.#vocab.tokens[id]!;
  }

  tokenId(piece: string): number | undefined {
    return this.#vocab.idOf.get(piece);
  }
}

/**
 * Builds a tokenizer from GGUF metadata (`tokenizer.ggml.*`). Throws a
 * {@linkcode TokenizerError} naming the key when the vocabulary metadata is malformed.
 *
 * @example
 * ```ts
 * import { GgufFile, tokenizerFromGguf } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * const tok = tokenizerFromGguf(f.metadata);
 * f.close();
 * const ids = tok.encode("Once upon a time");
 * console.log(ids); // [1, 9038, 2501, 263, 931]
 * console.log(tok.decode(ids)); // "Once upon a time"
 * ```
 */
export function tokenizerFromGguf(metadata: Readonly<Record<string, GgufValue>>): GgufTokenizer {
  if (metadata === null || typeof metadata !== "object") {
    throw new TokenizerError("GGUF metadata must be an object");
  }
  return new GgufTokenizer(readGgufVocab(metadata));
}
