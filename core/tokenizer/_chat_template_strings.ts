/**
 * Python's string algorithms that jinja2's filters and `str` methods share, with
 * Python's semantics: `strip(chars)`, `split(None, n)`, `splitlines()`, `replace` with a
 * count, `title()`, `capitalize()`, `center()`.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { codePoints, PY_SPACE } from "./_chat_template_python.ts";

const SPACE = new RegExp(`[${PY_SPACE}]`);
const escapeChars = (chars: string) => chars.replace(/[\\\]^-]/g, "\\$&");

/** `str.strip` / `lstrip` / `rstrip` with Python's optional `chars`. */
export function strip(s: string, chars: string | null, left: boolean, right: boolean): string {
  const set = chars === null ? PY_SPACE : escapeChars(chars);
  if (set === "") return s;
  if (left) s = s.replace(new RegExp(`^[${set}]+`, "u"), "");
  if (right) s = s.replace(new RegExp(`[${set}]+$`, "u"), "");
  return s;
}

/** `str.split(sep=None, maxsplit=-1)` and `str.rsplit`. */
export function split(
  s: string,
  sep: string | null,
  maxsplit: number,
  fromRight: boolean,
): string[] {
  if (sep === "") throw new TemplateError("empty separator");
  if (sep !== null) {
    const parts = s.split(sep);
    if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
    return fromRight
      ? [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(-maxsplit)]
      : [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
  }
  const isSpace = (c: string | undefined) => c !== undefined && SPACE.test(c);
  const out: string[] = [];
  if (!fromRight) {
    for (let i = 0;;) {
      while (isSpace(s[i])) i++;
      if (i >= s.length) break;
      if (out.length === maxsplit) {
        out.push(s.slice(i));
        break;
      }
      let j = i;
      while (j < s.length && !isSpace(s[j])) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  for (let j = s.length;;) {
    while (isSpace(s[j - 1])) j--;
    if (j <= 0) break;
    if (out.length === maxsplit) {
      out.push(s.slice(0, j));
      break;
    }
    let i = j;
    while (i > 0 && !isSpace(s[i - 1])) i--;
    out.push(s.slice(i, j));
    j = i;
  }
  return out.reverse();
}

/** `str.splitlines(keepends=False)`. */
export function splitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  // deno-lint-ignore no-control-regex -- Python's line boundaries include \x1c-\x1e
  const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let start = 0;
  for (const m of s.matchAll(re)) {
    out.push(s.slice(start, keepends ? m.index + m[0].length : m.index));
    start = m.index + m[0].length;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/** `str.replace(old, new, count=-1)`. */
export function replace(s: string, old: string, repl: string, count = -1): string {
  if (old === "") {
    const cps = codePoints(s);
    let out = "";
    let n = 0;
    for (let i = 0; i <= cps.length; i++) {
      if (count < 0 || n < count) (out += repl), n++;
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  const parts = s.split(old);
  if (count < 0 || parts.length - 1 <= count) return parts.join(repl);
  return parts.slice(0, count + 1).join(repl) + old + parts.slice(count + 1).join(old);
}

export const isCased = (ch: string) => ch.toLowerCase() !== ch.toUpperCase();

/** `str.title()`. */
export function title(s: string): string {
  let out = "";
  let prevCased = false;
  for (const ch of s) {
    out += prevCased ? ch.toLowerCase() : ch.toUpperCase();
    prevCased = isCased(ch);
  }
  return out;
}

/** `str.capitalize()`. */
export function capitalize(s: string): string {
  const [first = "", ...rest] = codePoints(s);
  return first.toUpperCase() + rest.join("").toLowerCase();
}

/** `str.center(width, fill)` / `ljust` / `rjust`. */
export function pad(s: string, width: number, fill: string, how: "center" | "left" | "right") {
  const margin = width - codePoints(s).length;
  if (margin <= 0) return s;
  const left = how === "left" ? 0 : how === "right" ? margin : (margin >> 1) + (margin & width & 1);
  return fill.repeat(left) + s + fill.repeat(margin - left);
}
