/**
 * The library's `Interpreter`, extended through its one public hook, `evaluate`: the node
 * kinds whose semantics differ from jinja2 (output, operators, filters, tests, attribute
 * and item lookup, calls, `if`, `for` with per-iteration scope and `break`/`continue`
 * that keep the text already rendered) run here; the rest (`set`, macros, `call` blocks,
 * literals, `namespace`) stays the library's.
 *
 * @module
 */
import { Environment, Interpreter } from "@huggingface/jinja";
import { TemplateError } from "../errors.ts";
import { getAttr, getItem, iterate } from "./_chat_template_attrs.ts";
import { TEST_FILTER } from "./_chat_template_compile.ts";
import { applyFilter } from "./_chat_template_filters.ts";
import { assign, loopObject, sliceValue } from "./_chat_template_loop.ts";
import { binaryOp } from "./_chat_template_ops.ts";
import { runTest } from "./_chat_template_predicates.ts";
import { SHADOWED } from "./_chat_template_scope.ts";
import { pyEq, pyStr, truthy } from "./_chat_template_python.ts";
import {
  bool,
  dict,
  fn,
  int,
  isNone,
  isNum,
  isUndef,
  keyOf,
  kwargsValue,
  mapOf,
  type NativeFn,
  type Node,
  none,
  num,
  numOf,
  str,
  strOf,
  typeName,
  undef,
  undefinedError,
  type Value,
} from "./_chat_template_values.ts";

// deno-lint-ignore no-explicit-any
type AnyNode = any;

const COMPARISONS = new Set<unknown>(["==", "!=", "<", ">", "<=", ">=", "in", "not in"]);

/** `break` / `continue`, carrying the text rendered before it in the iteration. */
class LoopSignal {
  constructor(readonly kind: string, public output = "") {}
}

/** The interpreter that gives templates jinja2's semantics (see the module doc). */
export class JinjaInterpreter extends Interpreter {
  override evaluate(node: Node | undefined, env: Environment): Value {
    const n = node as AnyNode;
    switch (n?.type) {
      case "Program":
        try {
          return str(this.block(n.body, env));
        } catch (e) {
          if (e instanceof LoopSignal) {
            throw new TemplateError(`'${e.kind.toLowerCase()}' outside loop`);
          }
          throw e;
        }
      case "Output":
        return str(pyStr(this.evaluate(n.expression, env)));
      case "Value":
        return n.value;
      case "ObjectLiteral": {
        // The library allows only string keys; Python any hashable one.
        const entries = new Map<string, Value>();
        for (const [k, v] of n.value) {
          entries.set(keyOf(this.evaluate(k, env)), this.evaluate(v, env));
        }
        return dict(entries);
      }
      case "Macro": {
        // The library binds a macro to its caller's scope; jinja2 to where it is defined.
        super.evaluate(n, env);
        const macro = env.lookupVariable(n.name.value);
        env.setVariable(
          n.name.value,
          fn((args, scope) => {
            const caller = scope.variables.get("caller");
            const inner = new Environment(env);
            if (caller) inner.setVariable("caller", caller);
            for (const name of n[SHADOWED] ?? []) {
              inner.setVariable(name, undef(`'${name}' is undefined`));
            }
            return (macro.value as NativeFn)(args, inner);
          }),
        );
        return none();
      }
      case "Identifier": {
        const v = super.evaluate(n, env);
        return isUndef(v) ? undef(`'${n.value}' is undefined`) : v;
      }
      case "MemberExpression":
        return this.member(n, env);
      case "CallExpression": {
        const callee = this.evaluate(n.callee, env);
        if (isUndef(callee)) throw undefinedError(callee);
        if (callee.type !== "FunctionValue") {
          throw new TemplateError(`'${typeName(callee)}' object is not callable`);
        }
        const [args, kwargs] = this.args(n.args, env);
        if (kwargs.size) args.push(kwargsValue(kwargs));
        return (callee.value as NativeFn)(args, env);
      }
      case "BinaryExpression": {
        const op = n.operator.value as string;
        const left = this.evaluate(n.left, env);
        if (op === "and") return truthy(left) ? this.evaluate(n.right, env) : left;
        if (op === "or") return truthy(left) ? left : this.evaluate(n.right, env);
        if (
          COMPARISONS.has(op) &&
          COMPARISONS.has(n.left.type === "BinaryExpression" && n.left.operator.value)
        ) {
          return this.chain(n, env);
        }
        return binaryOp(op, left, this.evaluate(n.right, env));
      }
      case "UnaryExpression": {
        const v = this.evaluate(n.argument, env);
        if (n.operator.value === "not") return bool(!truthy(v));
        if (isUndef(v)) throw undefinedError(v);
        if (!isNum(v)) {
          throw new TemplateError(
            `bad operand type for unary ${n.operator.value}: '${typeName(v)}'`,
          );
        }
        return num(n.operator.value === "-" ? -numOf(v) : numOf(v), v.type === "FloatValue");
      }
      case "FilterExpression":
        return this.filter(this.evaluate(n.operand, env), n.filter, env);
      case "FilterStatement":
        return this.filter(str(this.block(n.body, env)), n.filter, env);
      case "TestExpression": {
        const result = runTest(n.test.value, this.evaluate(n.operand, env), []);
        return bool(n.negate ? !result : result);
      }
      case "Ternary":
        return this.evaluate(
          truthy(this.evaluate(n.condition, env)) ? n.trueExpr : n.falseExpr,
          env,
        );
      case "SelectExpression":
        return truthy(this.evaluate(n.test, env)) ? this.evaluate(n.lhs, env) : undef();
      case "If":
        return str(this.block(truthy(this.evaluate(n.test, env)) ? n.body : n.alternate, env));
      case "For":
        return str(this.loop(n, env));
      case "Break":
      case "Continue":
        throw new LoopSignal(n.type);
      default:
        return super.evaluate(node, env);
    }
  }

  /** Python's chained comparison `a < b < c`: `a < b and b < c`, `b` evaluated once. */
  private chain(n: AnyNode, env: Environment): Value {
    const operands: AnyNode[] = [];
    const ops: string[] = [];
    let node = n;
    for (
      ;
      node.type === "BinaryExpression" && COMPARISONS.has(node.operator.value);
      node = node.left
    ) {
      operands.unshift(node.right);
      ops.unshift(node.operator.value);
    }
    operands.unshift(node);
    let left = this.evaluate(operands[0], env);
    let result = bool(true);
    for (let i = 0; i < ops.length; i++) {
      const right = this.evaluate(operands[i + 1], env);
      result = binaryOp(ops[i]!, left, right);
      if (!truthy(result)) return result;
      left = right;
    }
    return result;
  }

  /** Renders statements; a loop signal takes the text rendered so far with it. */
  block(statements: Node[], env: Environment): string {
    let out = "";
    for (const statement of statements) {
      try {
        const v = this.evaluate(statement, env);
        if (!isNone(v) && !isUndef(v)) out += pyStr(v);
      } catch (e) {
        if (e instanceof LoopSignal) e.output = out + e.output;
        throw e;
      }
    }
    return out;
  }

  private args(nodes: AnyNode[], env: Environment): [Value[], Map<string, Value>] {
    const args: Value[] = [];
    const kwargs = new Map<string, Value>();
    for (const a of nodes) {
      if (a.type === "SpreadExpression") args.push(...iterate(this.evaluate(a.argument, env)));
      else if (a.type === "KeywordArgumentExpression") {
        kwargs.set(a.key.value, this.evaluate(a.value, env));
      } else if (a.type === "KeywordSpreadExpression") {
        for (const [k, v] of mapOf(this.evaluate(a.argument, env))) kwargs.set(k, v);
      } else args.push(this.evaluate(a, env));
    }
    return [args, kwargs];
  }

  /** Applies a filter node: `f`, `f(args)`, or a call / lookup on a filter's result. */
  private filter(operand: Value, filter: AnyNode, env: Environment): Value {
    if (filter.type === "MemberExpression") {
      return this.member({
        ...filter,
        object: { type: "Value", value: this.filter(operand, filter.object, env) },
      }, env);
    }
    if (filter.type === "CallExpression" && filter.callee.type !== "Identifier") {
      const callee = this.filter(operand, filter.callee, env);
      return this.evaluate({ ...filter, callee: { type: "Value", value: callee } } as Node, env);
    }
    const name = (filter.type === "Identifier" ? filter.value : filter.callee.value) as string;
    const [args, kwargs] = filter.type === "Identifier"
      ? [[], new Map()]
      : this.args(filter.args, env);
    if (name === TEST_FILTER) {
      const [testName, negate, ...rest] = args as [Value, Value, ...Value[]];
      const result = runTest(strOf(testName), operand, rest);
      return bool(truthy(negate) ? !result : result);
    }
    return applyFilter(name, operand, args, kwargs);
  }

  private member(n: AnyNode, env: Environment): Value {
    const obj = this.evaluate(n.object, env);
    if (!n.computed) {
      return n.property.type === "IntegerLiteral"
        ? getItem(obj, int(n.property.value))
        : getAttr(obj, n.property.value);
    }
    if (n.property.type !== "SliceExpression") return getItem(obj, this.evaluate(n.property, env));
    const bound = (e: AnyNode) => (e ? this.evaluate(e, env) : undefined);
    const { start, stop, step } = n.property;
    return sliceValue(obj, bound(start), bound(stop), bound(step));
  }

  private loop(n: AnyNode, env: Environment): string {
    const select = n.iterable.type === "SelectExpression";
    const all = iterate(this.evaluate(select ? n.iterable.lhs : n.iterable, env));
    const bind = (item: Value, scope: Environment) => assign(n.loopvar, item, scope);
    const items = !select ? all : all.filter((item) => {
      const scope = new Environment(env);
      bind(item, scope);
      return truthy(this.evaluate(n.iterable.test, scope));
    });
    let out = "";
    // As jinja2 compiles it: `else` runs unless some iteration reached the end of the body.
    let completed = false;
    let last: Value[] | undefined;
    const changed = fn((args) => {
      const same = last !== undefined && last.length === args.length &&
        args.every((a, i) => pyEq(a, last![i]!));
      last = args;
      return bool(!same);
    });
    for (let i = 0; i < items.length; i++) {
      const scope = new Environment(env);
      for (const name of n[SHADOWED] ?? []) {
        scope.setVariable(name, undef(`'${name}' is undefined`));
      }
      scope.setVariable("loop", loopObject(items, i, changed));
      bind(items[i]!, scope);
      try {
        out += this.block(n.body, scope);
        completed = true;
      } catch (e) {
        if (!(e instanceof LoopSignal)) throw e;
        out += e.output;
        if (e.kind === "Break") break;
      }
    }
    return completed ? out : out + this.block(n.defaultBlock, env);
  }
}
