/**
 * Binary operators with Python's semantics (jinja2 hands them to Python): `+` only
 * between like types, `*` repeats strings and lists, `/` always gives a float, `//` and
 * `%` floor, `~` concatenates `str()`s, `in` compares with `==`, and Undefined raises.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { pyCompare, pyEq, pyStr } from "./_chat_template_python.ts";
import { printfFormat } from "./_chat_template_printf.ts";
import {
  bool,
  float,
  int,
  isDict,
  isList,
  isNum,
  isStr,
  isUndef,
  itemsOf,
  keyOf,
  list,
  mapOf,
  num,
  numOf,
  str,
  strOf,
  tuple,
  typeName,
  undefinedError,
  type Value,
} from "./_chat_template_values.ts";

/** Python's `needle in haystack`. */
export function containsValue(haystack: Value, needle: Value): boolean {
  if (isUndef(haystack)) return false;
  if (isStr(haystack)) {
    if (!isStr(needle)) {
      throw new TemplateError(
        `'in <string>' requires string as left operand, not ${typeName(needle)}`,
      );
    }
    return strOf(haystack).includes(strOf(needle));
  }
  if (isList(haystack)) return itemsOf(haystack).some((x) => pyEq(x, needle));
  if (isDict(haystack)) return mapOf(haystack).has(keyOf(needle));
  throw new TemplateError(`argument of type '${typeName(haystack)}' is not iterable`);
}

const unsupported = (op: string, a: Value, b: Value) =>
  new TemplateError(
    `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`,
  );

function repeat(seq: Value, times: Value): Value {
  const n = Math.max(0, numOf(times));
  if (isStr(seq)) return str(strOf(seq).repeat(n));
  const items: Value[] = [];
  for (let i = 0; i < n; i++) items.push(...itemsOf(seq));
  return seq.type === "TupleValue" ? tuple(items) : list(items);
}

const isIntLike = (v: Value) => v.type === "IntegerValue" || v.type === "BooleanValue";

/** Applies the binary operator `op` (not `and` / `or`, which short-circuit). */
export function binaryOp(op: string, a: Value, b: Value): Value {
  switch (op) {
    case "==":
      return bool(pyEq(a, b));
    case "!=":
      return bool(!pyEq(a, b));
    case "in":
      return bool(containsValue(b, a));
    case "not in":
      return bool(!containsValue(b, a));
    case "~":
      return str(pyStr(a) + pyStr(b));
  }
  if (isUndef(a)) throw undefinedError(a);
  if (isUndef(b)) throw undefinedError(b);
  switch (op) {
    case "<":
      return bool(pyCompare(a, b, op) < 0);
    case "<=":
      return bool(pyCompare(a, b, op) <= 0);
    case ">":
      return bool(pyCompare(a, b, op) > 0);
    case ">=":
      return bool(pyCompare(a, b, op) >= 0);
  }
  if (isNum(a) && isNum(b)) return arithmetic(op, a, b);
  if (op === "+") {
    if (isStr(a) && isStr(b)) return str(strOf(a) + strOf(b));
    if (isList(a) && a.type === b.type) {
      const items = [...itemsOf(a), ...itemsOf(b)];
      return a.type === "TupleValue" ? tuple(items) : list(items);
    }
    if (isStr(a) || isList(a)) {
      throw new TemplateError(
        `can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`,
      );
    }
  }
  if (op === "*") {
    if ((isStr(a) || isList(a)) && isIntLike(b)) return repeat(a, b);
    if ((isStr(b) || isList(b)) && isIntLike(a)) return repeat(b, a);
  }
  if (op === "%" && isStr(a)) return str(printfFormat(strOf(a), b));
  throw unsupported(op, a, b);
}

function arithmetic(op: string, a: Value, b: Value): Value {
  const x = numOf(a), y = numOf(b);
  const isFloat = a.type === "FloatValue" || b.type === "FloatValue";
  const zeroCheck = () => {
    if (y !== 0) return;
    const kind = isFloat ? "float" : "integer";
    throw new TemplateError(
      op === "/"
        ? "division by zero"
        : op === "%"
        ? (isFloat ? "float modulo" : "integer modulo by zero")
        : `${kind} ${isFloat ? "floor division" : "division or modulo"} by zero`,
    );
  };
  switch (op) {
    case "+":
      return num(x + y, isFloat);
    case "-":
      return num(x - y, isFloat);
    case "*":
      return num(x * y, isFloat);
    case "/":
      zeroCheck();
      return float(x / y);
    case "//":
      zeroCheck();
      return num(Math.floor(x / y), isFloat);
    case "%": {
      zeroCheck();
      const r = x % y;
      return num(r !== 0 && (r < 0) !== (y < 0) ? r + y : r, isFloat);
    }
    case "**": {
      const r = x ** y;
      return isFloat || y < 0 ? float(r) : int(r);
    }
  }
  throw new TemplateError(`unknown operator ${op}`);
}
