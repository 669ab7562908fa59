/**
 * Chat templates: a model's Jinja template rendered the way Hugging Face transformers'
 * `apply_chat_template` renders it with Python's jinja2 (immutable sandbox, `trim_blocks`,
 * `lstrip_blocks`, `loopcontrols`, a `tojson` filter with `ensure_ascii=False`,
 * `raise_exception`, `strftime_now`), byte for byte. Templates come from GGUF metadata,
 * `tokenizer_config.json` / `chat_template.json`, or a `chat_template.jinja` file's text.
 *
 * Built on `@huggingface/jinja` (its lexer, parser, scopes, `set`, macros, `call` blocks
 * and `namespace`), extended through its public `Interpreter.evaluate` hook, a token
 * rewrite and a source pre-pass, never forked. What the library (0.5.11) lacks or does
 * differently from jinja2, and this module supplies:
 *
 * - output: prints `True`/`False`/`None` and Python `repr` of lists/dicts (it prints JSON,
 *   `true`, and nothing for `none`); floats as Python does (`1e-05`, `1e+16`)
 * - whitespace: `{%+`/`+%}`, `{% raw %}`, CRLF sources, `lstrip_blocks` only at line
 *   starts, `trim_blocks`/`-` read from real tag boundaries (it uses regexes over the
 *   whole source, string literals included)
 * - string literals: Python escapes (`\q` kept, octal, `\U0001F600`, line continuation);
 *   it throws on unknown escapes
 * - syntax: tests with arguments (`divisibleby(3)`, `sameas false`, `in [...]`), `(x,)`
 *   tuples and trailing commas, number literals with exponents or `_`, dict literals
 *   with non-string keys (`{0: 'a'}`), chained comparisons (`a < b < c`), calls and
 *   lookups on a filter's result (`x|attr('upper')()`)
 * - `for`: a fresh scope per iteration (its `set` leaked into the next iteration), text
 *   rendered before `break`/`continue` kept (it was dropped), `else` when no iteration
 *   reached the end of the body, loops over strings and Undefined (it throws),
 *   `loop.cycle`, `loop.changed`, `loop.depth`
 * - scoping: macros see the scope they are defined in (it used the caller's); jinja2's
 *   frame quirk where a name first assigned later in a frame is Undefined before that
 * - operators: `==`/`in` compare deeply (it compared references: `[1] == [1]` false),
 *   `'1' == 1` false, `<` on strings and lists, `'-' * 3`, `'%s' % x`, Python `//` and
 *   `%`, `~` on Undefined, TypeError for `'a' + 1`, ZeroDivisionError
 * - Undefined: raises on attribute access, call and arithmetic as jinja2 does, with
 *   jinja2's messages ("'x' is undefined", "'dict object' has no attribute 'y'")
 * - lookup: `obj.name` tries methods before keys and `obj[key]` keys before methods; no
 *   `.length` on lists/strings (jinja2 has none); code-point string indexing
 * - str methods: `strip/lstrip/rstrip(chars)` (it ignored `chars`), `split(None, n)`,
 *   `rsplit`, `splitlines`, `find/rfind/index/rindex/count`, `join`, `format`,
 *   `center/ljust/rjust/zfill`, `partition`, `removeprefix/removesuffix`, `is*`, Python
 *   `title()` and `capitalize()`; list `index/count`; dict `copy`; mutating methods raise
 *   SecurityError as the immutable sandbox does
 * - filters: `select`, `reject`, `map('filter')`, `min`, `max`, `sum`, `batch`, `slice`,
 *   `center`, `truncate`, `wordcount`, `format`, `round`, `escape`, `attr`,
 *   `filesizeformat`, `urlencode`, `striptags`, `d`, `count`, positional `tojson` args
 *   and `indent=0`/string indents, `trim(chars)`, jinja2's `title`/`indent`/`int`, and
 *   every filter on Undefined, None and other types jinja2 accepts (its filters are typed
 *   per operand: `none|string`, `undefined|trim`, `dict|list` threw)
 * - tests: arguments (`divisibleby(3)`, `sameas false`, `in [...]`, `eq`, `lt`, ...),
 *   `filter`, `test`, `escaped`, `number` true for booleans; unknown names rejected at
 *   compile time as jinja2 does
 * - globals: `range` with the sandbox's 100000 limit, `dict(...)`, `joiner`,
 *   `strftime_now` in the C locale from an injectable clock (it used `Intl` and now)
 *
 * Not supported: `{% with %}`, recursive loops, `{% include %}`/`{% extends %}`,
 * `groupby`, `pprint`, `random`, `urlize`, `wordwrap`, `xmlattr`, `cycler`, `lipsum`.
 * Printing a function gives `<function>` (Python prints an address). JSON input cannot
 * tell `1.0` from `1`, so such floats print as ints. Some syntax jinja2 rejects is
 * accepted (`{% if a if b else c %}`, `{% macro m(a,) %}`).
 *
 * @module
 */
import { Environment } from "@huggingface/jinja";
import { ModelFormatError, TemplateError } from "../errors.ts";
import { compile, type Program } from "./_chat_template_compile.ts";
import { JinjaInterpreter } from "./_chat_template_interpreter.ts";
import { strftime } from "./_chat_template_json.ts";
import { pyStr } from "./_chat_template_python.ts";
import { annotateScopes } from "./_chat_template_scope.ts";
import { globals } from "./_chat_template_globals.ts";
import { type Node, toValue, undef } from "./_chat_template_values.ts";

/** Variables a chat template reads; any other key is passed through as well. */
export interface ChatTemplateVars {
  /** The conversation: `{ role, content, ... }` objects as the OpenAI API sends them. */
  readonly messages: readonly unknown[];
  /** End with the header that opens the assistant's turn. */
  readonly add_generation_prompt?: boolean;
  /** The tokenizer's BOS text, e.g. `"<s>"`. */
  readonly bos_token?: string;
  /** The tokenizer's EOS text, e.g. `"</s>"`. */
  readonly eos_token?: string;
  /** Tool (function) schemas; leave out when the request has none. */
  readonly tools?: readonly unknown[];
  /** Anything else the template reads (`enable_thinking`, `documents`, ...). */
  readonly [key: string]: unknown;
}

/** Options of {@linkcode ChatTemplate.render}. */
export interface RenderOptions {
  /** Which named template to use; by default `tool_use` when tools are given, else `default`. */
  readonly name?: string;
  /** The clock `strftime_now` reads (default: the current time). */
  readonly now?: Date | (() => Date);
}

/** One named template, as `tokenizer_config.json` lists them. */
export interface NamedChatTemplate {
  /** Its name (`default`, `tool_use`, `rag`, ...). */
  readonly name: string;
  /** The Jinja source. */
  readonly template: string;
}

/**
 * A model's chat template (or its named set: `default`, `tool_use`, ...), rendered with
 * jinja2's semantics.
 *
 * @example
 * ```ts
 * import { ChatTemplate } from "@loom/core";
 * const t = new ChatTemplate(
 *   "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}" +
 *     "{% if add_generation_prompt %}<|assistant|>{% endif %}",
 * );
 * const text = t.render({ messages: [{ role: "user", content: "Hi" }], add_generation_prompt: true });
 * console.log(JSON.stringify(text)); // "<|user|>Hi\n<|assistant|>"
 * ```
 */
export class ChatTemplate {
  /** Template sources by name; a single template is named `default`. */
  readonly sources: ReadonlyMap<string, string>;
  readonly #compiled = new Map<string, { program: Program; shadowed: Set<string> }>();

  /**
   * Creates an instance.
   *
   * @param source One template's text, or named templates.
   * @throws {TemplateError} When the default template does not parse.
   */
  constructor(source: string | readonly NamedChatTemplate[]) {
    this.sources = typeof source === "string"
      ? new Map([["default", source]])
      : new Map(source.map((t) => [t.name, t.template]));
    if (this.sources.has("default")) this.#program("default");
  }

  /** The names of the templates this set holds. */
  get names(): string[] {
    return [...this.sources.keys()];
  }

  /** Which template a render with these options and tools uses (as transformers picks). */
  select(options: { name?: string; hasTools?: boolean } = {}): string {
    if (options.name !== undefined) {
      if (this.sources.has(options.name)) return options.name;
      throw new TemplateError(
        `no chat template named "${options.name}" (this model has: ${this.names.join(", ")})`,
      );
    }
    if (options.hasTools && this.sources.has("tool_use")) return "tool_use";
    if (this.sources.has("default")) return "default";
    throw new TemplateError(
      `this model has several chat templates and none is named "default" (${
        this.names.join(", ")
      })`,
    );
  }

  /**
   * Renders the template with `vars` (messages, add_generation_prompt, bos_token,
   * eos_token, tools, and any extra keys).
   *
   * @throws {TemplateError} When the template raises (e.g. "Conversation roles must
   *   alternate user/assistant/user/assistant/...") or fails as jinja2 would.
   */
  render(vars: ChatTemplateVars, options: RenderOptions = {}): string {
    const name = this.select({
      ...(options.name !== undefined ? { name: options.name } : {}),
      hasTools: vars.tools !== undefined && vars.tools !== null,
    });
    const { program, shadowed } = this.#program(name);
    const now = options.now;
    const clock = now === undefined
      ? () => new Date()
      : typeof now === "function"
      ? now
      : () => now;
    const env = new Environment();
    for (const [key, value] of globals((format) => strftime(clock(), format))) {
      env.setVariable(key, value);
    }
    for (const [key, value] of Object.entries(vars)) {
      if (value !== undefined) env.setVariable(key, toValue(value));
    }
    for (const key of shadowed) env.setVariable(key, undef(`'${key}' is undefined`));
    try {
      return pyStr(new JinjaInterpreter(env).run(program));
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError(e instanceof Error ? e.message : String(e));
    }
  }

  #program(name: string): { program: Program; shadowed: Set<string> } {
    let compiled = this.#compiled.get(name);
    if (!compiled) {
      const program = compile(this.sources.get(name)!);
      compiled = { program, shadowed: annotateScopes(program as unknown as Node) };
      this.#compiled.set(name, compiled);
    }
    return compiled;
  }
}

/**
 * The chat template(s) of a GGUF file: `tokenizer.chat_template` and the named
 * `tokenizer.chat_template.<name>` keys; `undefined` when it has none.
 *
 * @example
 * ```ts
 * import { chatTemplateFromGguf } from "@loom/core";
 * const t = chatTemplateFromGguf({ "tokenizer.chat_template": "{{ messages[0].content }}" });
 * console.log(t?.render({ messages: [{ role: "user", content: "hi" }] })); // "hi"
 * ```
 */
export function chatTemplateFromGguf(
  metadata: Readonly<Record<string, unknown>>,
): ChatTemplate | undefined {
  const named: NamedChatTemplate[] = [];
  const prefix = "tokenizer.chat_template";
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") continue;
    if (key === prefix) named.push({ name: "default", template: value });
    else if (key.startsWith(prefix + ".")) {
      named.push({ name: key.slice(prefix.length + 1), template: value });
    }
  }
  return named.length ? new ChatTemplate(named) : undefined;
}

/**
 * The chat template(s) of a `tokenizer_config.json` or `chat_template.json` (parsed or
 * as text): `chat_template` as a string or a list of `{ name, template }`; `undefined`
 * when there is none. Text that is not JSON is a {@linkcode ModelFormatError}.
 *
 * @example
 * ```ts
 * import { chatTemplateFromConfig } from "@loom/core";
 * const t = chatTemplateFromConfig({
 *   chat_template: [
 *     { name: "default", template: "plain" },
 *     { name: "tool_use", template: "with tools" },
 *   ],
 * });
 * console.log(t?.render({ messages: [], tools: [] })); // "with tools"
 * ```
 */
export function chatTemplateFromConfig(config: unknown): ChatTemplate | undefined {
  let parsed = config;
  if (typeof config === "string") {
    try {
      parsed = JSON.parse(config);
    } catch (e) {
      throw new ModelFormatError(`tokenizer config is not JSON: ${(e as Error).message}`);
    }
  }
  const value = (parsed as { chat_template?: unknown } | null)?.chat_template;
  if (typeof value === "string") return new ChatTemplate(value);
  if (Array.isArray(value)) {
    const named = value.filter((t): t is NamedChatTemplate =>
      typeof t?.name === "string" && typeof t?.template === "string"
    );
    if (named.length) return new ChatTemplate(named);
  }
  return undefined;
}
