import type { Tokenizer } from "@loom/core";

const NUM_BYTES = 256;
/** BOS id of the byte tokenizer. */
export const BYTE_BOS = NUM_BYTES;
/** EOS id of the byte tokenizer. */
export const BYTE_EOS = NUM_BYTES + 1;
const SPECIAL_TEXT = ["<s>", "</s>"];

/** Token ids are UTF-8 bytes (0–255) plus BOS and EOS: enough for simulated text. */
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize = NUM_BYTES + SPECIAL_TEXT.length;
  readonly bosId = BYTE_BOS;
  readonly eosIds: readonly number[] = [BYTE_EOS];
  readonly addBos = true;
  readonly #bytes: Uint8Array[];

  constructor() {
    const enc = new TextEncoder();
    this.#bytes = Array.from(
      { length: this.vocabSize },
      (_, id) => id < NUM_BYTES ? Uint8Array.of(id) : enc.encode(SPECIAL_TEXT[id - NUM_BYTES]!),
    );
  }

  encode(text: string, options: { addSpecial?: boolean } = {}): number[] {
    const ids = Array.from(new TextEncoder().encode(text));
    return (options.addSpecial ?? true) ? [BYTE_BOS, ...ids] : ids;
  }

  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    const skip = options.skipSpecial ?? true;
    const parts = ids.filter((id) => !(skip && this.isSpecial(id))).map((id) =>
      this.tokenBytes(id)
    );
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) out.set(p, (at += p.length) - p.length);
    return new TextDecoder().decode(out);
  }

  tokenBytes(id: number): Uint8Array {
    return this.#bytes[id] ?? new Uint8Array(0);
  }

  isSpecial(id: number): boolean {
    return id >= NUM_BYTES;
  }

  tokenText(id: number): string {
    return id >= NUM_BYTES ? SPECIAL_TEXT[id - NUM_BYTES] ?? "" : String.fromCharCode(id);
  }

  tokenId(piece: string): number | undefined {
    const s = SPECIAL_TEXT.indexOf(piece);
    if (s >= 0) return NUM_BYTES + s;
    const b = new TextEncoder().encode(piece);
    return b.length === 1 ? b[0] : undefined;
  }
}
