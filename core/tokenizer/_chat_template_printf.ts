/**
 * Python's printf-style `str % args` (used by the `format` filter and the `%` operator):
 * flags, width, precision and the conversions `s r a d i u f F e E g G x X o c %`.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { fixedRepr, pyRepr, pyStr } from "./_chat_template_python.ts";
import { isDict, isNum, itemsOf, mapOf, numOf, type Value } from "./_chat_template_values.ts";

const SPEC = /%(?:\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d+))?([sradiufFeEgGxXoc%])/g;

function exponential(x: number, precision: number, upper: boolean): string {
  const [m, e] = x.toExponential(precision).split("e") as [string, string];
  const exp = Number(e);
  const text = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return upper ? text.toUpperCase() : text;
}

function general(x: number, precision: number, upper: boolean, alternate: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return alternate ? (0).toFixed(p - 1) : "0";
  const exp = Number(x.toExponential(p - 1).split("e")[1]);
  const text = exp < -4 || exp >= p ? exponential(x, p - 1, upper) : x.toFixed(p - 1 - exp);
  return alternate ? text : text.replace(/(\.\d*?)0+(?=$|[eE])/, "$1").replace(/\.(?=$|[eE])/, "");
}

/** Formats one conversion of `value`. */
function convert(
  value: Value,
  flags: string,
  width: number,
  precision: number | undefined,
  c: string,
) {
  let text: string;
  if ("sra".includes(c)) {
    text = c === "s" ? pyStr(value) : pyRepr(value);
    if (precision !== undefined) text = text.slice(0, precision);
  } else if (c === "c") {
    text = isNum(value) ? String.fromCodePoint(numOf(value)) : pyStr(value);
  } else {
    if (!isNum(value)) {
      throw new TemplateError(`%${c} format: a real number is required, not ${value.type}`);
    }
    const x = numOf(value);
    const abs = Math.abs(x);
    switch (c) {
      case "d":
      case "i":
      case "u":
        text = String(Math.trunc(abs));
        break;
      case "x":
      case "X":
        text = Math.trunc(abs).toString(16);
        if (flags.includes("#")) text = "0x" + text;
        if (c === "X") text = text.toUpperCase();
        break;
      case "o":
        text = (flags.includes("#") ? "0o" : "") + Math.trunc(abs).toString(8);
        break;
      case "e":
      case "E":
        text = exponential(abs, precision ?? 6, c === "E");
        break;
      case "g":
      case "G":
        text = general(abs, precision ?? 6, c === "G", flags.includes("#"));
        break;
      default:
        text = fixedRepr(abs, precision ?? 6);
    }
    const sign = x < 0 || Object.is(x, -0) && "dfFeEgG".includes(c)
      ? "-"
      : flags.includes("+")
      ? "+"
      : flags.includes(" ")
      ? " "
      : "";
    if (flags.includes("0") && !flags.includes("-") && sign.length + text.length < width) {
      text = text.padStart(width - sign.length, "0");
    }
    text = sign + text;
  }
  if (text.length < width) text = flags.includes("-") ? text.padEnd(width) : text.padStart(width);
  return text;
}

/** `fmt % arg`: a tuple gives positional values, a dict named ones. */
export function printfFormat(fmt: string, arg: Value): string {
  const positional = arg.type === "TupleValue" ? itemsOf(arg) : [arg];
  let next = 0;
  const take = () => {
    const v = positional[next++];
    if (v === undefined) throw new TemplateError("not enough arguments for format string");
    return v;
  };
  const out = fmt.replace(SPEC, (_m, key, flags: string, w, p, c: string) => {
    if (c === "%") return "%";
    const width = w === "*" ? numOf(take()) : Number(w ?? 0);
    const precision = p === "*" ? numOf(take()) : p === undefined ? undefined : Number(p);
    let value: Value;
    if (key !== undefined) {
      if (!isDict(arg)) throw new TemplateError("format requires a mapping");
      const found = mapOf(arg).get(key);
      if (found === undefined) throw new TemplateError(`'${key}'`);
      value = found;
    } else value = take();
    return convert(value, flags, width, precision, c);
  });
  // Python treats any subscriptable argument but a tuple or str as a mapping: no leftovers check.
  if (!isDict(arg) && arg.type !== "ArrayValue" && next < positional.length) {
    throw new TemplateError("not all arguments converted during string formatting");
  }
  return out;
}
