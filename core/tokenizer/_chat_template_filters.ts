/**
 * jinja2's filters with Python's semantics (sequence and mapping filters here, text ones in
 * `_chat_template_filters_text.ts`), and transformers' `tojson`. Every filter takes
 * positional and keyword arguments the way its Python signature binds them.
 *
 * @module
 */
import { TemplateError } from "../errors.ts";
import { attrGetter, attrOnly, iterate } from "./_chat_template_attrs.ts";
import { jsonDumps } from "./_chat_template_json.ts";
import { binaryOp } from "./_chat_template_ops.ts";
import { FILTER_NAMES, runTest } from "./_chat_template_predicates.ts";
import { codePoints, pyCompare, pyEq, pyLen, pyStr, truthy } from "./_chat_template_python.ts";
import { type Args, type FilterDef, TEXT_FILTERS } from "./_chat_template_filters_text.ts";
import {
  int,
  isDict,
  isList,
  isNone,
  isStr,
  isUndef,
  itemsOf,
  keyValue,
  list,
  mapOf,
  numOf,
  str,
  strOf,
  tuple,
  undef,
  type Value,
} from "./_chat_template_values.ts";

const flag = (v: Value | undefined) => v !== undefined && truthy(v);

/** The sort key jinja2 uses: the attribute, lower-cased unless case-sensitive. */
function sortKey(a: Args, caseAt: number, attrAt: number): (v: Value) => Value {
  const get = attrGetter(a[attrAt]) ?? ((v: Value) => v);
  const caseSensitive = flag(a[caseAt]);
  return (v) => {
    const k = get(v);
    return !caseSensitive && isStr(k) ? str(strOf(k).toLowerCase()) : k;
  };
}

function sorted(items: Value[], key: (v: Value) => Value, reverse: boolean): Value[] {
  const keyed = items.map((v) => [key(v), v] as const);
  keyed.sort((x, y) => pyCompare(x[0], y[0]) * (reverse ? -1 : 1));
  return keyed.map(([, v]) => v);
}

function unique(items: Value[], key: (v: Value) => Value): Value[] {
  const seen: Value[] = [];
  return items.filter((v) => {
    const k = key(v);
    if (isList(k) && k.type === "ArrayValue" || isDict(k)) {
      throw new TemplateError(`unhashable type: '${isDict(k) ? "dict" : "list"}'`);
    }
    if (seen.some((s) => pyEq(s, k))) return false;
    seen.push(k);
    return true;
  });
}

function extreme(items: Value[], key: (v: Value) => Value, sign: number): Value {
  if (items.length === 0) return undef("No aggregated item, sequence was empty.");
  return items.reduce((best, v) => (pyCompare(key(v), key(best)) * sign > 0 ? v : best));
}

/** `select` / `reject` / `selectattr` / `rejectattr`. */
function selecting(keep: boolean, byAttr: boolean): FilterDef {
  return [[], (v, _a, rest) => {
    const [attr, testName, ...args] = byAttr ? rest : [undefined, ...rest];
    const get = byAttr ? attrGetter(attr) : (x: Value) => x;
    if (!get) throw new TemplateError("missing parameter for attribute name");
    const test = testName === undefined
      ? truthy
      : (x: Value) => runTest(pyStr(testName), x, args as Value[]);
    return list(truthy(v) ? iterate(v).filter((x) => test(get(x)) === keep) : []);
  }];
}

/** Sequence, mapping and JSON filters, by name. */
const SEQ_FILTERS: Record<string, FilterDef> = {
  length: [[], (v) => int(pyLen(v))],
  count: [[], (v) => int(pyLen(v))],
  first: [[], (v) => iterate(v)[0] ?? undef("No first item, sequence was empty.")],
  last: [[], (v) => iterate(v).at(-1) ?? undef("No last item, sequence was empty.")],
  list: [[], (v) => list([...iterate(v)])],
  reverse: [
    [],
    (v) =>
      isStr(v) ? str(codePoints(strOf(v)).reverse().join("")) : list([...iterate(v)].reverse()),
  ],
  join: [["d", "attribute"], (v, a) => {
    const get = attrGetter(a[1]) ?? ((x: Value) => x);
    return str(iterate(v).map((x) => pyStr(get(x))).join(a[0] === undefined ? "" : pyStr(a[0])));
  }],
  default: [
    ["default_value", "boolean"],
    (v, a) => isUndef(v) || (flag(a[1]) && !truthy(v)) ? a[0] ?? str("") : v,
  ],
  sort: [
    ["reverse", "case_sensitive", "attribute"],
    (v, a) => list(sorted(iterate(v), sortKey(a, 1, 2), flag(a[0]))),
  ],
  unique: [["case_sensitive", "attribute"], (v, a) => list(unique(iterate(v), sortKey(a, 0, 1)))],
  min: [["case_sensitive", "attribute"], (v, a) => extreme(iterate(v), sortKey(a, 0, 1), -1)],
  max: [["case_sensitive", "attribute"], (v, a) => extreme(iterate(v), sortKey(a, 0, 1), 1)],
  sum: [["attribute", "start"], (v, a) => {
    const get = attrGetter(a[0]) ?? ((x: Value) => x);
    return iterate(v).reduce((acc, x) => binaryOp("+", acc, get(x)), a[1] ?? int(0));
  }],
  items: [[], (v) => {
    if (isUndef(v)) return list([]);
    if (!isDict(v)) throw new TemplateError("Can only get item pairs from a mapping.");
    return list([...mapOf(v)].map(([k, x]) => tuple([keyValue(k), x])));
  }],
  dictsort: [["case_sensitive", "by", "reverse"], (v, a) => {
    if (!isDict(v)) throw new TemplateError("You can only sort by either 'key' or 'value'");
    const by = a[1] === undefined ? "key" : pyStr(a[1]);
    if (by !== "key" && by !== "value") {
      throw new TemplateError("You can only sort by either 'key' or 'value'");
    }
    const pairs = [...mapOf(v)].map(([k, x]) => tuple([keyValue(k), x]));
    const key = sortKey([a[0]], 0, 1);
    return list(sorted(pairs, (p) => key(itemsOf(p)[by === "key" ? 0 : 1]!), flag(a[2])));
  }],
  map: [[], (v, _a, rest, extra) => {
    const items = truthy(v) ? iterate(v) : [];
    if (rest.length === 0) {
      const get = attrGetter(extra.get("attribute"));
      if (!get) throw new TemplateError("map requires a filter name or attribute=");
      const dflt = extra.get("default");
      return list(items.map((x) => {
        const r = get(x);
        return isUndef(r) && dflt !== undefined ? dflt : r;
      }));
    }
    const [name, ...args] = rest;
    return list(items.map((x) => applyFilter(pyStr(name!), x, args, extra)));
  }],
  select: selecting(true, false),
  reject: selecting(false, false),
  selectattr: selecting(true, true),
  rejectattr: selecting(false, true),
  attr: [["name"], (v, a) => attrOnly(v, pyStr(a[0]!))],
  batch: [["linecount", "fill_with"], (v, a) => {
    const n = numOf(a[0]!), out: Value[] = [];
    let row: Value[] = [];
    for (const x of iterate(v)) {
      if (row.length === n) (out.push(list(row)), (row = []));
      row.push(x);
    }
    if (row.length) {
      while (a[1] !== undefined && !isNone(a[1]) && row.length < n) row.push(a[1]);
      out.push(list(row));
    }
    return list(out);
  }],
  slice: [["slices", "fill_with"], (v, a) => {
    const seq = iterate(v), slices = numOf(a[0]!);
    const per = Math.floor(seq.length / slices), extra = seq.length % slices;
    const out: Value[] = [];
    let offset = 0;
    for (let i = 0; i < slices; i++) {
      const start = offset + i * per;
      if (i < extra) offset++;
      const part = seq.slice(start, offset + (i + 1) * per);
      if (a[1] !== undefined && !isNone(a[1]) && i >= extra) part.push(a[1]);
      out.push(list(part));
    }
    return list(out);
  }],
  tojson: [["ensure_ascii", "indent", "separators", "sort_keys"], (v, a) => {
    const indent = a[1] === undefined || isNone(a[1])
      ? null
      : isStr(a[1])
      ? strOf(a[1])
      : numOf(a[1]);
    const seps = a[2] === undefined || isNone(a[2])
      ? null
      : iterate(a[2]).map(pyStr) as [string, string];
    return str(
      jsonDumps(v, { ensureAscii: flag(a[0]), indent, separators: seps, sortKeys: flag(a[3]) }),
    );
  }],
};
SEQ_FILTERS["d"] = SEQ_FILTERS["default"]!;

const FILTERS: Record<string, FilterDef> = { ...TEXT_FILTERS, ...SEQ_FILTERS };

/** Applies filter `name` with its call's positional and keyword arguments. */
export function applyFilter(
  name: string,
  v: Value,
  args: Value[],
  kwargs: Map<string, Value>,
): Value {
  const def = FILTERS[name];
  if (!def) {
    throw new TemplateError(
      FILTER_NAMES.has(name)
        ? `the '${name}' filter is not supported by Loom's chat templates`
        : `No filter named '${name}' found.`,
    );
  }
  const [params, run] = def;
  const bound: Args = params.map((_, i) => args[i]);
  const extra = new Map(kwargs);
  params.forEach((p, i) => {
    if (extra.has(p)) {
      if (bound[i] !== undefined) {
        throw new TemplateError(`${name}() got multiple values for argument '${p}'`);
      }
      bound[i] = extra.get(p);
      extra.delete(p);
    }
  });
  const rest = args.slice(params.length);
  if (params.length > 0 && (rest.length > 0 || extra.size > 0) && !["map"].includes(name)) {
    throw new TemplateError(`${name}() got an unexpected argument`);
  }
  return run(v, bound, rest, extra);
}
