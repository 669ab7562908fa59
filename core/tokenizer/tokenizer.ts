/**
 * The Tokenizer contract: text ↔ token ids, with the special-token facts the engine needs
 * (BOS, EOS/EOT, whether BOS is added) and raw token bytes for streaming detokenization.
 *
 * @module
 */

/** Options of {@linkcode Tokenizer.encode}. */
export interface EncodeOptions {
  /** Add BOS/EOS as the vocabulary asks (default true). */
  readonly addSpecial?: boolean;
  /** Parse special-token text such as `<|im_start|>` into its id (default false). */
  readonly parseSpecial?: boolean;
}

/** Options of {@linkcode Tokenizer.decode}. */
export interface DecodeOptions {
  /** Leave out control/special tokens such as BOS and EOS (default true). */
  readonly skipSpecial?: boolean;
}

/**
 * Text ↔ ids. Implementations: the GGUF vocabulary (SentencePiece-style and byte-level
 * BPE) and `tokenizer.json`.
 *
 * @example
 * ```ts
 * import type { Tokenizer } from "@loom/core";
 * function countTokens(t: Tokenizer, text: string): number {
 *   return t.encode(text, { addSpecial: false }).length;
 * }
 * console.log(typeof countTokens); // "function"
 * ```
 */
export interface Tokenizer {
  /** Number of token ids. */
  readonly vocabSize: number;
  /** Beginning-of-sequence id, when the vocabulary has one. */
  readonly bosId: number | undefined;
  /** Ids that end generation (EOS, EOT, ...). */
  readonly eosIds: readonly number[];
  /** Whether `encode` with `addSpecial` prepends BOS. */
  readonly addBos: boolean;
  /** Text → ids. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids → text. Invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /**
   * The bytes a token contributes to the text when it follows other tokens (for the
   * incremental detokenizer); special tokens give their text's UTF-8 bytes.
   */
  tokenBytes(id: number): Uint8Array;
  /** Whether an id is a control/special token (BOS, EOS, `<|im_end|>`, ...). */
  isSpecial(id: number): boolean;
  /** A token's piece as stored in the vocabulary. */
  tokenText(id: number): string;
  /** The id of a piece, when the vocabulary has it. */
  tokenId(piece: string): number | undefined;
}
