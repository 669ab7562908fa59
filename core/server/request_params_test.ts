import assert from "node:assert/strict";
import { InvalidParameterError } from "../errors.ts";
import { parseChatRequest } from "./chat_request.ts";
import { parseCompletionRequest } from "./completion_request.ts";
import { openAiParamName, toHttpError } from "./http_errors.ts";
import { parseGenerationFields } from "./request_params.ts";

const V = { vocabSize: 100 };

function paramOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return toHttpError(e).param ?? "(none)";
  }
  throw new Error("did not throw");
}

Deno.test("parseGenerationFields maps OpenAI fields to engine options", () => {
  const r = parseGenerationFields({
    model: "m",
    max_tokens: 5,
    max_completion_tokens: 7,
    temperature: 0.5,
    top_p: 0.9,
    top_k: 4,
    min_p: 0.1,
    presence_penalty: 1,
    frequency_penalty: -1,
    repetition_penalty: 1.2,
    logit_bias: { "3": 2 },
    seed: 9,
    stop: ["a", "b"],
    n: 2,
    stop_token_ids: [1],
    ignore_eos: true,
    priority: 3,
    ttft_ms: 100,
    tpot_ms: 20,
    stream: true,
    stream_options: { include_usage: true },
    user: "someone",
    tool_choice: null,
  }, { ...V, logprobs: 2 });
  assert.deepEqual(r, {
    model: "m",
    stream: true,
    includeUsage: true,
    options: {
      maxTokens: 7,
      temperature: 0.5,
      topP: 0.9,
      topK: 4,
      minP: 0.1,
      presencePenalty: 1,
      frequencyPenalty: -1,
      repetitionPenalty: 1.2,
      logitBias: { 3: 2 },
      seed: 9,
      stop: ["a", "b"],
      n: 2,
      stopTokenIds: [1],
      ignoreEos: true,
      logprobs: 2,
      priority: 3,
      ttftMs: 100,
      tpotMs: 20,
    },
  });
  // nulls count as absent
  const empty = parseGenerationFields({ temperature: null, stop: null, seed: null }, {
    ...V,
    logprobs: undefined,
  });
  assert.deepEqual(empty.options, {});
});

Deno.test("invalid values name the OpenAI field", () => {
  const gen = (body: Record<string, unknown>) => () =>
    parseGenerationFields(body, { ...V, logprobs: undefined });
  assert.equal(paramOf(gen({ top_p: 0 })), "top_p");
  assert.equal(paramOf(gen({ top_k: 1000 })), "top_k");
  assert.equal(paramOf(gen({ presence_penalty: 3 })), "presence_penalty");
  assert.equal(paramOf(gen({ logit_bias: { "5": 500 } })), "logit_bias");
  assert.equal(paramOf(gen({ max_tokens: 0 })), "max_tokens");
  assert.equal(paramOf(gen({ best_of: 3 })), "best_of");
  assert.equal(paramOf(gen({ stop_token_ids: [100] })), "stop_token_ids");
  assert.equal(paramOf(gen({ tpot_ms: 0 })), "tpot_ms");
  assert.equal(openAiParamName("repetitionPenalty"), "repetition_penalty");
  assert.equal(openAiParamName("messages[2].role"), "messages[2].role");
  assert.ok(new InvalidParameterError("x", "y") instanceof Error);
});

Deno.test("parseCompletionRequest: prompt forms, echo, logprobs", () => {
  assert.deepEqual(parseCompletionRequest({ prompt: "a" }, V).prompts, ["a"]);
  assert.deepEqual(parseCompletionRequest({ prompt: [5, 6] }, V).prompts, [[5, 6]]);
  assert.deepEqual(parseCompletionRequest({ prompt: ["a", [1]] }, V).prompts, ["a", [1]]);
  const r = parseCompletionRequest({ prompt: "a", echo: true, logprobs: 0 }, V);
  assert.equal(r.echo, true);
  assert.equal(r.options.logprobs, 0);
  const c = (body: Record<string, unknown>) => () => parseCompletionRequest(body, V);
  assert.equal(paramOf(c({})), "prompt");
  assert.equal(paramOf(c({ prompt: [] })), "prompt");
  assert.equal(paramOf(c({ prompt: [["a"]] })), "prompt");
  assert.equal(paramOf(c({ prompt: [1.5] })), "prompt");
  assert.equal(paramOf(c({ prompt: "a", logprobs: 21 })), "logprobs");
  assert.equal(paramOf(c({ prompt: "a", suffix: "z" })), "suffix");
  assert.equal(paramOf(c({ prompt: Array(64).fill("a"), n: 5 })), "n");
});

Deno.test("parseChatRequest: content parts, tools, logprobs, template kwargs", () => {
  const tool = { type: "function", function: { name: "f" } };
  const r = parseChatRequest({
    messages: [
      { role: "system", content: "s" },
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: null, tool_calls: [{ id: "1" }] },
    ],
    tools: [tool],
    chat_template_kwargs: { enable_thinking: false },
    logprobs: true,
  }, V);
  assert.deepEqual(r.messages.map((m) => m.content), ["s", "a\nb", null]);
  assert.deepEqual(r.messages[2]!["tool_calls"], [{ id: "1" }]);
  assert.deepEqual(r.tools, [tool]);
  assert.equal(r.options.logprobs, 0);
  assert.equal(r.addGenerationPrompt, true);
  assert.deepEqual(r.templateKwargs, { enable_thinking: false });
  const none = parseChatRequest({
    messages: [{ role: "user", content: "x" }],
    tools: [tool],
    tool_choice: "none",
  }, V);
  assert.equal(none.tools, undefined);
  assert.equal(none.options.logprobs, undefined);
  const ch = (body: Record<string, unknown>) => () => parseChatRequest(body, V);
  assert.equal(paramOf(ch({ messages: [] })), "messages");
  assert.equal(paramOf(ch({ messages: [5] })), "messages[0]");
  assert.equal(paramOf(ch({ messages: [{ role: "user", content: 5 }] })), "messages[0].content");
  assert.equal(paramOf(ch({ messages: [{ role: "user" }], tools: [1] })), "tools[0]");
  assert.equal(paramOf(ch({ messages: [{ role: "user" }], tool_choice: 3 })), "tool_choice");
  assert.equal(
    paramOf(ch({ messages: [{ role: "user" }], logprobs: true, top_logprobs: 30 })),
    "top_logprobs",
  );
});
