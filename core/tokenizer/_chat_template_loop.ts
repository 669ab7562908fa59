/**
 * Pieces of jinja2's `for` and subscript semantics: the `loop` object, binding loop
 * targets (`x`, `a, b`), and Python slicing.
 *
 * @module
 */
import type { Environment } from "@huggingface/jinja";
import { TemplateError } from "../errors.ts";
import { iterate } from "./_chat_template_attrs.ts";
import { codePoints } from "./_chat_template_python.ts";
import {
  bool,
  dict,
  fn,
  int,
  isDict,
  isList,
  isNone,
  isStr,
  isUndef,
  itemsOf,
  list,
  numOf,
  str,
  strOf,
  tuple,
  typeName,
  undef,
  undefinedError,
  type Value,
} from "./_chat_template_values.ts";

// deno-lint-ignore no-explicit-any
type AnyNode = any;

/** The `loop` variable of iteration `i` over `items`. */
export function loopObject(items: Value[], i: number, changed: Value): Value {
  const length = items.length;
  return dict(
    new Map<string, Value>([
      ["index", int(i + 1)],
      ["index0", int(i)],
      ["revindex", int(length - i)],
      ["revindex0", int(length - i - 1)],
      ["first", bool(i === 0)],
      ["last", bool(i === length - 1)],
      ["length", int(length)],
      ["previtem", i > 0 ? items[i - 1]! : undef("there is no previous item")],
      ["nextitem", i < length - 1 ? items[i + 1]! : undef("there is no next item")],
      ["depth", int(1)],
      ["depth0", int(0)],
      [
        "cycle",
        fn((args) => {
          if (args.length === 0) throw new TemplateError("no items for cycling given");
          return args[i % args.length]!;
        }),
      ],
      ["changed", changed],
    ]),
  );
}

/** Binds a loop target (`x` or `a, b`) in `scope`. */
export function assign(target: AnyNode, item: Value, scope: Environment): void {
  if (target.type === "Identifier") {
    scope.setVariable(target.value, item);
    return;
  }
  const names = target.value as AnyNode[];
  const values = iterate(item);
  if (values.length !== names.length) {
    throw new TemplateError(
      values.length > names.length
        ? `too many values to unpack (expected ${names.length})`
        : `not enough values to unpack (expected ${names.length}, got ${values.length})`,
    );
  }
  names.forEach((name, k) => scope.setVariable(name.value, values[k]!));
}

/** Python's `seq[start:stop:step]`. */
function pySlice<T>(seq: T[], start?: number, stop?: number, step = 1): T[] {
  if (step === 0) throw new TemplateError("slice step cannot be zero");
  const len = seq.length;
  const [lower, upper] = step > 0 ? [0, len] : [-1, len - 1];
  const clamp = (v: number | undefined, dflt: number) =>
    v === undefined ? dflt : v < 0 ? Math.max(v + len, lower) : Math.min(v, upper);
  const from = clamp(start, step > 0 ? lower : upper);
  const to = clamp(stop, step > 0 ? upper : lower);
  const out: T[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(seq[i]!);
  return out;
}

/** `obj[start:stop:step]` on a template value (bounds as evaluated, absent or None). */
export function sliceValue(obj: Value, ...bounds: (Value | undefined)[]): Value {
  if (isUndef(obj)) throw undefinedError(obj);
  if (isDict(obj)) throw new TemplateError("unhashable type: 'slice'");
  if (!isStr(obj) && !isList(obj)) {
    throw new TemplateError(`'${typeName(obj)}' object is not subscriptable`);
  }
  const [start, stop, step] = bounds.map((v) => {
    if (v === undefined || isNone(v)) return undefined;
    if (v.type !== "IntegerValue" && v.type !== "BooleanValue") {
      throw new TemplateError("slice indices must be integers or None or have an __index__ method");
    }
    return numOf(v);
  });
  const seq: (Value | string)[] = isStr(obj) ? codePoints(strOf(obj)) : itemsOf(obj);
  const part = pySlice(seq, start, stop, step);
  if (isStr(obj)) return str(part.join(""));
  return obj.type === "TupleValue" ? tuple(part as Value[]) : list(part as Value[]);
}
