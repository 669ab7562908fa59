/**
 * jinja2's filters on text (and numbers), as Python runs them: `trim`, `indent`, `title`,
 * `replace`, `truncate`, `int`, `round`, `format`, `escape`, ...
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { printfFormat } from "./_chat_template_printf.ts";
import { codePoints, fixedRepr, pyLen, pyStr, truthy } from "./_chat_template_python.ts";
import { capitalize, pad, replace, splitlines, strip } from "./_chat_template_strings.ts";
import {
  dict,
  float,
  int,
  isList,
  isNone,
  isNum,
  isStr,
  isUndef,
  numOf,
  str,
  strOf,
  tuple,
  typeName,
  undefinedError,
  type Value,
} from "./_chat_template_values.ts";

/** A filter's bound arguments, by parameter position. */
export type Args = (Value | undefined)[];
/** A filter: operand, bound arguments, extra positional, extra keyword. */
export type FilterFn = (v: Value, a: Args, rest: Value[], extra: Map<string, Value>) => Value;
/** A filter and its parameter names (after the operand). */
export type FilterDef = [params: string[], run: FilterFn];

const text = (f: (s: string, a: Args) => string): FilterDef[1] => (v, a) => str(f(pyStr(v), a));
const optNum = (v: Value | undefined, dflt: number) => (v === undefined ? dflt : numOf(v));
const optStr = (v: Value | undefined, dflt: string) => (v === undefined ? dflt : pyStr(v));

function parseInt_(s: string, base: number): number | undefined {
  const t = s.trim().replace(/_/g, "");
  const digits = "0123456789abcdefghijklmnopqrstuvwxyz".slice(0, base);
  const m = new RegExp(`^([+-]?)(?:0[xob])?([${digits}]+)$`, "i").exec(t);
  return m ? (m[1] === "-" ? -1 : 1) * parseInt(m[2]!, base) : undefined;
}

function parseFloat_(s: string): number | undefined {
  const t = s.trim().replace(/(\d)_(\d)/g, "$1$2").toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) ? Number(t) : undefined;
}

/** Python's `round(x, n)`: the exact decimal value, ties to even. */
function pyRound(x: number, digits: number): number {
  if (digits < 0) return pyRound(x / 10 ** -digits, 0) * 10 ** -digits;
  return Number(fixedRepr(x, digits));
}

function indent(s: string, width: Value | undefined, first: boolean, blank: boolean): string {
  const pre = width !== undefined && isStr(width) ? strOf(width) : " ".repeat(optNum(width, 4));
  const lines = splitlines(s + "\n");
  let rv: string;
  if (blank) rv = lines.join("\n" + pre);
  else {
    rv = lines.shift() ?? "";
    if (lines.length) rv += "\n" + lines.map((l) => (l ? pre + l : l)).join("\n");
  }
  return first ? pre + rv : rv;
}

/** jinja2's `truncate`: a short value comes back as it is, even when not a string. */
function truncate(v: Value, a: Args): Value {
  const length = optNum(a[0], 255), killwords = a[1] !== undefined && truthy(a[1]);
  const end = optStr(a[2], "..."), leeway = a[3] === undefined || isNone(a[3]) ? 5 : numOf(a[3]);
  if (pyLen(v) <= length + leeway) return v;
  if (!isStr(v)) throw new TemplateError(`can only truncate a string, not ${typeName(v)}`);
  const head = codePoints(strOf(v)).slice(0, length - codePoints(end).length).join("");
  if (killwords) return str(head + end);
  const at = head.lastIndexOf(" ");
  return str((at < 0 ? head : head.slice(0, at)) + end);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
};
const escape: FilterDef = [[], text((s) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!))];

function fileSize(v: Value, a: Args): Value {
  const bytes = numOf(float(Number(pyStr(v))));
  const binary = a[0] !== undefined && truthy(a[0]);
  const base = binary ? 1024 : 1000;
  const prefixes = binary
    ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
  if (bytes === 1) return str("1 Byte");
  if (bytes < base) return str(`${Math.trunc(bytes)} Bytes`);
  let i = 0;
  while (i < prefixes.length - 1 && bytes >= base ** (i + 2)) i++;
  return str(`${((base * bytes) / base ** (i + 2)).toFixed(1)} ${prefixes[i]}`);
}

/** Text and number filters, by name. */
export const TEXT_FILTERS: Record<string, FilterDef> = {
  upper: [[], text((s) => s.toUpperCase())],
  lower: [[], text((s) => s.toLowerCase())],
  capitalize: [[], text(capitalize)],
  title: [
    [],
    text((s) =>
      s.split(/([-\s({[<]+)/u).filter((w) => w)
        .map((w) => {
          const [c = "", ...r] = codePoints(w);
          return c.toUpperCase() + r.join("").toLowerCase();
        })
        .join("")
    ),
  ],
  trim: [
    ["chars"],
    text((s, a) => strip(s, a[0] === undefined || isNone(a[0]) ? null : pyStr(a[0]), true, true)),
  ],
  string: [[], text((s) => s)],
  center: [["width"], text((s, a) => pad(s, optNum(a[0], 80), " ", "center"))],
  replace: [
    ["old", "new", "count"],
    text((s, a) =>
      replace(s, pyStr(a[0]!), pyStr(a[1]!), a[2] === undefined || isNone(a[2]) ? -1 : numOf(a[2]))
    ),
  ],
  indent: [["width", "first", "blank"], (v, a) => {
    if (isUndef(v)) throw undefinedError(v);
    if (!isStr(v)) {
      throw new TemplateError(
        isList(v)
          ? `'${typeName(v)}' object has no attribute 'splitlines'`
          : `unsupported operand type(s) for +=: '${typeName(v)}' and 'str'`,
      );
    }
    return str(
      indent(
        strOf(v),
        a[0],
        a[1] !== undefined && truthy(a[1]),
        a[2] !== undefined && truthy(a[2]),
      ),
    );
  }],
  truncate: [["length", "killwords", "end", "leeway"], truncate],
  wordcount: [[], (v) => int((pyStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length)],
  striptags: [
    [],
    text((s) =>
      s.replace(/<!--.*?-->|<[^>]*>/gs, "").split(/\s+/).filter((w) => w).join(" ")
        .replace(/&(amp|lt|gt|quot|#34|#39);/g, (m) =>
          ({ "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#34;": '"', "&#39;": "'" })[
            m
          ]!)
    ),
  ],
  escape,
  e: escape,
  forceescape: escape,
  safe: [[], (v) => v],
  urlencode: [
    [],
    text((s) =>
      encodeURIComponent(s).replace(/%2F/g, "/").replace(
        /[!'()*]/g,
        (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
      )
    ),
  ],
  format: [[], (v, _a, rest, extra) => {
    if (rest.length && extra.size) {
      throw new TemplateError("can't handle positional and keyword arguments at the same time");
    }
    return str(printfFormat(pyStr(v), extra.size ? dict(extra) : tuple(rest)));
  }],
  int: [["default", "base"], (v, a) => {
    if (isUndef(v)) throw undefinedError(v);
    const dflt = a[0] ?? int(0);
    if (isNum(v)) return int(Math.trunc(numOf(v)));
    if (!isStr(v)) return dflt;
    const n = parseInt_(strOf(v), optNum(a[1], 10)) ?? parseFloat_(strOf(v));
    return n === undefined || Number.isNaN(n) ? dflt : int(Math.trunc(n));
  }],
  float: [["default"], (v, a) => {
    if (isUndef(v)) throw undefinedError(v);
    if (isNum(v)) return float(numOf(v));
    const n = isStr(v) ? parseFloat_(strOf(v)) : undefined;
    return n === undefined ? a[0] ?? float(0) : float(n);
  }],
  abs: [[], (v) => {
    if (!isNum(v)) throw new TemplateError(`bad operand type for abs(): '${typeName(v)}'`);
    return v.type === "FloatValue" ? float(Math.abs(numOf(v))) : int(Math.abs(numOf(v)));
  }],
  round: [["precision", "method"], (v, a) => {
    const digits = optNum(a[0], 0), method = optStr(a[1], "common");
    if (!isNum(v)) throw new TemplateError(`type ${typeName(v)} doesn't define __round__ method`);
    if (method === "common") {
      return v.type === "FloatValue" ? float(pyRound(numOf(v), digits)) : int(numOf(v));
    }
    if (method !== "ceil" && method !== "floor") {
      throw new TemplateError("method must be common, ceil or floor");
    }
    return float(Math[method](numOf(v) * 10 ** digits) / 10 ** digits);
  }],
  filesizeformat: [["binary"], fileSize],
};
