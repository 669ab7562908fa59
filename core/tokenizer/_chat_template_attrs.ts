/**
 * Attribute and item lookup as jinja2's immutable sandbox does it: `obj.name` tries the
 * Python attribute (a method) before the item, `obj[key]` the item before the attribute;
 * a miss is an Undefined that raises when used; methods that mutate are unsafe.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { codePoints, pyEq } from "./_chat_template_python.ts";
import { strMethod } from "./_chat_template_str_methods.ts";
import {
  dict,
  fn,
  int,
  isDict,
  isList,
  isNum,
  isStr,
  isUndef,
  itemsOf,
  keyOf,
  keyValue,
  list,
  mapOf,
  missing,
  none,
  numOf,
  splitArgs,
  str,
  strOf,
  tuple,
  typeName,
  undefinedError,
  type Value,
} from "./_chat_template_values.ts";

const UNSAFE: Record<string, Set<string>> = {
  list: new Set(["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"]),
  dict: new Set(["clear", "pop", "popitem", "setdefault", "update"]),
};

function dictMethod(obj: Value, name: string): ((a: Value[]) => Value) | undefined {
  const m = mapOf(obj);
  switch (name) {
    case "get":
      return (a) => m.get(keyOf(a[0]!)) ?? a[1] ?? none();
    case "items":
      return () => list([...m].map(([k, v]) => tuple([keyValue(k), v])));
    case "keys":
      return () => list([...m.keys()].map(keyValue));
    case "values":
      return () => list([...m.values()]);
    case "copy":
      return () => dict(new Map(m));
    default:
      return undefined;
  }
}

function listMethod(obj: Value, name: string): ((a: Value[]) => Value) | undefined {
  const items = itemsOf(obj);
  switch (name) {
    case "index":
      return (a) => {
        const at = items.findIndex((x) => pyEq(x, a[0]!));
        if (at < 0) throw new TemplateError("x not in list");
        return int(at);
      };
    case "count":
      return (a) => int(items.filter((x) => pyEq(x, a[0]!)).length);
    case "copy":
      return () => list([...items]);
    default:
      return undefined;
  }
}

/** The Python attribute `name` of `obj` (a bound method), or `undefined`. */
function pyAttribute(obj: Value, name: string): Value | undefined {
  const kind = typeName(obj);
  if (UNSAFE[kind]?.has(name)) {
    return fn(() => {
      throw new TemplateError(`access to attribute '${name}' of '${kind}' object is unsafe.`);
    });
  }
  const method = isStr(obj)
    ? strMethod(strOf(obj), name)
    : isDict(obj)
    ? dictMethod(obj, name)
    : isList(obj)
    ? listMethod(obj, name)
    : undefined;
  return method ? fn((args) => method(splitArgs(args)[0].concat(kwargTail(args)))) : undefined;
}

/** Keeps keyword arguments (as a trailing KeywordArgumentsValue) for `str.format`. */
function kwargTail(args: Value[]): Value[] {
  const last = args.at(-1);
  return last?.type === "KeywordArgumentsValue" ? [last] : [];
}

/** The item `key` of `obj` when it has one. */
function pyItem(obj: Value, key: Value): Value | undefined {
  if (isDict(obj) || obj.type === "NamespaceValue") {
    if (obj.type === "NamespaceValue") return isStr(key) ? mapOf(obj).get(strOf(key)) : undefined;
    return mapOf(obj).get(keyOf(key));
  }
  if ((isList(obj) || isStr(obj)) && isNum(key) && Number.isInteger(numOf(key))) {
    const seq = isStr(obj) ? codePoints(strOf(obj)) : itemsOf(obj);
    const i = numOf(key) < 0 ? seq.length + numOf(key) : numOf(key);
    const item = seq[i];
    return item === undefined ? undefined : typeof item === "string" ? str(item) : item;
  }
  return undefined;
}

/** `obj.name` (jinja2 `getattr`): attribute first, then item. */
export function getAttr(obj: Value, name: string): Value {
  if (isUndef(obj)) throw undefinedError(obj);
  return pyAttribute(obj, name) ?? pyItem(obj, str(name)) ?? missing(obj, name);
}

/** `obj[key]` (jinja2 `getitem`): item first, then attribute. */
export function getItem(obj: Value, key: Value): Value {
  if (isUndef(obj)) throw undefinedError(obj);
  const item = pyItem(obj, key);
  if (item !== undefined) return item;
  if (isStr(key)) return pyAttribute(obj, strOf(key)) ?? missing(obj, strOf(key));
  return missing(obj, isNum(key) ? numOf(key) : String(key.value));
}

/** `obj|attr(name)`: the Python attribute only (jinja2's `do_attr`). */
export function attrOnly(obj: Value, name: string): Value {
  if (isUndef(obj)) throw undefinedError(obj);
  return pyAttribute(obj, name) ??
    (obj.type === "NamespaceValue" ? mapOf(obj).get(name) : undefined) ??
    missing(obj, name);
}

/** The item getter jinja2 builds for `attribute=` arguments: `"a.b.0"` walks a path. */
export function attrGetter(attribute: Value | undefined): ((v: Value) => Value) | undefined {
  if (attribute === undefined || attribute.type === "NullValue") return undefined;
  const parts: Value[] = isStr(attribute)
    ? strOf(attribute).split(".").map((p) => (/^\d+$/.test(p) ? int(Number(p)) : str(p)))
    : [attribute];
  return (v) => parts.reduce((obj, part) => getItem(obj, part), v);
}

/** Python's `iter()`: characters of a string, keys of a dict, nothing for Undefined. */
export function iterate(v: Value): Value[] {
  if (isList(v)) return itemsOf(v);
  if (isStr(v)) return codePoints(strOf(v)).map((c) => str(c));
  if (isDict(v)) return [...mapOf(v).keys()].map(keyValue);
  if (isUndef(v)) return [];
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}
