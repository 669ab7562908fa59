/**
 * Python's `json.dumps` (what transformers' `tojson` filter calls) and `strftime` (what
 * its `strftime_now` global calls), byte for byte.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { floatRepr, intRepr } from "./_chat_template_python.ts";
import {
  isStr,
  itemsOf,
  keyValue,
  mapOf,
  numOf,
  strOf,
  typeName,
  type Value,
} from "./_chat_template_values.ts";

/** Options of {@linkcode jsonDumps}, as `json.dumps` names them. */
export interface JsonOptions {
  ensureAscii?: boolean;
  /** Spaces (number) or text (string) per level; `null` is single-line. */
  indent?: number | string | null;
  /** `[itemSeparator, keySeparator]`. */
  separators?: [string, string] | null;
  sortKeys?: boolean;
}

/** `json.dumps(value, ensure_ascii=..., indent=..., separators=..., sort_keys=...)`. */
export function jsonDumps(v: Value, options: JsonOptions = {}): string {
  const indent = typeof options.indent === "number"
    ? " ".repeat(Math.max(0, options.indent))
    : options.indent ?? null;
  const [itemSep, keySep] = options.separators ?? [indent === null ? ", " : ",", ": "];
  const quote = (s: string) => {
    const json = JSON.stringify(s);
    return options.ensureAscii
      ? json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      : json;
  };
  const dump = (x: Value, depth: number): string => {
    switch (x.type) {
      case "StringValue":
        return quote(strOf(x));
      case "IntegerValue":
        return intRepr(numOf(x));
      case "FloatValue": {
        const n = numOf(x);
        if (Number.isNaN(n)) return "NaN";
        if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
        return floatRepr(n);
      }
      case "BooleanValue":
        return x.value ? "true" : "false";
      case "NullValue":
        return "null";
      case "ArrayValue":
      case "TupleValue":
        return container("[", "]", itemsOf(x).map((item) => dump(item, depth + 1)), depth);
      case "ObjectValue":
      case "KeywordArgumentsValue": {
        let entries = [...mapOf(x)];
        if (options.sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const parts = entries.map(([k, item]) => {
          const key = keyValue(k);
          const text = isStr(key)
            ? strOf(key)
            : key.type === "NullValue"
            ? "null"
            : dump(key, depth);
          return quote(text) + keySep + dump(item, depth + 1);
        });
        return container("{", "}", parts, depth);
      }
      default:
        throw new TemplateError(`Object of type ${typeName(x)} is not JSON serializable`);
    }
  };
  const container = (open: string, close: string, parts: string[], depth: number) => {
    if (parts.length === 0) return open + close;
    if (indent === null) return open + parts.join(itemSep) + close;
    const inner = "\n" + indent.repeat(depth + 1);
    return open + inner + parts.join(itemSep + inner) + "\n" + indent.repeat(depth) + close;
  };
  return dump(v, 0);
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Python's `date.strftime(format)` in the C locale, on the date's local time. */
export function strftime(date: Date, format: string): string {
  const pad = (n: number, width = 2, fill = "0") => String(n).padStart(width, fill);
  const startOfYear = new Date(date.getFullYear(), 0, 1);
  const dayOfYear = Math.round(
    (date.getTime() - startOfYear.getTime()) / 86_400_000 -
      (date.getTimezoneOffset() - startOfYear.getTimezoneOffset()) / 1440,
  ) + 1;
  const hour12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
  const weekOfYear = (firstDay: number) =>
    Math.floor((dayOfYear - 1 + ((startOfYear.getDay() - firstDay + 7) % 7)) / 7);
  const field = (c: string, unpadded: boolean): string | undefined => {
    const p = (n: number, width = 2) => (unpadded ? String(n) : pad(n, width));
    switch (c) {
      case "a":
        return DAYS[date.getDay()]!.slice(0, 3);
      case "A":
        return DAYS[date.getDay()]!;
      case "b":
      case "h":
        return MONTHS[date.getMonth()]!.slice(0, 3);
      case "B":
        return MONTHS[date.getMonth()]!;
      case "c":
        return strftime(date, "%a %b %e %H:%M:%S %Y");
      case "d":
        return p(date.getDate());
      case "e":
        return unpadded ? String(date.getDate()) : pad(date.getDate(), 2, " ");
      case "D":
      case "x":
        return strftime(date, "%m/%d/%y");
      case "F":
        return strftime(date, "%Y-%m-%d");
      case "H":
        return p(date.getHours());
      case "I":
        return p(hour12);
      case "j":
        return p(dayOfYear, 3);
      case "m":
        return p(date.getMonth() + 1);
      case "M":
        return p(date.getMinutes());
      case "p":
        return date.getHours() < 12 ? "AM" : "PM";
      case "S":
        return p(date.getSeconds());
      case "T":
      case "X":
        return strftime(date, "%H:%M:%S");
      case "u":
        return String(date.getDay() === 0 ? 7 : date.getDay());
      case "w":
        return String(date.getDay());
      case "U":
        return p(weekOfYear(0));
      case "W":
        return p(weekOfYear(1));
      case "y":
        return p(date.getFullYear() % 100);
      case "Y":
        return String(date.getFullYear());
      case "Z":
      case "z":
        return "";
      case "%":
        return "%";
      default:
        return undefined;
    }
  };
  return format.replace(/%(-?)(.)/gs, (whole, dash: string, c: string) => {
    return field(c, dash === "-") ?? whole;
  });
}
