/**
 * Streaming detokenization: text for each new token as soon as it is whole UTF-8.
 *
 * @module
 */
import type { Tokenizer } from "./tokenizer.ts";
import { utf8Decoder } from "./_decode.ts";

/** Options of {@linkcode IncrementalDetokenizer}. */
export interface IncrementalDetokenizerOptions {
  /** Leave out control/special tokens, as `decode` does (default true). */
  readonly skipSpecial?: boolean;
  /**
   * The ids continue text shown before (a prompt): keep the leading space of the first
   * token instead of removing it as `decode` does for SentencePiece vocabularies (default
   * false).
   */
  readonly continuation?: boolean;
}

/**
 * Turns ids, pushed one at a time, into text. Bytes of an incomplete UTF-8 sequence are
 * held back until a later token completes them, so no piece ever ends in a broken
 * character, and the concatenated output of all `push` calls and the final `flush` equals
 * `tokenizer.decode(allIds)` (invalid UTF-8 becomes U+FFFD in both, identically). The first
 * token's leading space is removed when `decode` would remove it (SentencePiece).
 *
 * @example
 * ```ts
 * import { GgufFile, IncrementalDetokenizer, tokenizerFromGguf } from "@loom/core";
 * const f = await GgufFile.open("../shared/fixtures/gguf/llama-2-tiny-random.gguf");
 * const tok = tokenizerFromGguf(f.metadata);
 * f.close();
 * const detok = new IncrementalDetokenizer(tok);
 * const ids = tok.encode("Ünïcødé 🦙", { addSpecial: false });
 * const pieces = ids.map((id) => detok.push(id));
 * pieces.push(detok.flush());
 * console.log(pieces.join("")); // "Ünïcødé 🦙"
 * ```
 */
export class IncrementalDetokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #skipSpecial: boolean;
  #decoder: TextDecoder = utf8Decoder();
  #atStart: boolean;

  /**
   * Starts an empty text.
   *
   * @param tokenizer The tokenizer whose ids are pushed.
   * @param options Special-token and continuation handling.
   */
  constructor(tokenizer: Tokenizer, options: IncrementalDetokenizerOptions = {}) {
    this.#tokenizer = tokenizer;
    this.#skipSpecial = options.skipSpecial ?? true;
    this.#atStart = !(options.continuation ?? false);
  }

  /** Adds one token; returns the text that became complete (possibly `""`). */
  push(id: number): string {
    const tok = this.#tokenizer;
    if (this.#skipSpecial && tok.isSpecial(id)) return "";
    let bytes = tok.tokenBytes(id);
    if (bytes.length === 0) return "";
    if (this.#atStart) {
      this.#atStart = false;
      if (bytes[0] === 0x20 && this.#decodeStripsSpace(id, bytes)) bytes = bytes.subarray(1);
    }
    return this.#decoder.decode(bytes, { stream: true });
  }

  /**
   * Ends the text: returns what is still held back (an incomplete UTF-8 sequence, as
   * U+FFFD). Tokens pushed afterwards continue the same text.
   */
  flush(): string {
    return this.#decoder.decode();
  }

  /** Whether `decode` drops the leading space of this token when it comes first. */
  #decodeStripsSpace(id: number, bytes: Uint8Array): boolean {
    const alone = this.#tokenizer.decode([id], { skipSpecial: this.#skipSpecial });
    return alone === utf8Decoder().decode(bytes.subarray(1)) &&
      alone !== utf8Decoder().decode(bytes);
  }
}
