/**
 * Splits text on special-token texts before tokenization, as llama.cpp does: the tokens are
 * tried longest first, each splitting every text fragment left so far; a token's `lstrip` /
 * `rstrip` attribute eats ASCII whitespace beside it.
 *
 * @module
 */

/** A token whose text is matched in the input. */
export interface SpecialToken {
  readonly text: string;
  readonly id: number;
  /** Matched even when special parsing is off (user-defined tokens). */
  readonly always: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

/** A piece of text still to tokenize, or a token id already decided. */
export type Fragment = string | number;

const encoder = new TextEncoder();

/** Orders special tokens longest first (by UTF-8 length), then by id. */
export function sortSpecialTokens(tokens: SpecialToken[]): SpecialToken[] {
  const lengths = new Map(tokens.map((t) => [t, encoder.encode(t.text).length]));
  return tokens.sort((a, b) => lengths.get(b)! - lengths.get(a)! || a.id - b.id);
}

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function splitOne(raw: string, token: SpecialToken, out: Fragment[]): void {
  let pos = 0;
  for (;;) {
    const match = raw.indexOf(token.text, pos);
    if (match < 0) {
      if (pos < raw.length) out.push(raw.slice(pos));
      return;
    }
    let leftEnd = match;
    if (token.lstrip) {
      while (leftEnd > pos && isAsciiSpace(raw.charCodeAt(leftEnd - 1))) leftEnd--;
    }
    if (leftEnd > pos) out.push(raw.slice(pos, leftEnd));
    out.push(token.id);
    pos = match + token.text.length;
    if (token.rstrip) { while (pos < raw.length && isAsciiSpace(raw.charCodeAt(pos))) pos++; }
  }
}

/**
 * Splits `text` into fragments. Tokens with `always` are matched even when `parseSpecial`
 * is false.
 */
export function splitSpecial(
  text: string,
  sortedTokens: readonly SpecialToken[],
  parseSpecial: boolean,
): Fragment[] {
  let fragments: Fragment[] = text.length > 0 ? [text] : [];
  for (const token of sortedTokens) {
    if (!parseSpecial && !token.always) continue;
    if (!fragments.some((f) => typeof f === "string" && f.includes(token.text))) continue;
    const next: Fragment[] = [];
    for (const f of fragments) {
      if (typeof f === "number") next.push(f);
      else splitOne(f, token, next);
    }
    fragments = next;
  }
  return fragments;
}
