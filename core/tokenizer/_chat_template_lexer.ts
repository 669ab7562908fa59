/**
 * A pre-pass over the template source that does jinja2's whitespace control exactly
 * (`trim_blocks`, `lstrip_blocks`, `{%-`/`-%}`, `{%+`/`+%}`, on comments too), drops
 * comments, turns `{% raw %}` blocks into string outputs, and rewrites string literals
 * from Python's escapes (`\q` kept, `\101`, `\U0001F600`, line continuations) into the
 * escapes `@huggingface/jinja` reads. Its output has no whitespace control left, so the
 * library lexes it with `lstrip_blocks`/`trim_blocks` off.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { PY_SPACE } from "./_chat_template_python.ts";

const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);
const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`);
const RAW_BEGIN = /\{%([-+]?)\s*raw\s*([-+]?)%\}/y;
const RAW_END = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;

/** Python's `unicode-escape` decoding of a string literal's body. */
export function decodeEscapes(body: string): string {
  return body.replace(
    /\\(\n|[\\'"abfnrtv]|[0-7]{1,3}|x[\s\S]{0,2}|u[\s\S]{0,4}|U[\s\S]{0,8}|[\s\S])/g,
    (m, e: string) => {
      const simple: Record<string, string> = {
        "\n": "",
        "\\": "\\",
        "'": "'",
        '"': '"',
        a: "\x07",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
        v: "\v",
      };
      if (e in simple) return simple[e]!;
      if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
      const width = { x: 2, u: 4, U: 8 }[e[0]!];
      if (width !== undefined) {
        const hex = e.slice(1);
        if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) {
          throw new TemplateError(`truncated \\${e[0]}${"X".repeat(width)} escape`);
        }
        return String.fromCodePoint(parseInt(hex, 16));
      }
      return m;
    },
  );
}

const NUMBER = /^\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?/;

/** A number literal the library's lexer reads (it has no exponents or `_` separators). */
function numberLiteral(text: string): string {
  const plain = text.replace(/_/g, "");
  if (!/[eE]/.test(plain)) return plain;
  const [mantissa, exp] = Number(plain).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  return e >= 0
    ? `${digits.padEnd(e + 1, "0").slice(0, e + 1)}.${digits.slice(e + 1) || "0"}`
    : `0.${"0".repeat(-e - 1)}${digits}`;
}

/** A string literal the library's lexer reads back as `text`. */
const literal = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** Applies jinja2's whitespace control and literal escapes; see the module doc. */
export function preprocess(source: string): string {
  // jinja2 drops one trailing newline of the source before lexing.
  const src = source.replace(/\r\n?/g, "\n").replace(/\n$/, "");
  let out = "";
  let i = 0;
  let lineStarting = true;
  // Text before a tag: `-` strips all whitespace, lstrip_blocks the line's indent.
  const lead = (text: string, sign: string, lstrip: boolean) => {
    if (sign === "-") return text.replace(TRAILING_SPACE, "");
    if (sign === "+" || !lstrip) return text;
    const lineStart = text.lastIndexOf("\n") + 1;
    const indent = text.slice(lineStart);
    return (lineStart > 0 || lineStarting) && /^[ \t]*$/.test(indent)
      ? text.slice(0, lineStart)
      : text;
  };
  // After a tag: `-` strips all whitespace, trim_blocks one newline.
  const trail = (at: number, sign: string, trim: boolean): number => {
    const rest = src.slice(at);
    const skip = sign === "-"
      ? (LEADING_SPACE.exec(rest)?.[0].length ?? 0)
      : sign === "" && trim && rest[0] === "\n"
      ? 1
      : 0;
    lineStarting = skip > 0 && src[at + skip - 1] === "\n";
    return at + skip;
  };
  while (i < src.length) {
    const open = src.slice(i).search(/\{[{%#]/);
    if (open < 0) {
      out += src.slice(i);
      break;
    }
    const start = i + open;
    const kind = src[start + 1]!;
    const sign = "-+".includes(src[start + 2]!) ? src[start + 2]! : "";
    out += lead(src.slice(i, start), sign, kind !== "{");
    if (kind === "#") {
      const end = src.indexOf("#}", start + 2);
      if (end < 0) throw new TemplateError("Missing end of comment tag");
      const endSign = "-+".includes(src[end - 1]!) && end - 1 > start + 2 ? src[end - 1]! : "";
      i = trail(end + 2, endSign, true);
      continue;
    }
    RAW_BEGIN.lastIndex = start;
    const raw = kind === "%" ? RAW_BEGIN.exec(src) : null;
    if (raw) {
      RAW_END.lastIndex = start + raw[0].length;
      const end = RAW_END.exec(src);
      if (!end) throw new TemplateError("Missing end of raw directive");
      let body = src.slice(start + raw[0].length, end.index);
      if (raw[2] === "-") body = body.replace(LEADING_SPACE, "");
      lineStarting = false;
      body = lead(body, end[1]!, true);
      out += `{{ ${literal(body)} }}`;
      i = trail(end.index + end[0].length, end[2]!, true);
      continue;
    }
    const [tag, endSign, next] = scanTag(src, start, kind, sign);
    out += tag;
    i = trail(next, endSign, kind === "%");
  }
  // The library drops a trailing newline too: an empty comment keeps ours.
  return out.endsWith("\n") ? out + "{##}" : out;
}

/** Reads one `{{ ... }}` or `{% ... %}` tag: its text for the library, end sign, end. */
function scanTag(src: string, start: number, kind: string, sign: string): [string, string, number] {
  const close = kind === "%" ? "%}" : "}}";
  let out = kind === "%" ? "{% " : "{{ ";
  const depth: string[] = [];
  let j = start + 2 + sign.length;
  while (j < src.length) {
    const c = src[j]!;
    if (c === "'" || c === '"') {
      let k = j + 1;
      while (k < src.length && src[k] !== c) k += src[k] === "\\" ? 2 : 1;
      if (k >= src.length) throw new TemplateError("unexpected end of string");
      out += literal(decodeEscapes(src.slice(j + 1, k)));
      j = k + 1;
      continue;
    }
    if (depth.length === 0) {
      for (const endSign of ["-", "+", ""]) {
        if (src.startsWith(endSign + close, j) && (endSign !== "+" || kind === "%")) {
          return [out + " " + close, endSign, j + endSign.length + 2];
        }
      }
    }
    const number = /\d/.test(c) && !/[\w.]/.test(src[j - 1] ?? "")
      ? NUMBER.exec(src.slice(j))
      : null;
    if (number) {
      out += numberLiteral(number[0]);
      j += number[0].length;
      continue;
    }
    if ("([{".includes(c)) depth.push(c);
    else if (")]}".includes(c)) depth.pop();
    out += c;
    j++;
  }
  throw new TemplateError(
    `unexpected end of template, expected '${
      kind === "%" ? "end of statement block" : "end of print statement"
    }'`,
  );
}
