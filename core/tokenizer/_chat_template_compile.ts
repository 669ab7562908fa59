/**
 * Source → program: the whitespace pre-pass, the library's lexer, a token rewrite for
 * tests with arguments (`x is divisibleby(3)`, `x is sameas false`, which the library's
 * parser does not read), the library's parser, then an AST pass that marks every
 * `{{ ... }}` as an output (so it prints with Python's `str()`) and checks filter and
 * test names the way jinja2's compiler does.
 *
 * @module
 */
import { parse, tokenize } from "@huggingface/jinja";
import { TemplateError } from "../errors.ts";
import { preprocess } from "./_chat_template_lexer.ts";
import { FILTER_NAMES, TESTS } from "./_chat_template_predicates.ts";
import type { Node } from "./_chat_template_values.ts";

type Token = Parameters<typeof parse>[0][number];
/** A parsed template. */
export type Program = ReturnType<typeof parse>;

/** The filter the token rewrite turns `is name(args)` into. */
export const TEST_FILTER = "__loom_test__";
/** The global the token rewrite turns a one-element tuple `(x,)` into a call of. */
export const TUPLE_FN = "__loom_tuple__";
/** The identity global that keeps `(a < b) < c` apart from the chain `a < b < c`. */
export const GROUP_FN = "__loom_group__";

const tok = (type: string, value: string) => ({ type, value }) as Token;
const OPENERS: Record<string, string> = {
  OpenParen: "CloseParen",
  OpenSquareBracket: "CloseSquareBracket",
  OpenCurlyBracket: "CloseCurlyBracket",
};

/** Index of the token closing the bracket opened at `at`. */
function closing(tokens: Token[], at: number): number {
  const stack: string[] = [];
  for (let k = at; k < tokens.length; k++) {
    const t = tokens[k]!.type;
    if (t in OPENERS) stack.push(OPENERS[t]!);
    else if (t === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) return k;
    }
  }
  throw new TemplateError("unexpected end of template: unclosed bracket");
}

/** End (inclusive) of the primary expression and postfixes jinja2 reads as a test argument. */
function primaryEnd(tokens: Token[], at: number): number {
  const t = tokens[at]!;
  let k = t.type in OPENERS ? closing(tokens, at) : at;
  while (t.type === "StringLiteral" && tokens[k + 1]?.type === "StringLiteral") k++;
  for (;;) {
    const next = tokens[k + 1];
    if (next?.type === "Dot" && tokens[k + 2]) k += 2;
    else if (next?.type === "OpenSquareBracket" || next?.type === "OpenParen") {
      k = closing(tokens, k + 1);
    } else return k;
  }
}

const ARG_START = new Set([
  "Identifier",
  "StringLiteral",
  "NumericLiteral",
  "OpenParen",
  "OpenSquareBracket",
  "OpenCurlyBracket",
]);

const KEYWORDS = new Set(["in", "not", "and", "or", "if", "elif", "else", "is"]);

/**
 * Rewrites `x is [not] name(args)` / `x is [not] name arg` into a filter call, drops
 * trailing commas before `)`, turns `(x,)` into a call building a one-element tuple, and
 * marks parenthesised comparisons (so `a < b < c` can chain as in Python).
 */
function rewriteTokens(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const open: { type: string; at: number; commas: number; call: boolean; compares: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const isTest = t.type === "Identifier" && t.value === "is" && tokens[i - 1]?.type !== "Dot";
    if (!isTest) {
      if (t.type === "Comma" && tokens[i + 1]?.type === "CloseParen") {
        const paren = open.at(-1);
        if (paren && !paren.call && paren.commas === 0) {
          out.splice(paren.at, 0, tok("Identifier", TUPLE_FN));
        }
        continue;
      }
      const prev = out.at(-1);
      if (t.type in OPENERS) {
        const call = prev !== undefined &&
          ((prev.type === "Identifier" && !KEYWORDS.has(prev.value)) ||
            prev.type === "CloseParen" || prev.type === "CloseSquareBracket");
        open.push({ type: t.type, at: out.length, commas: 0, call, compares: false });
      } else if (
        t.type.startsWith("Close") && t.type !== "CloseStatement" && t.type !== "CloseExpression"
      ) {
        const group = open.pop();
        if (group?.type === "OpenParen" && !group.call && group.commas === 0 && group.compares) {
          out.splice(group.at, 0, tok("Identifier", GROUP_FN));
        }
      } else if (t.type === "Comma" && open.length) open.at(-1)!.commas++;
      else if (
        open.length &&
        (t.type === "ComparisonBinaryOperator" || (t.type === "Identifier" && t.value === "in"))
      ) {
        open.at(-1)!.compares = true;
      }
      out.push(t);
      continue;
    }
    let j = i + 1;
    const negate = tokens[j]?.type === "Identifier" && tokens[j]!.value === "not";
    if (negate) j++;
    const name = tokens[j];
    const next = tokens[j + 1];
    if (
      name?.type !== "Identifier" || !next || !ARG_START.has(next.type) ||
      (next.type === "Identifier" && ["else", "or", "and"].includes(next.value))
    ) {
      out.push(t);
      continue;
    }
    const [argFrom, argTo, end] = next.type === "OpenParen"
      ? [j + 2, closing(tokens, j + 1), closing(tokens, j + 1)]
      : [j + 1, primaryEnd(tokens, j + 1) + 1, primaryEnd(tokens, j + 1)];
    const args = tokens.slice(argFrom, argTo);
    out.push(
      tok("Pipe", "|"),
      tok("Identifier", TEST_FILTER),
      tok("OpenParen", "("),
      tok("StringLiteral", name.value),
      tok("Comma", ","),
      tok("NumericLiteral", negate ? "1" : "0"),
      ...(args.length ? [tok("Comma", ","), ...args] : []),
      tok("CloseParen", ")"),
    );
    i = end;
  }
  return out;
}

const STATEMENTS = new Set([
  "Set",
  "If",
  "For",
  "Macro",
  "CallStatement",
  "FilterStatement",
  "Break",
  "Continue",
  "Comment",
  "StringLiteral",
]);
const BODIES = ["body", "alternate", "defaultBlock"] as const;

type Fields = Record<string, unknown>;
const isNode = (x: unknown): x is Node & Fields =>
  typeof x === "object" && x !== null && typeof (x as Fields).type === "string";

/** The filter's name in a filter node (`f`, `f(args)`, `f(args)(more)`, `f(args).x`). */
export function filterName(node: Fields): string {
  if (node.type === "Identifier") return String(node.value);
  return filterName((node.callee ?? node.object) as Fields);
}

/** Wraps outputs and checks names; `soft` is inside an `if` (names checked at run time). */
function transform(node: Node & Fields, soft: boolean, proto: object): void {
  const check = (kind: "filter" | "test", name: string) => {
    const known = kind === "filter" ? FILTER_NAMES.has(name) : TESTS.has(name);
    if (!known && !soft) throw new TemplateError(`No ${kind} named '${name}'.`);
  };
  if (node.type === "FilterExpression" || node.type === "FilterStatement") {
    const f = node.filter as Fields;
    const name = filterName(f);
    if (name === TEST_FILTER) {
      const arg = ((f.args as Fields[])[0] as Fields).value;
      check("test", String(arg));
    } else check("filter", name);
  }
  if (node.type === "TestExpression") check("test", String((node.test as Fields).value));
  for (const key of BODIES) {
    const body = node[key];
    if (!Array.isArray(body)) continue;
    for (let k = 0; k < body.length; k++) {
      if (STATEMENTS.has(body[k].type)) continue;
      // A Statement (by prototype), so the library's macro scan walks into it.
      body[k] = Object.assign(Object.create(proto), { type: "Output", expression: body[k] });
    }
  }
  const softChildren = node.type === "If" || node.type === "Ternary" ||
    node.type === "SelectExpression";
  for (const [key, value] of Object.entries(node)) {
    const childSoft = soft || (softChildren && key !== "test" && key !== "condition");
    const children = Array.isArray(value)
      ? value
      : value instanceof Map
      ? [...value].flat()
      : [value];
    for (const child of children) if (isNode(child)) transform(child, childSoft, proto);
  }
}

/** Compiles a template source; a syntax problem is a {@linkcode TemplateError}. */
export function compile(source: string): Program {
  try {
    const program = parse(rewriteTokens(tokenize(preprocess(source))));
    const statementPrototype = Object.getPrototypeOf(Object.getPrototypeOf(program));
    transform(program as unknown as Node & Fields, false, statementPrototype);
    return program;
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    throw new TemplateError(`invalid chat template: ${(e as Error).message}`);
  }
}
