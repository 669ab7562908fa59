/**
 * `POST /v1/chat/completions`: renders the model's chat template, then answers with
 * `chat.completion` objects or `chat.completion.chunk` events.
 *
 * @module
 */
import { chatPromptIds } from "../engine/chat_prompt.ts";
import type { ChatTemplate } from "../tokenizer/chat_template.ts";
import { checkModel, respond, type RouteContext, type Shaper } from "./_respond.ts";
import type { Body } from "./_fields.ts";
import { parseChatRequest } from "./chat_request.ts";
import { HttpError, toHttpError } from "./http_errors.ts";
import { chatLogprobs } from "./openai_response.ts";

/** Handles a chat request whose JSON body has been read. */
export async function chatRoute(
  request: Request,
  body: Body,
  ctx: RouteContext,
  template: ChatTemplate | undefined,
): Promise<Response> {
  const tok = ctx.engine.model.tokenizer;
  let parsed, ids;
  try {
    parsed = parseChatRequest(body, { vocabSize: ctx.engine.model.config.vocabSize });
    checkModel(parsed.model, ctx.modelName);
    if (!template) {
      throw new HttpError(400, "this model has no chat template; use /v1/completions", {
        param: "messages",
        code: "no_chat_template",
      });
    }
    ids = chatPromptIds(template, tok, parsed.messages, {
      ...(parsed.tools ? { tools: parsed.tools } : {}),
      templateKwargs: parsed.templateKwargs,
      addGenerationPrompt: parsed.addGenerationPrompt,
    }).ids;
  } catch (e) {
    throw toHttpError(e, "messages");
  }
  const n = parsed.options.n ?? 1;
  const wantLogprobs = parsed.options.logprobs !== undefined;
  const base = {
    id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: ctx.modelName,
  };
  const shaper: Shaper = {
    start: () =>
      Array.from({ length: n }, (_, index) => ({
        ...base,
        choices: [{
          index,
          delta: { role: "assistant", content: "" },
          logprobs: null,
          finish_reason: null,
        }],
      })),
    chunks: ({ index, delta: d }) => {
      if (d.text === "" && !d.finishReason && !(wantLogprobs && d.logprobs?.length)) return [];
      return [{
        ...base,
        choices: [{
          index,
          delta: d.text === "" ? {} : { content: d.text },
          logprobs: wantLogprobs ? chatLogprobs(tok, d.logprobs ?? []) : null,
          finish_reason: d.finishReason ?? null,
        }],
      }];
    },
    usageChunk: (usage) => ({ ...base, choices: [], usage }),
    whole: (c, usage) => ({
      ...base,
      object: "chat.completion",
      choices: c.choices.map((ch) => ({
        index: ch.index,
        message: { role: "assistant", content: ch.text },
        logprobs: wantLogprobs ? chatLogprobs(tok, ch.logprobs) : null,
        finish_reason: ch.finishReason ?? null,
      })),
      usage,
    }),
  };
  return await respond(request, ctx, [ids], parsed, "messages", shaper);
}
