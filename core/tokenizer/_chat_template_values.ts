/**
 * Runtime values of `@huggingface/jinja`, reached without importing its internals: the
 * package exports only `Environment`, `Interpreter`, `tokenize` and `parse`, so the value
 * classes are taken once (lazily) from values the public API hands back. Plus small
 * constructors, accessors and the Undefined-with-a-reason that jinja2 raises from.
 *
 * @module
 */
import { Environment, Interpreter, parse, tokenize } from "@huggingface/jinja";
import { TemplateError } from "../errors.ts";

/** Any runtime value of the library (StringValue, ArrayValue, ...). */
export type Value = ReturnType<Interpreter["evaluate"]>;
/** An AST node of the library. */
export type Node = NonNullable<Parameters<Interpreter["evaluate"]>[0]>;
/** A scope of the library. */
export type Scope = Environment;
/** A native function as the library calls it. */
export type NativeFn = (args: Value[], scope: Scope) => Value;

type Ctor = new (value?: unknown) => Value;
interface Classes {
  Integer: Ctor;
  Float: Ctor;
  String: Ctor;
  Boolean: Ctor;
  Object: Ctor;
  Kwargs: Ctor;
  Namespace: Ctor;
  Array: Ctor;
  Tuple: Ctor;
  Function: Ctor;
  Null: Ctor;
  Undefined: Ctor;
}

let classes: Classes | undefined;

/** The library's value classes, found on first use by rendering a one-line probe. */
function lib(): Classes {
  if (classes) return classes;
  const env = new Environment();
  const ctor = (v: Value) => v.constructor as Ctor;
  const Function = ctor(env.set("f", () => null));
  const Null = ctor(env.set("n", null));
  let captured: Value[] = [];
  env.setVariable("probe", new Function((args: Value[]) => ((captured = args), new Null())));
  new Interpreter(env).run(parse(tokenize("{{ probe((1, 2), namespace(), 1.5, k=1) }}")));
  const [tuple, namespace, float, kwargs] = captured as [Value, Value, Value, Value];
  classes = {
    Integer: ctor(env.set("i", 1)),
    Float: ctor(float),
    String: ctor(env.set("s", "")),
    Boolean: ctor(env.set("b", true)),
    Object: ctor(env.set("o", {})),
    Kwargs: ctor(kwargs),
    Namespace: ctor(namespace),
    Array: ctor(env.set("a", [])),
    Tuple: ctor(tuple),
    Function,
    Null,
    Undefined: ctor(env.set("u", undefined)),
  };
  return classes;
}

/** Python's name of a value's type, as jinja2 puts it in messages. */
export function typeName(v: Value): string {
  switch (v.type) {
    case "StringValue":
      return "str";
    case "IntegerValue":
      return "int";
    case "FloatValue":
      return "float";
    case "BooleanValue":
      return "bool";
    case "NullValue":
      return "NoneType";
    case "ArrayValue":
      return "list";
    case "TupleValue":
      return "tuple";
    case "ObjectValue":
    case "KeywordArgumentsValue":
      return "dict";
    case "NamespaceValue":
      return "Namespace";
    case "FunctionValue":
      return "function";
    default:
      return "Undefined";
  }
}

export const str = (s: string): Value => new (lib().String)(s);
export const int = (n: number): Value => new (lib().Integer)(n);
export const float = (n: number): Value => new (lib().Float)(n);
export const num = (n: number, isFloat: boolean): Value => isFloat ? float(n) : int(n);
export const bool = (b: boolean): Value => new (lib().Boolean)(b);
export const none = (): Value => new (lib().Null)(null);
export const list = (items: Value[]): Value => new (lib().Array)(items);
export const tuple = (items: Value[]): Value => new (lib().Tuple)(items);
export const dict = (m: Map<string, Value>): Value => new (lib().Object)(m);
export const kwargsValue = (m: Map<string, Value>): Value => new (lib().Kwargs)(m);
export const fn = (f: NativeFn): Value => new (lib().Function)(f);

const reasons = new WeakMap<object, string>();

/** jinja2's Undefined, remembering why it is undefined (for the error its use raises). */
export function undef(reason?: string): Value {
  const u = new (lib().Undefined)(undefined);
  if (reason !== undefined) reasons.set(u, reason);
  return u;
}

/** The Undefined jinja2 gives for a missing attribute or item of `obj`. */
export function missing(obj: Value, name: string | number): Value {
  const owner = obj.type === "NullValue" ? "None" : `${typeName(obj)} object`;
  return undef(
    typeof name === "number"
      ? `${owner} has no element ${name}`
      : `'${owner}' has no attribute '${name}'`,
  );
}

/** The error jinja2 raises when an Undefined is used (called, indexed, added, ...). */
export function undefinedError(v: Value): TemplateError {
  return new TemplateError(reasons.get(v) ?? "value is undefined");
}

export const isStr = (v: Value): boolean => v.type === "StringValue";
export const isInt = (v: Value): boolean => v.type === "IntegerValue";
export const isNum = (v: Value): boolean =>
  v.type === "IntegerValue" || v.type === "FloatValue" || v.type === "BooleanValue";
export const isList = (v: Value): boolean => v.type === "ArrayValue" || v.type === "TupleValue";
export const isDict = (v: Value): boolean =>
  v.type === "ObjectValue" || v.type === "KeywordArgumentsValue";
export const isUndef = (v: Value): boolean => v.type === "UndefinedValue";
export const isNone = (v: Value): boolean => v.type === "NullValue";

/** The string of a StringValue. */
export const strOf = (v: Value): string => v.value as string;
/** The number of an IntegerValue, FloatValue or BooleanValue. */
export const numOf = (v: Value): number => Number(v.value);
/** The items of an ArrayValue or TupleValue. */
export const itemsOf = (v: Value): Value[] => v.value as Value[];
/** The entries of a dict or namespace. */
export const mapOf = (v: Value): Map<string, Value> => v.value as Map<string, Value>;

/** Splits a call's arguments into positional ones and keyword ones. */
export function splitArgs(args: Value[]): [Value[], Map<string, Value>] {
  const last = args.at(-1);
  if (last?.type === "KeywordArgumentsValue") return [args.slice(0, -1), mapOf(last)];
  return [args, new Map()];
}

/** A JavaScript value (JSON-like data, functions) → a runtime value. */
export function toValue(x: unknown): Value {
  switch (typeof x) {
    case "string":
      return str(x);
    case "number":
      return Number.isInteger(x) && !Object.is(x, -0) ? int(x) : float(x);
    case "bigint":
      return int(Number(x));
    case "boolean":
      return bool(x);
    case "undefined":
      return undef();
    case "function":
      return fn((args) => toValue((x as (...a: unknown[]) => unknown)(...args.map(fromValue))));
    default: {
      if (x === null) return none();
      if (Array.isArray(x)) return list(x.map(toValue));
      const entries = x instanceof Map ? [...x.entries()] : Object.entries(x as object);
      return dict(
        new Map(
          entries.filter(([, v]) => v !== undefined).map(([k, v]) => [String(k), toValue(v)]),
        ),
      );
    }
  }
}

/** A runtime value → plain JavaScript data. */
export function fromValue(v: Value): unknown {
  if (isList(v)) return itemsOf(v).map(fromValue);
  if (isDict(v) || v.type === "NamespaceValue") {
    return Object.fromEntries([...mapOf(v)].map(([k, x]) => [k, fromValue(x)]));
  }
  return v.value ?? (isNone(v) ? null : undefined);
}

/** Marks a dict key that was not a string in the template (`{0: 'a'}`). */
const KEY_MARK = "\uE000";

/** The library keeps dicts as `Map<string, Value>`: the string a key is stored under. */
export function keyOf(k: Value): string {
  switch (k.type) {
    case "StringValue":
      return strOf(k);
    case "IntegerValue":
    case "FloatValue":
    case "BooleanValue":
      return KEY_MARK + String(numOf(k));
    case "NullValue":
      return KEY_MARK + "None";
    case "UndefinedValue":
      return KEY_MARK + "Undefined";
    default:
      throw new TemplateError(`unhashable type: '${typeName(k)}'`);
  }
}

/** The key value stored under `k` (see {@linkcode keyOf}). */
export function keyValue(k: string): Value {
  if (!k.startsWith(KEY_MARK)) return str(k);
  const rest = k.slice(KEY_MARK.length);
  if (rest === "None") return none();
  if (rest === "Undefined") return undef();
  const n = Number(rest);
  return Number.isInteger(n) ? int(n) : float(n);
}
