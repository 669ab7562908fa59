/**
 * Decoding shared by the tokenizers and the incremental detokenizer: token bytes are
 * concatenated and decoded as UTF-8 (invalid sequences → U+FFFD, a leading U+FEFF kept).
 *
 * @module
 */
import { TokenizerError } from "../errors.ts";

/** Decodes UTF-8 without dropping a leading byte-order mark. */
export function utf8Decoder(): TextDecoder {
  return new TextDecoder("utf-8", { ignoreBOM: true });
}

/** What decoding needs from a tokenizer. */
export interface DecodeSource {
  readonly vocabSize: number;
  tokenBytes(id: number): Uint8Array;
  isSpecial(id: number): boolean;
}

/** Throws unless `id` is a token id of a vocabulary of `vocabSize`. */
export function checkId(id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new TokenizerError(`token id ${id} is out of range (vocabulary of ${vocabSize})`);
  }
}

/**
 * Ids → text. With `stripLeadingSpace`, one leading space is removed from the first token
 * that contributes bytes (the space SentencePiece prefixes to the text).
 */
export function decodeIds(
  source: DecodeSource,
  ids: readonly number[],
  skipSpecial: boolean,
  stripLeadingSpace: boolean,
): string {
  const parts: Uint8Array[] = [];
  let numBytes = 0;
  let strip = stripLeadingSpace;
  for (const id of ids) {
    checkId(id, source.vocabSize);
    if (skipSpecial && source.isSpecial(id)) continue;
    let bytes = source.tokenBytes(id);
    if (bytes.length === 0) continue;
    if (strip && bytes[0] === 0x20) bytes = bytes.subarray(1);
    strip = false;
    parts.push(bytes);
    numBytes += bytes.length;
  }
  const all = new Uint8Array(numBytes);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return utf8Decoder().decode(all);
}
