/**
 * `POST /v1/completions`: text completion objects and `text_completion` chunks.
 *
 * @module
 */
import { checkModel, respond, type RouteContext, type Shaper } from "./_respond.ts";
import type { Body } from "./_fields.ts";
import { parseCompletionRequest } from "./completion_request.ts";
import { toHttpError } from "./http_errors.ts";
import { completionLogprobs } from "./openai_response.ts";

/** Handles a completions request whose JSON body has been read. */
export async function completionsRoute(
  request: Request,
  body: Body,
  ctx: RouteContext,
): Promise<Response> {
  const tok = ctx.engine.model.tokenizer;
  let parsed;
  try {
    parsed = parseCompletionRequest(body, { vocabSize: ctx.engine.model.config.vocabSize });
  } catch (e) {
    throw toHttpError(e, "prompt");
  }
  checkModel(parsed.model, ctx.modelName);
  const n = parsed.options.n ?? 1;
  const wantLogprobs = parsed.options.logprobs !== undefined;
  const echoOf = (i: number) => {
    if (!parsed.echo) return "";
    const p = parsed.prompts[Math.floor(i / n)]!;
    return typeof p === "string" ? p : tok.decode(p);
  };
  const base = {
    id: `cmpl-${crypto.randomUUID().replaceAll("-", "")}`,
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: ctx.modelName,
  };
  const offsets = new Array<number>(parsed.prompts.length * n).fill(0);
  const choice = (index: number, text: string, logprobs: unknown, finish: string | null) => ({
    index,
    text,
    logprobs,
    finish_reason: finish,
  });
  const shaper: Shaper = {
    start: () => {
      if (!parsed.echo) return [];
      return offsets.map((_, i) => {
        offsets[i] = echoOf(i).length;
        return { ...base, choices: [choice(i, echoOf(i), null, null)] };
      });
    },
    chunks: ({ index, delta: d }) => {
      if (d.text === "" && !d.finishReason && !(wantLogprobs && d.logprobs?.length)) return [];
      const lp = wantLogprobs ? completionLogprobs(tok, d.logprobs ?? [], offsets[index]) : null;
      offsets[index]! += d.text.length;
      return [{ ...base, choices: [choice(index, d.text, lp, d.finishReason ?? null)] }];
    },
    usageChunk: (usage) => ({ ...base, choices: [], usage }),
    whole: (c, usage) => ({
      ...base,
      choices: c.choices.map((ch) => {
        const echo = echoOf(ch.index);
        const lp = wantLogprobs ? completionLogprobs(tok, ch.logprobs, echo.length) : null;
        return choice(ch.index, echo + ch.text, lp, ch.finishReason ?? null);
      }),
      usage,
    }),
  };
  return await respond(request, ctx, parsed.prompts, parsed, "prompt", shaper);
}
