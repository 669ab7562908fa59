/**
 * GPT-2's byte-level alphabet: every byte is shown as a printable character (printable
 * Latin-1 bytes as themselves, the rest as U+0100 and up), so BPE works on text.
 *
 * @module
 */

/** Byte → its character. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) ||
      (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return out;
})();

/** Character code → byte (for the 256 alphabet characters). */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(
  BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]),
);

const encoder = new TextEncoder();

/** Text → the byte-level string of its UTF-8 bytes. */
export function byteLevelEncode(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  let out = "";
  if (ascii) {
    for (let i = 0; i < text.length; i++) out += BYTE_TO_CHAR[text.charCodeAt(i)];
    return out;
  }
  for (const b of encoder.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** A byte-level piece → its bytes; characters outside the alphabet give their UTF-8 bytes. */
export function byteLevelDecode(piece: string): Uint8Array {
  const out: number[] = [];
  for (const ch of piece) {
    const b = CHAR_TO_BYTE.get(ch.codePointAt(0)!);
    if (b !== undefined) out.push(b);
    else out.push(...encoder.encode(ch));
  }
  return Uint8Array.from(out);
}
