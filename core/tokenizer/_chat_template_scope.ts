/**
 * jinja2's frame scoping quirk, found statically: in a frame (the template's top level, a
 * `for` body, a macro body), a name whose first use is an unconditional `{% set %}` (or
 * `{% macro %}`) starts out undefined in that frame, whatever outer scopes hold, so
 * nested loops and macros that read it before the `set` runs see Undefined (jinja2
 * compiles it as `l_N_x = missing`). Loads first, or stores only inside `if` branches,
 * resolve from outer scopes as usual.
 *
 * @module
 */
import type { Node } from "./_chat_template_values.ts";

// deno-lint-ignore no-explicit-any
type AnyNode = any;

/** Where {@linkcode annotateScopes} keeps a `for` or macro node's frame-local names. */
export const SHADOWED = Symbol("shadowed");

/**
 * Names the root frame starts with as Undefined (see the module doc); `for` and macro
 * nodes get theirs under {@linkcode SHADOWED}. A nested frame's name only starts
 * undefined when no enclosing frame uses it (else jinja2 starts it from the outer value).
 */
export function annotateScopes(program: Node): Set<string> {
  const annotate = (body: AnyNode[], outer: Set<string>): Set<string> => {
    const { first, frames } = analyse(body);
    const names = new Set([...outer, ...first.keys()]);
    for (const f of frames) f[SHADOWED] = annotate(f.body, names);
    return new Set(
      [...first].filter(([n, kind]) => kind === "store" && !outer.has(n)).map(([n]) => n),
    );
  };
  return annotate((program as AnyNode).body, new Set());
}

/** The first use (load or unconditional store) of each name in a frame, and its child frames. */
function analyse(body: AnyNode[]): { first: Map<string, "load" | "store">; frames: AnyNode[] } {
  const first = new Map<string, "load" | "store">();
  const frames: AnyNode[] = [];
  const note = (name: string, kind: "load" | "store") => {
    if (!first.has(name)) first.set(name, kind);
  };
  const loads = (node: AnyNode): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(loads);
    if (node instanceof Map) return [...node].flat().forEach(loads);
    switch (node.type) {
      case "Identifier":
        return note(node.value, "load");
      case "MemberExpression":
        loads(node.object);
        if (node.computed) loads(node.property);
        return;
      case "FilterExpression":
        loads(node.operand);
        return loads(filterArgs(node.filter));
      case "TestExpression":
        return loads(node.operand);
      case "KeywordArgumentExpression":
        return loads(node.value);
      default:
        for (const [key, value] of Object.entries(node)) if (key !== "type") loads(value);
    }
  };
  const stores = (target: AnyNode, branch: boolean): void => {
    if (target.type === "Identifier") note(target.value, branch ? "load" : "store");
    else if (target.type === "TupleLiteral") {
      target.value.forEach((t: AnyNode) => stores(t, branch));
    } else loads(target);
  };
  const frame = (statements: AnyNode[], branch: boolean): void => {
    for (const st of statements) {
      switch (st.type) {
        case "Set":
          if (st.value) loads(st.value);
          else frame(st.body, branch);
          stores(st.assignee, branch);
          break;
        case "If":
          loads(st.test);
          frame(st.body, true);
          frame(st.alternate, true);
          break;
        case "For":
          loads(st.iterable.type === "SelectExpression" ? st.iterable.lhs : st.iterable);
          frames.push(st);
          frame(st.defaultBlock, true);
          break;
        case "Macro":
          note(st.name.value, branch ? "load" : "store");
          frames.push(st);
          break;
        case "CallStatement":
          loads(st.call.args);
          frame(st.body, true);
          break;
        case "FilterStatement":
          frame(st.body, branch);
          break;
        case "Output":
          loads(st.expression);
          break;
      }
    }
  };
  frame(body, false);
  return { first, frames };
}

/** The argument expressions of a filter node (`f(args)`, `f(args)(more)`, `f(args).x`). */
function filterArgs(filter: AnyNode): AnyNode[] {
  if (filter.type === "CallExpression") return [...filter.args, ...filterArgs(filter.callee)];
  if (filter.type === "MemberExpression") {
    return [...filterArgs(filter.object), ...(filter.computed ? [filter.property] : [])];
  }
  return [];
}
