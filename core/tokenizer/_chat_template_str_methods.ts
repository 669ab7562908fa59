/**
 * Python `str` methods callable from templates (`message.content.strip()`,
 * `text.split('</think>')[-1].lstrip('\n')`, `'{} {}'.format(a, b)`, ...), on the helpers
 * of `_chat_template_strings.ts`.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { codePoints, fixedRepr, PY_SPACE, pyRepr, pyStr, truthy } from "./_chat_template_python.ts";
import {
  capitalize,
  isCased,
  pad,
  replace,
  split,
  splitlines,
  strip,
  title,
} from "./_chat_template_strings.ts";
import {
  bool,
  int,
  isList,
  isNone,
  isStr,
  itemsOf,
  list,
  numOf,
  str,
  strOf,
  tuple,
  typeName,
  type Value,
} from "./_chat_template_values.ts";

const SPACE = new RegExp(`[${PY_SPACE}]`);

function find(s: string, sub: string, fromRight: boolean): number {
  const at = fromRight ? s.lastIndexOf(sub) : s.indexOf(sub);
  return at < 0 ? -1 : codePoints(s.slice(0, at)).length;
}

function affix(v: Value, test: (p: string) => boolean, name: string): boolean {
  if (isStr(v)) return test(strOf(v));
  if (v.type === "TupleValue") return itemsOf(v).some((p) => affix(p, test, name));
  throw new TemplateError(`${name} first arg must be str or a tuple of str, not ${typeName(v)}`);
}

const all = (s: string, re: RegExp) => s.length > 0 && [...s].every((c) => re.test(c));
const cased = (s: string, lower: boolean) =>
  [...s].some(isCased) &&
  [...s].every((c) => !isCased(c) || (lower ? c === c.toLowerCase() : c === c.toUpperCase()));

const optStr = (v: Value | undefined): string | null =>
  v === undefined || isNone(v) ? null : strArg(v);
function strArg(v: Value): string {
  if (!isStr(v)) throw new TemplateError(`must be str, not ${typeName(v)}`);
  return strOf(v);
}
const optInt = (v: Value | undefined, dflt: number) => (v === undefined ? dflt : numOf(v));

/** Calls `s.<name>(*args)`; `undefined` when `str` has no such method. */
export function strMethod(s: string, name: string): ((a: Value[]) => Value) | undefined {
  switch (name) {
    case "strip":
    case "lstrip":
    case "rstrip":
      return (a) => str(strip(s, optStr(a[0]), name !== "rstrip", name !== "lstrip"));
    case "split":
    case "rsplit":
      return (a) =>
        list(split(s, optStr(a[0]), optInt(a[1], -1), name === "rsplit").map((p) => str(p)));
    case "splitlines":
      return (a) => list(splitlines(s, a[0] !== undefined && truthy(a[0])).map((p) => str(p)));
    case "replace":
      return (a) => str(replace(s, strArg(a[0]!), strArg(a[1]!), optInt(a[2], -1)));
    case "startswith":
    case "endswith":
      return (a) => {
        const cps = codePoints(s);
        const bound = (v: Value | undefined, dflt: number) => {
          if (v === undefined || isNone(v)) return dflt;
          const i = numOf(v);
          return i < 0 ? Math.max(0, cps.length + i) : Math.min(i, cps.length);
        };
        const part = cps.slice(bound(a[1], 0), bound(a[2], cps.length)).join("");
        return bool(
          affix(a[0]!, (p) => name === "startswith" ? part.startsWith(p) : part.endsWith(p), name),
        );
      };
    case "find":
    case "rfind":
    case "index":
    case "rindex":
      return (a) => {
        const at = find(s, strArg(a[0]!), name.startsWith("r"));
        if (at < 0 && name.endsWith("index")) throw new TemplateError("substring not found");
        return int(at);
      };
    case "count":
      return (a) => {
        const sub = strArg(a[0]!);
        return int(sub === "" ? codePoints(s).length + 1 : s.split(sub).length - 1);
      };
    case "join":
      return (a) => {
        const items = isStr(a[0]!)
          ? codePoints(strOf(a[0]!))
          : isList(a[0]!)
          ? itemsOf(a[0]!).map((item, i) => {
            if (!isStr(item)) {
              throw new TemplateError(
                `sequence item ${i}: expected str instance, ${typeName(item)} found`,
              );
            }
            return strOf(item);
          })
          : [];
        return str(items.join(s));
      };
    case "upper":
      return () => str(s.toUpperCase());
    case "lower":
    case "casefold":
      return () => str(s.toLowerCase());
    case "title":
      return () => str(title(s));
    case "capitalize":
      return () => str(capitalize(s));
    case "swapcase":
      return () =>
        str(
          [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""),
        );
    case "center":
    case "ljust":
    case "rjust":
      return (a) =>
        str(
          pad(
            s,
            numOf(a[0]!),
            optStr(a[1]) ?? " ",
            name === "center" ? name : name === "ljust" ? "left" : "right",
          ),
        );
    case "zfill":
      return (a) => {
        const sign = /^[+-]/.test(s) ? s[0]! : "";
        return str(sign + pad(s.slice(sign.length), numOf(a[0]!) - sign.length, "0", "right"));
      };
    case "partition":
    case "rpartition":
      return (a) => {
        const sep = strArg(a[0]!);
        const at = name === "partition" ? s.indexOf(sep) : s.lastIndexOf(sep);
        if (at < 0) {
          return tuple((name === "partition" ? [s, "", ""] : ["", "", s]).map((p) => str(p)));
        }
        return tuple([s.slice(0, at), sep, s.slice(at + sep.length)].map((p) => str(p)));
      };
    case "removeprefix":
      return (a) => str(s.startsWith(strArg(a[0]!)) ? s.slice(strArg(a[0]!).length) : s);
    case "removesuffix":
      return (a) => {
        const x = strArg(a[0]!);
        return str(x !== "" && s.endsWith(x) ? s.slice(0, -x.length) : s);
      };
    case "isdigit":
    case "isdecimal":
      return () => bool(all(s, /\p{Nd}/u));
    case "isnumeric":
      return () => bool(all(s, /\p{N}/u));
    case "isalpha":
      return () => bool(all(s, /\p{L}/u));
    case "isalnum":
      return () => bool(all(s, /[\p{L}\p{N}]/u));
    case "isspace":
      return () => bool(all(s, SPACE));
    case "islower":
      return () => bool(cased(s, true));
    case "isupper":
      return () => bool(cased(s, false));
    case "istitle":
      return () => bool([...s].some(isCased) && title(s) === s);
    case "format":
      return (a) => str(strFormat(s, a));
    default:
      return undefined;
  }
}

/** `str.format(*args, **kwargs)` for `{}`, `{0}`, `{name}` fields with simple specs. */
function strFormat(s: string, args: Value[]): string {
  const last = args.at(-1);
  const kwargs = last?.type === "KeywordArgumentsValue" ? (last.value as Map<string, Value>) : null;
  const positional = kwargs ? args.slice(0, -1) : args;
  let auto = 0;
  return s.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g,
    (m, field, conv, spec) => {
      if (m === "{{") return "{";
      if (m === "}}") return "}";
      const key = field === "" ? String(auto++) : field;
      const v = /^\d+$/.test(key) ? positional[Number(key)] : kwargs?.get(key);
      if (v === undefined) throw new TemplateError(`Replacement index ${key} out of range`);
      let text = conv === "r" ? pyRepr(v) : pyStr(v);
      const sm = /^(?:(.)?([<>^]))?(\d+)?(?:\.(\d+))?([sdf])?$/.exec(spec ?? "");
      if (sm) {
        if (sm[5] === "f") text = fixedRepr(numOf(v), sm[4] === undefined ? 6 : Number(sm[4]));
        else if (sm[4] !== undefined) text = text.slice(0, Number(sm[4]));
        const width = Number(sm[3] ?? 0);
        const align = sm[2] ?? (v.type === "StringValue" ? "<" : ">");
        text = pad(
          text,
          width,
          sm[1] ?? " ",
          align === "^" ? "center" : align === "<" ? "left" : "right",
        );
      }
      return text;
    },
  );
}
