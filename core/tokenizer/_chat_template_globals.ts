/**
 * The globals a chat template sees besides its variables: jinja2's (`range`, `dict`,
 * `joiner`, `true`/`false`/`none` and their title-case forms; `namespace` is the
 * library's) and transformers' (`raise_exception`, `strftime_now`).
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { GROUP_FN, TUPLE_FN } from "./_chat_template_compile.ts";
import { pyStr } from "./_chat_template_python.ts";
import {
  bool,
  dict,
  fn,
  int,
  list,
  none,
  numOf,
  splitArgs,
  str,
  tuple,
  typeName,
  type Value,
} from "./_chat_template_values.ts";

/** The sandbox's limit on `range()` lengths. */
const MAX_RANGE = 100_000;

function range(args: Value[]): Value {
  const [positional] = splitArgs(args);
  for (const a of positional) {
    if (a.type !== "IntegerValue" && a.type !== "BooleanValue") {
      throw new TemplateError(`'${typeName(a)}' object cannot be interpreted as an integer`);
    }
  }
  const n = positional.map(numOf);
  const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
  if (step === 0) throw new TemplateError("range() arg 3 must not be zero");
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > MAX_RANGE) {
    throw new TemplateError(
      `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`,
    );
  }
  return list(Array.from({ length }, (_, i) => int(start + i * step)));
}

/** Globals for one render; `strftime` formats the render's clock. */
export function globals(strftime: (format: string) => string): Map<string, Value> {
  return new Map<string, Value>([
    [TUPLE_FN, fn((args) => tuple(splitArgs(args)[0]))],
    [GROUP_FN, fn((args) => args[0]!)],
    ["true", bool(true)],
    ["false", bool(false)],
    ["none", none()],
    ["True", bool(true)],
    ["False", bool(false)],
    ["None", none()],
    ["range", fn(range)],
    ["dict", fn((args) => dict(new Map(splitArgs(args)[1])))],
    [
      "joiner",
      fn((args) => {
        const sep = args[0] === undefined ? ", " : pyStr(args[0]);
        let used = false;
        return fn(() => str(used ? sep : ((used = true), "")));
      }),
    ],
    [
      "raise_exception",
      fn((args) => {
        throw new TemplateError(args[0] === undefined ? "" : pyStr(args[0]));
      }),
    ],
    ["strftime_now", fn((args) => str(strftime(args[0] === undefined ? "" : pyStr(args[0]))))],
  ]);
}
