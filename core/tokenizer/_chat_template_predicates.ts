/**
 * jinja2's tests (`x is defined`, `x is divisibleby(3)`, `x is sameas false`, ...) with
 * Python's semantics.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { pyCompare, pyEq, pyStr } from "./_chat_template_python.ts";
import { containsValue } from "./_chat_template_ops.ts";
import { isNum, numOf, strOf, type Value } from "./_chat_template_values.ts";

type Test = (v: Value, args: Value[]) => boolean;

const isType = (...types: string[]): Test => (v) => types.includes(v.type);
const compare = (op: string, ok: (c: number) => boolean): Test => (v, a) =>
  ok(pyCompare(v, a[0]!, op));
function integral(v: Value, name: string): number {
  if (!isNum(v)) throw new TemplateError(`${name} test needs a number`);
  return numOf(v);
}

/** Every test jinja2 knows, by name. */
export const TESTS: ReadonlyMap<string, Test> = new Map<string, Test>([
  ["defined", (v) => v.type !== "UndefinedValue"],
  ["undefined", (v) => v.type === "UndefinedValue"],
  ["none", isType("NullValue")],
  ["boolean", isType("BooleanValue")],
  ["true", (v) => v.type === "BooleanValue" && v.value === true],
  ["false", (v) => v.type === "BooleanValue" && v.value === false],
  ["integer", isType("IntegerValue")],
  ["float", isType("FloatValue")],
  ["number", isType("IntegerValue", "FloatValue", "BooleanValue")],
  ["string", isType("StringValue")],
  ["mapping", isType("ObjectValue", "KeywordArgumentsValue")],
  [
    "iterable",
    isType(
      "StringValue",
      "ArrayValue",
      "TupleValue",
      "ObjectValue",
      "KeywordArgumentsValue",
      "UndefinedValue",
    ),
  ],
  [
    "sequence",
    isType(
      "StringValue",
      "ArrayValue",
      "TupleValue",
      "ObjectValue",
      "KeywordArgumentsValue",
      "UndefinedValue",
    ),
  ],
  ["callable", isType("FunctionValue", "UndefinedValue")],
  ["escaped", () => false],
  ["lower", (v) => pyStr(v) === pyStr(v).toLowerCase() && pyStr(v) !== pyStr(v).toUpperCase()],
  ["upper", (v) => pyStr(v) === pyStr(v).toUpperCase() && pyStr(v) !== pyStr(v).toLowerCase()],
  ["odd", (v) => Math.abs(integral(v, "odd") % 2) === 1],
  ["even", (v) => integral(v, "even") % 2 === 0],
  ["divisibleby", (v, a) => integral(v, "divisibleby") % integral(a[0]!, "divisibleby") === 0],
  [
    "sameas",
    (v, a) => (v.type === a[0]!.type && typeof v.value !== "object" ? pyEq(v, a[0]!) : v === a[0]),
  ],
  ["in", (v, a) => containsValue(a[0]!, v)],
  ["filter", (v) => FILTER_NAMES.has(strOf(v))],
  ["test", (v) => TESTS.has(strOf(v))],
  ["==", (v, a) => pyEq(v, a[0]!)],
  ["eq", (v, a) => pyEq(v, a[0]!)],
  ["equalto", (v, a) => pyEq(v, a[0]!)],
  ["!=", (v, a) => !pyEq(v, a[0]!)],
  ["ne", (v, a) => !pyEq(v, a[0]!)],
  ["<", compare("<", (c) => c < 0)],
  ["lt", compare("<", (c) => c < 0)],
  ["lessthan", compare("<", (c) => c < 0)],
  ["<=", compare("<=", (c) => c <= 0)],
  ["le", compare("<=", (c) => c <= 0)],
  [">", compare(">", (c) => c > 0)],
  ["gt", compare(">", (c) => c > 0)],
  ["greaterthan", compare(">", (c) => c > 0)],
  [">=", compare(">=", (c) => c >= 0)],
  ["ge", compare(">=", (c) => c >= 0)],
]);

/** Every filter name jinja2 (with transformers' `tojson`) knows. */
export const FILTER_NAMES: ReadonlySet<string> = new Set(
  ("abs attr batch capitalize center count d default dictsort e escape filesizeformat first " +
    "float forceescape format groupby indent int items join last length list lower map max min " +
    "pprint random reject rejectattr replace reverse round safe select selectattr slice sort " +
    "string striptags sum title tojson trim truncate unique upper urlencode urlize wordcount " +
    "wordwrap xmlattr").split(" "),
);

/** Runs the test `name`; jinja2's error when there is none. */
export function runTest(name: string, v: Value, args: Value[]): boolean {
  const test = TESTS.get(name);
  if (!test) throw new TemplateError(`No test named '${name}' found.`);
  return test(v, args);
}
