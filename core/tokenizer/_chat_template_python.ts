/**
 * Python's semantics for template values, as jinja2 has them: `str()` and `repr()`,
 * truthiness, `==`, ordering, and `len()`.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import {
  isDict,
  isList,
  isNum,
  isStr,
  isUndef,
  itemsOf,
  keyValue,
  mapOf,
  numOf,
  strOf,
  typeName,
  undefinedError,
  type Value,
} from "./_chat_template_values.ts";

/** Python's `repr()` of a float. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Python's `str()` of an int (exact beyond 2^53 as far as the double holds it). */
export function intRepr(n: number): string {
  return Number.isSafeInteger(n) || !Number.isFinite(n) ? String(n) : BigInt(n).toString();
}

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's `repr()` of a string. */
export function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      const hex = cp.toString(16);
      out += cp < 0x100
        ? `\\x${hex.padStart(2, "0")}`
        : cp < 0x10000
        ? `\\u${hex.padStart(4, "0")}`
        : `\\U${hex.padStart(8, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's `repr()`. */
export function pyRepr(v: Value): string {
  switch (v.type) {
    case "StringValue":
      return stringRepr(strOf(v));
    case "IntegerValue":
      return intRepr(numOf(v));
    case "FloatValue":
      return floatRepr(numOf(v));
    case "BooleanValue":
      return v.value ? "True" : "False";
    case "NullValue":
      return "None";
    case "UndefinedValue":
      return "Undefined";
    case "ArrayValue":
      return `[${itemsOf(v).map(pyRepr).join(", ")}]`;
    case "TupleValue": {
      const items = itemsOf(v);
      return `(${items.map(pyRepr).join(", ")}${items.length === 1 ? "," : ""})`;
    }
    case "NamespaceValue":
      return `<Namespace ${dictRepr(mapOf(v))}>`;
    case "FunctionValue":
      return "<function>";
    default:
      return dictRepr(mapOf(v));
  }
}

function dictRepr(m: Map<string, Value>): string {
  return `{${[...m].map(([k, x]) => `${pyRepr(keyValue(k))}: ${pyRepr(x)}`).join(", ")}}`;
}

/** Python's `str()` (what `{{ value }}` prints); Undefined prints nothing. */
export function pyStr(v: Value): string {
  if (v.type === "StringValue") return strOf(v);
  if (v.type === "UndefinedValue") return "";
  return pyRepr(v);
}

/** Python's truthiness. */
export function truthy(v: Value): boolean {
  switch (v.type) {
    case "StringValue":
      return strOf(v).length > 0;
    case "IntegerValue":
    case "FloatValue":
      return numOf(v) !== 0;
    case "BooleanValue":
      return v.value === true;
    case "NullValue":
    case "UndefinedValue":
      return false;
    case "ArrayValue":
    case "TupleValue":
      return itemsOf(v).length > 0;
    case "ObjectValue":
    case "KeywordArgumentsValue":
      return mapOf(v).size > 0;
    default:
      return true;
  }
}

/** Python's `==`. */
export function pyEq(a: Value, b: Value): boolean {
  if (isNum(a) && isNum(b)) return numOf(a) === numOf(b);
  if (a.type !== b.type) {
    return isDict(a) && isDict(b) ? dictEq(mapOf(a), mapOf(b)) : false;
  }
  switch (a.type) {
    case "StringValue":
      return a.value === b.value;
    case "NullValue":
    case "UndefinedValue":
      return true;
    case "ArrayValue":
    case "TupleValue": {
      const x = itemsOf(a), y = itemsOf(b);
      return x.length === y.length && x.every((item, i) => pyEq(item, y[i]!));
    }
    case "ObjectValue":
    case "KeywordArgumentsValue":
      return dictEq(mapOf(a), mapOf(b));
    default:
      return a === b || a.value === b.value;
  }
}

function dictEq(x: Map<string, Value>, y: Map<string, Value>): boolean {
  if (x.size !== y.size) return false;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (w === undefined || !pyEq(v, w)) return false;
  }
  return true;
}

/** Python's ordering: negative, zero or positive; TypeError where Python has none. */
export function pyCompare(a: Value, b: Value, op = "<"): number {
  if (isUndef(a)) throw undefinedError(a);
  if (isUndef(b)) throw undefinedError(b);
  if (isNum(a) && isNum(b)) return numOf(a) - numOf(b);
  if (isStr(a) && isStr(b)) {
    const x = strOf(a), y = strOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (isList(a) && a.type === b.type) {
    const x = itemsOf(a), y = itemsOf(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (!pyEq(x[i]!, y[i]!)) return pyCompare(x[i]!, y[i]!, op);
    }
    return x.length - y.length;
  }
  throw new TemplateError(
    `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}

/** Python's `len()`; Undefined has length 0. */
export function pyLen(v: Value): number {
  if (isStr(v)) return codePoints(strOf(v)).length;
  if (isList(v)) return itemsOf(v).length;
  if (isDict(v)) return mapOf(v).size;
  if (isUndef(v)) return 0;
  throw new TemplateError(`object of type '${typeName(v)}' has no len()`);
}

/** A string's code points (Python indexes strings by code point). */
export function codePoints(s: string): string[] {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s.split("");
}

/** Python `str.isspace()` characters. */
export const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** Python's `format(x, ".Nf")`: the exact decimal value, ties to even. */
export function fixedRepr(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (Math.abs(x) >= 1e21 || digits > 99) return x.toFixed(Math.min(digits, 100));
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const [whole, fraction] = Math.abs(x).toFixed(100).split(".") as [string, string];
  const rest = fraction.slice(digits);
  let kept = BigInt(whole + fraction.slice(0, digits));
  const tie = /^50*$/.test(rest);
  if ((rest[0]! > "5") || (rest[0] === "5" && !tie) || (tie && kept % 2n === 1n)) kept += 1n;
  const text = kept.toString().padStart(digits + 1, "0");
  return sign + (digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text);
}
