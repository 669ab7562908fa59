import assert from "node:assert/strict";
import { ModelFormatError, TemplateError } from "../errors.ts";
import {
  ChatTemplate,
  chatTemplateFromConfig,
  chatTemplateFromGguf,
  type ChatTemplateVars,
} from "./chat_template.ts";

const FIXTURES = new URL("../../../shared/fixtures/chat_templates/", import.meta.url);
/** The clock the fixture vectors were rendered with. */
const NOW = new Date(2026, 0, 2, 3, 4, 5);

interface Vector {
  template: string;
  case: string;
  vars: ChatTemplateVars;
  expected?: string;
  error?: string;
}

/** Asserts that `f` throws a TemplateError whose message is `message`. */
function assertTemplateError(f: () => unknown, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("chat templates render every fixture vector as jinja2 does", async (t) => {
  const vectors: Vector[] = JSON.parse(await Deno.readTextFile(new URL("vectors.json", FIXTURES)));
  const byTemplate = Map.groupBy(vectors, (v) => v.template);
  assert.ok(byTemplate.size >= 16);
  for (const [file, cases] of byTemplate) {
    await t.step(file, async () => {
      const template = new ChatTemplate(await Deno.readTextFile(new URL(file, FIXTURES)));
      for (const v of cases) {
        if (v.error !== undefined) {
          // jinja2's message is "ValueError: System role not supported"; the template's own
          // message is what follows the exception type.
          assertTemplateError(
            () => template.render(v.vars, { now: NOW }),
            v.error.replace(/^\w+: /, ""),
          );
        } else {
          assert.equal(template.render(v.vars, { now: NOW }), v.expected, `${file} / ${v.case}`);
        }
      }
    });
  }
});

/** Cases whose expected text (or error) jinja2 3.1.6 gave with transformers' settings. */
const JINJA2_CASES: {
  name: string;
  template: string;
  vars: Record<string, unknown>;
  expected?: string;
  error?: string;
}[] = [
  {
    "name": "prints Python values",
    "template":
      "{{ [1, 'a', none, true, {'k': \"it's\"}] }}|{{ none }}|{{ false }}|{{ (1,) }}|{{ 2.5 }}|{{ 1e-05 * 1 }}",
    "vars": {},
    "expected": "[1, 'a', None, True, {'k': \"it's\"}]|None|False|(1,)|2.5|1e-05",
  },
  {
    "name": "prints data from JSON",
    "template": "{{ x }}",
    "vars": { "x": { "a": [1, 2.5, null, true], "b": "c\n" } },
    "expected": "{'a': [1, 2.5, None, True], 'b': 'c\\n'}",
  },
  {
    "name": "trim_blocks and lstrip_blocks",
    "template": "a\n  {% if true %}\n    b\n  {% endif %}\nc\n",
    "vars": {},
    "expected": "a\n    b\nc",
  },
  {
    "name": "whitespace control signs",
    "template": "a  {%- if true -%}  b  {%+ endif %}\n  {#- c -#}  d\n",
    "vars": {},
    "expected": "ab  d",
  },
  {
    "name": "raw blocks and CRLF",
    "template": "{% raw %}{{ x }}{% endraw %}\r\n{% if true %}\r\nb\r\n{% endif %}\r\n",
    "vars": {},
    "expected": "{{ x }}b\n",
  },
  {
    "name": "Python string escapes",
    "template": "{{ 'a\\qb\\x41\\101\\u00e9\\U0001F600\\\nc' }}",
    "vars": {},
    "expected": "a\\qbAAé😀c",
  },
  {
    "name": "set in a loop is per iteration",
    "template": "{% for i in [1, 2] %}[{{ x }}]{% set x = i %}{% endfor %}[{{ x }}]",
    "vars": {},
    "expected": "[][][]",
  },
  {
    "name": "namespace carries across iterations",
    "template":
      "{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
    "vars": {},
    "expected": "6",
  },
  {
    "name": "break and continue keep earlier output",
    "template":
      "{% for x in [1, 2, 3] %}{{ x }}{% if x == 2 %}!{% break %}{% endif %}-{% endfor %}",
    "vars": {},
    "expected": "1-2!",
  },
  {
    "name": "loop variables",
    "template":
      "{% for x in 'abcd' if x != 'c' %}{{ loop.index }}{{ x }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.previtem }}{{ loop.cycle('+', '-') }},{% endfor %}",
    "vars": {},
    "expected": "1a2TrueFalse+,2b1FalseFalsea-,3d0FalseTrueb+,",
  },
  {
    "name": "loops over dicts, Undefined, else",
    "template":
      "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for x in missing %}{% else %}empty{% endfor %}",
    "vars": { "d": { "a": 1, "b": 2 } },
    "expected": "a=1;b=2;empty",
  },
  {
    "name": "macro sees its definition scope",
    "template":
      "{% set x = 'outer' %}{% macro m() %}{{ x }}{% endmacro %}{% for x in ['loop'] %}{{ m() }}{% endfor %}",
    "vars": {},
    "expected": "outer",
  },
  {
    "name": "macro varargs, kwargs, caller",
    "template":
      "{% macro m(a, b='d') %}{{ a }}{{ b }}{{ kwargs }}{% endmacro %}{{ m(1) }}{{ m(1, c=2) }}{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}in{% endcall %}",
    "vars": {},
    "expected": "1d{}1d{'c': 2}<in>",
  },
  {
    "name": "deep equality and membership",
    "template":
      "{{ [1, 2] == [1, 2] }}{{ {'a': 1} == {'a': 1} }}{{ '1' == 1 }}{{ [1] in [[1]] }}{{ 'k' in {'k': 1} }}{{ none == undefined_var }}",
    "vars": {},
    "expected": "TrueTrueFalseTrueTrueFalse",
  },
  {
    "name": "Python arithmetic",
    "template":
      "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 10 / 4 }} {{ 2 ** 10 }} {{ 'ab' * 2 }} {{ '-' * 3 }} {{ [0] * 2 }} {{ 'x' ~ 1 ~ none }}",
    "vars": {},
    "expected": "3 -4 2 2.5 1024 abab --- [0, 0] x1None",
  },
  {
    "name": "printf-style %",
    "template":
      "{{ '%s=%d (%.1f%%)' % ('a', 3, 2.25) }}|{{ '%05.1f|%-4s|%x' % (3.14159, 'ab', 255) }}",
    "vars": {},
    "expected": "a=3 (2.2%)|003.1|ab  |ff",
  },
  {
    "name": "chained comparisons",
    "template": "{{ 1 < 2 < 3 }}{{ 3 > 2 > 1 }}{{ (3 > 2) > 1 }}",
    "vars": {},
    "expected": "TrueTrueFalse",
  },
  {
    "name": "string ordering",
    "template": "{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}",
    "vars": {},
    "expected": "TrueTrue",
  },
  {
    "name": "str + int raises",
    "template": "{{ 'a' + 1 }}",
    "vars": {},
    "error": 'can only concatenate str (not "int") to str',
  },
  {
    "name": "division by zero raises",
    "template": "{{ 1 // 0 }}",
    "vars": {},
    "error": "integer division or modulo by zero",
  },
  {
    "name": "undefined prints nothing",
    "template": "[{{ missing }}]{{ missing is defined }}{{ d.nope is defined }}[{{ d.nope }}]",
    "vars": { "d": {} },
    "expected": "[]FalseFalse[]",
  },
  {
    "name": "attribute of undefined raises",
    "template": "{{ missing.attr }}",
    "vars": {},
    "error": "'missing' is undefined",
  },
  {
    "name": "attribute of a missing key raises",
    "template": "{{ message.tool_calls.function }}",
    "vars": { "message": { "role": "user" } },
    "error": "'dict object' has no attribute 'tool_calls'",
  },
  {
    "name": "methods before keys",
    "template": "{{ d.items is defined }}|{{ d['items'] }}|{{ d.get('items') }}|{{ d.content }}",
    "vars": { "d": { "items": "x", "content": "c" } },
    "expected": "True|x|x|c",
  },
  {
    "name": "no .length in jinja2",
    "template": "[{{ 'abc'.length }}][{{ [1].length }}]",
    "vars": {},
    "expected": "[][]",
  },
  {
    "name": "code-point indexing",
    "template": "{{ 'é😀x'[1] }}|{{ 'é😀x'|length }}|{{ 'é😀x'[1:] }}",
    "vars": {},
    "expected": "😀|3|😀x",
  },
  {
    "name": "non-string dict keys",
    "template":
      "{% set m = {0: 'a', 512: 'b'} %}{{ m[512] }}{{ m }}{{ m|tojson }}{% for k, v in m|dictsort %}{{ k + 1 }}{% endfor %}",
    "vars": {},
    "expected": 'b{0: \'a\', 512: \'b\'}{"0": "a", "512": "b"}1513',
  },
  {
    "name": "slicing",
    "template": "{{ x[1:] }}{{ x[::-1] }}{{ x[:-1] }}{{ x[-10:2] }}{{ 'hello'[1:3] }}",
    "vars": { "x": [1, 2, 3] },
    "expected": "[2, 3][3, 2, 1][1, 2][1, 2]el",
  },
  {
    "name": "strip with chars",
    "template":
      "[{{ '\\n\\n a'.lstrip('\\n') }}][{{ 'xxaxx'.strip('x') }}][{{ '\\u00a0a\\u2003'.strip() }}]",
    "vars": {},
    "expected": "[ a][a][a]",
  },
  {
    "name": "split forms",
    "template":
      "{{ '  a b  c '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ '  a b  '.split(none, 1) }}|{{ 'a\\nb\\r\\nc'.splitlines() }}|{{ 'x</think>y'.split('</think>')[-1] }}",
    "vars": {},
    "expected": "['a', 'b', 'c']|['a', 'b c']|['a b', 'c']|['a', 'b  ']|['a', 'b', 'c']|y",
  },
  {
    "name": "more str methods",
    "template":
      "{{ 'hello'.find('l') }}{{ 'hello'.rfind('l') }}{{ 'hello'.count('l') }}{{ 'hello'.startswith('el', 1) }}{{ 'a=b=c'.partition('=') }}{{ 'ab'.center(6, '*') }}{{ '-42'.zfill(6) }}{{ \"they're\".title() }}{{ 'hELLO'.capitalize() }}",
    "vars": {},
    "expected": "232True('a', '=', 'b=c')**ab**-00042They'ReHello",
  },
  {
    "name": "join and format",
    "template":
      "{{ ', '.join(['a', 'b']) }}|{{ '{} {}'.format('a', 1) }}|{{ '{name}!'.format(name='n') }}|{{ '{:>5}|{:.2f}'.format('a', 3.14159) }}",
    "vars": {},
    "expected": "a, b|a 1|n!|    a|3.14",
  },
  {
    "name": "mutating methods are unsafe",
    "template": "{% set x = [1] %}{{ x.append(2) }}",
    "vars": {},
    "error": "access to attribute 'append' of 'list' object is unsafe.",
  },
  {
    "name": "tojson",
    "template":
      "{{ x|tojson }}|{{ x|tojson(indent=2) }}|{{ x|tojson(sort_keys=true, separators=(',', ':')) }}|{{ x|tojson(ensure_ascii=true) }}",
    "vars": { "x": { "b": [1, 2.5, null, true, 'é\n"</s>'], "a": {} } },
    "expected":
      '{"b": [1, 2.5, null, true, "é\\n\\"</s>"], "a": {}}|{\n  "b": [\n    1,\n    2.5,\n    null,\n    true,\n    "é\\n\\"</s>"\n  ],\n  "a": {}\n}|{"a":{},"b":[1,2.5,null,true,"é\\n\\"</s>"]}|{"b": [1, 2.5, null, true, "\\u00e9\\n\\"</s>"], "a": {}}',
  },
  {
    "name": "tojson of undefined raises",
    "template": "{{ missing|tojson }}",
    "vars": {},
    "error": "Object of type Undefined is not JSON serializable",
  },
  {
    "name": "filters on undefined and none",
    "template":
      "[{{ u|trim }}][{{ u|length }}][{{ u|list }}][{{ u|join(',') }}][{{ none|string }}][{{ u|default('d') }}][{{ ''|default('d', true) }}]",
    "vars": {},
    "expected": "[][0][[]][][None][d][d]",
  },
  {
    "name": "select, reject, map",
    "template":
      "{{ [1, 2, 3, 4]|select('odd')|list }}{{ [1, 2, 3]|reject('even')|list }}{{ ['a', 'b']|map('upper')|join }}{{ x|map(attribute='n', default=0)|list }}{{ x|selectattr('n', 'defined')|list }}",
    "vars": { "x": [{ "n": 1 }, {}] },
    "expected": "[1, 3][1, 3]AB[1, 0][{'n': 1}]",
  },
  {
    "name": "sort, unique, min, max, sum",
    "template":
      "{{ ['b', 'A', 'c']|sort }}{{ x|sort(attribute='n')|map(attribute='n')|list }}{{ [1, 2, 2, 'a', 'A']|unique|list }}{{ x|max(attribute='n') }}{{ x|sum(attribute='n') }}{{ []|min }}",
    "vars": { "x": [{ "n": 2 }, { "n": 1 }] },
    "expected": "['A', 'b', 'c'][1, 2][1, 2, 'a']{'n': 2}3",
  },
  {
    "name": "text filters",
    "template":
      "{{ 'hello wORLD-x'|title }}|{{ 'a\\nb\\n\\nc'|indent(2, true) }}|{{ 'abc'|center(9) }}|{{ 'hello world foo'|truncate(9) }}|{{ 'one two'|wordcount }}|{{ '<b>&'|e }}|{{ '%s-%d'|format('a', 3) }}",
    "vars": {},
    "expected": "Hello World-X|  a\n  b\n\n  c|   abc   |hello...|2|&lt;b&gt;&amp;|a-3",
  },
  {
    "name": "number filters",
    "template":
      "{{ '42'|int }}{{ '4.7'|int }}{{ 'x'|int(7) }}{{ '0x1A'|int(0, 16) }}|{{ '1.5'|float }}|{{ 2.5|round }}{{ 2.675|round(2) }}{{ 3.14159|round(2, 'floor') }}|{{ -3|abs }}",
    "vars": {},
    "expected": "424726|1.5|2.02.673.14|3",
  },
  {
    "name": "batch, slice, dictsort, items",
    "template":
      "{{ [1, 2, 3, 4, 5]|batch(2, 0)|list }}{{ [1, 2, 3, 4]|slice(3)|list }}{{ {'b': 1, 'a': 2}|dictsort(by='value') }}{{ {'a': 1}|items|list }}",
    "vars": {},
    "expected": "[[1, 2], [3, 4], [5, 0]][[1, 2], [3], [4]][('b', 1), ('a', 2)][('a', 1)]",
  },
  {
    "name": "filter after a call",
    "template": "{{ 'abc'|attr('upper')() }}|{{ (x|first).upper() }}|{{ x|join(',')|length }}",
    "vars": { "x": ["ab", "cd"] },
    "expected": "ABC|AB|5",
  },
  {
    "name": "unknown filter is a compile error",
    "template": "{{ x|bool }}",
    "vars": {},
    "error": "No filter named 'bool'.",
  },
  {
    "name": "unknown filter under if fails only when reached",
    "template": "{% if x %}{{ x|nosuch }}{% endif %}ok",
    "vars": {},
    "expected": "ok",
  },
  {
    "name": "tests with arguments",
    "template":
      "{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ none is sameas none }}{{ 'a' is in 'abc' }}{{ 2 is eq 2 }}{{ 1 is lt 2 }}{{ x is not divisibleby 2 and true }}",
    "vars": { "x": 3 },
    "expected": "TrueFalseTrueTrueTrueTrueTrue",
  },
  {
    "name": "type tests",
    "template":
      "{{ true is number }}{{ true is integer }}{{ 1.0 is float }}{{ {} is mapping }}{{ 'a' is iterable }}{{ u is iterable }}{{ 'upper' is filter }}{{ 'odd' is test }}",
    "vars": {},
    "expected": "TrueFalseTrueTrueTrueTrueTrueTrue",
  },
  {
    "name": "range, dict, joiner",
    "template":
      "{{ range(3)|list }}{{ range(5, 0, -2)|list }}{{ dict(a=1) }}{% set j = joiner('|') %}{% for x in [1, 2] %}{{ j() }}{{ x }}{% endfor %}",
    "vars": {},
    "expected": "[0, 1, 2][5, 3, 1]{'a': 1}1|2",
  },
  {
    "name": "range is capped like the sandbox",
    "template": "{{ range(100001)|length }}",
    "vars": {},
    "error": "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
  },
  {
    "name": "strftime_now",
    "template": "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %b %B %d %j %p %I %y') }}",
    "vars": {},
    "expected": "2026-01-02 03:04:05 Fri Jan January 02 002 AM 03 26",
  },
  {
    "name": "raise_exception",
    "template":
      "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
    "vars": { "messages": [{ "role": "system" }] },
    "error": "System role not supported",
  },
  {
    "name": "one-element tuples and trailing commas",
    "template": "{{ (1,) }}{{ (1, 2,) }}{{ [1, 2,] }}{{ {'a': 1,} }}",
    "vars": {},
    "expected": "(1,)(1, 2)[1, 2]{'a': 1}",
  },
  {
    "name": "for-else runs when no iteration finished",
    "template":
      "{% for x in [1, 2] %}{% continue %}{% else %}E{% endfor %}|{% for x in [1, 2] %}{{ x }}{% if x == 2 %}{% break %}{% endif %}{% else %}E{% endfor %}",
    "vars": {},
    "expected": "E|12",
  },
  {
    "name": "a name set later in a frame is undefined before it",
    "template":
      "{% for i in [1] %}[{{ x }}]{% endfor %}{% set x = 1 %}|{% macro m() %}[{{ x }}]{% endmacro %}{{ m() }}{% set y = 2 %}",
    "vars": { "x": "X" },
    "expected": "[]|[1]",
  },
  {
    "name": "a name read first resolves from the context",
    "template":
      "{{ x }}{% set x = 1 %}{% if false %}{% set y = 1 %}{% endif %}{% for i in [1] %}[{{ y }}]{% endfor %}",
    "vars": { "x": "X", "y": "Y" },
    "expected": "X[Y]",
  },
  {
    "name": "filter blocks",
    "template":
      "{% filter upper %}abc {{ 'd' }}{% endfilter %}|{% filter trim %}  x  {% endfilter %}",
    "vars": {},
    "expected": "ABC D|x",
  },
  {
    "name": "number literals",
    "template": "{{ 1e3 }}|{{ 1e-05 }}|{{ 2.5e2 }}|{{ 1_000 }}",
    "vars": {},
    "expected": "1000.0|1e-05|250.0|1000",
  },
];

Deno.test("chat templates follow jinja2 where @huggingface/jinja differs", async (t) => {
  for (const c of JINJA2_CASES) {
    await t.step(c.name, () => {
      const render = () =>
        new ChatTemplate(c.template).render(c.vars as ChatTemplateVars, { now: NOW });
      if (c.error !== undefined) assertTemplateError(render, c.error);
      else assert.equal(render(), c.expected);
    });
  }
});

Deno.test("a template that does not parse is a TemplateError with the parser's message", () => {
  assert.throws(() => new ChatTemplate("{% if x %}no end"), (e: unknown) => {
    assert.ok(e instanceof TemplateError);
    assert.match(e.message, /^invalid chat template: /);
    return true;
  });
  assertTemplateError(() => new ChatTemplate("{{ 'open"), "unexpected end of string");
  assertTemplateError(
    () => new ChatTemplate("{{ x "),
    "unexpected end of template, expected 'end of print statement'",
  );
});

Deno.test("unknown variables render empty and messages keep their order", () => {
  const t = new ChatTemplate(
    "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{{ m.name }};{% endfor %}{{ nope }}",
  );
  const messages = [{ role: "user", content: "hi" }, {
    role: "assistant",
    content: "yo",
    name: undefined,
  }];
  assert.equal(t.render({ messages }), "user:hi;assistant:yo;");
  assert.equal(t.render({ messages, bos_token: "<s>" }), "<s>user:hi;assistant:yo;");
});

Deno.test("strftime_now reads the injected clock, or the current time", () => {
  const t = new ChatTemplate("{{ strftime_now('%d %b %Y') }}");
  assert.equal(t.render({ messages: [] }, { now: () => new Date(2024, 6, 26) }), "26 Jul 2024");
  assert.equal(t.render({ messages: [] }, { now: new Date(2025, 11, 31) }), "31 Dec 2025");
  assert.match(t.render({ messages: [] }), /^\d\d [A-Z][a-z]{2} \d{4}$/);
});

Deno.test("chatTemplateFromGguf reads the default and the named templates", () => {
  assert.equal(chatTemplateFromGguf({ "general.architecture": "llama" }), undefined);
  const t = chatTemplateFromGguf({
    "tokenizer.chat_template": "plain:{{ messages[0].content }}",
    "tokenizer.chat_template.tool_use": "tools:{{ tools|length }}",
    "tokenizer.chat_template.rag": "rag:{{ documents|length }}",
    "tokenizer.chat_templates": ["tool_use", "rag"] as unknown as string,
  })!;
  assert.deepEqual(t.names.sort(), ["default", "rag", "tool_use"]);
  const messages = [{ role: "user", content: "q" }];
  assert.equal(t.render({ messages }), "plain:q");
  assert.equal(t.render({ messages, tools: [{}, {}] }), "tools:2");
  assert.equal(t.render({ messages, documents: [1] }, { name: "rag" }), "rag:1");
  assertTemplateError(
    () => t.render({ messages }, { name: "nope" }),
    'no chat template named "nope" (this model has: default, tool_use, rag)',
  );
});

Deno.test("chatTemplateFromConfig takes a string, a named list, or the file's text", () => {
  assert.equal(chatTemplateFromConfig({ bos_token: "<s>" }), undefined);
  assert.equal(
    chatTemplateFromConfig({ chat_template: "{{ eos_token }}" })!.render({
      messages: [],
      eos_token: "</s>",
    }),
    "</s>",
  );
  const config = JSON.stringify({
    chat_template: [
      { name: "default", template: "default" },
      { name: "tool_use", template: "tool_use" },
    ],
  });
  const t = chatTemplateFromConfig(config)!;
  assert.equal(t.render({ messages: [] }), "default");
  assert.equal(t.render({ messages: [], tools: [] }), "tool_use");
  assert.equal(t.render({ messages: [], tools: [] }, { name: "default" }), "default");
  assert.throws(() => chatTemplateFromConfig("{ nope"), ModelFormatError);
  const noDefault = chatTemplateFromConfig({ chat_template: [{ name: "rag", template: "r" }] })!;
  assertTemplateError(
    () => noDefault.render({ messages: [] }),
    'this model has several chat templates and none is named "default" (rag)',
  );
  assert.equal(noDefault.render({ messages: [] }, { name: "rag" }), "r");
});

Deno.test("a chat_template.jinja file's text is a template as it is", async () => {
  const text = await Deno.readTextFile(new URL("Qwen-Qwen2.5-7B-Instruct.jinja", FIXTURES));
  const out = new ChatTemplate(text).render({
    messages: [{ role: "user", content: "hi" }],
    add_generation_prompt: true,
  });
  assert.ok(out.endsWith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"));
});
