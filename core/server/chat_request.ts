/**
 * Validation of `POST /v1/chat/completions` bodies: `messages` (text content, or lists of
 * text parts), `tools` and `tool_choice` (for the chat template), `logprobs` /
 * `top_logprobs`, `chat_template_kwargs`, and the shared generation fields.
 *
 * @module
 */
import { InvalidParameterError } from "../errors.ts";
import { type Body, optArray, optBool, optInt, optObject } from "./_fields.ts";
import { type GenerationRequest, parseGenerationFields } from "./request_params.ts";

/** Most messages in one chat request. */
export const MAX_CHAT_MESSAGES = 4096;

/** One message as the chat template sees it (extra keys such as `tool_calls` kept). */
export interface ChatRequestMessage {
  /** `system`, `user`, `assistant`, `tool`, ... */
  readonly role: string;
  /** Text content (content parts joined), or null. */
  readonly content: string | null;
  /** Other fields the template may read. */
  readonly [key: string]: unknown;
}

/** A validated chat request. */
export interface ChatRequest extends GenerationRequest {
  /** The conversation, content flattened to text. */
  readonly messages: readonly ChatRequestMessage[];
  /** Tool schemas for the template; undefined when none (or `tool_choice` is `"none"`). */
  readonly tools: readonly unknown[] | undefined;
  /** End the prompt with the assistant's header (default true). */
  readonly addGenerationPrompt: boolean;
  /** Extra template variables (`enable_thinking`, ...). */
  readonly templateKwargs: Readonly<Record<string, unknown>>;
}

/**
 * Validates a chat request body; throws an {@linkcode InvalidParameterError} naming the
 * field at fault.
 *
 * @example
 * ```ts
 * import { parseChatRequest } from "@loom/core";
 * const r = parseChatRequest({
 *   messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
 *   logprobs: true,
 *   top_logprobs: 3,
 * }, { vocabSize: 100 });
 * console.log(r.messages[0], r.options.logprobs); // { role: "user", content: "Hi" } 3
 * ```
 */
export function parseChatRequest(body: Body, ctx: { readonly vocabSize: number }): ChatRequest {
  const list = optArray(body, "messages", MAX_CHAT_MESSAGES);
  if (!list || list.length === 0) {
    throw new InvalidParameterError("messages", "must be a non-empty list");
  }
  const messages = list.map((m, i) => parseMessage(m, i));
  const wantLogprobs = optBool(body, "logprobs") ?? false;
  const top = optInt(body, "top_logprobs");
  if (top !== undefined && (top < 0 || top > 20)) {
    throw new InvalidParameterError("top_logprobs", "must be an integer in [0, 20]");
  }
  if (top !== undefined && !wantLogprobs) {
    throw new InvalidParameterError("top_logprobs", "needs logprobs: true");
  }
  const shared = parseGenerationFields(body, {
    vocabSize: ctx.vocabSize,
    logprobs: wantLogprobs ? top ?? 0 : undefined,
  });
  const tools = optArray(body, "tools", 128);
  tools?.forEach((t, i) => {
    if (typeof t !== "object" || t === null || Array.isArray(t)) {
      throw new InvalidParameterError(`tools[${i}]`, "must be an object");
    }
  });
  const choice = body["tool_choice"];
  if (choice !== undefined && choice !== null && typeof choice !== "string") {
    if (typeof choice !== "object" || Array.isArray(choice)) {
      throw new InvalidParameterError("tool_choice", "must be a string or an object");
    }
  }
  return {
    ...shared,
    messages,
    tools: choice === "none" || tools?.length === 0 ? undefined : tools,
    addGenerationPrompt: optBool(body, "add_generation_prompt") ?? true,
    templateKwargs: optObject(body, "chat_template_kwargs") ?? {},
  };
}

function parseMessage(m: unknown, i: number): ChatRequestMessage {
  const param = `messages[${i}]`;
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    throw new InvalidParameterError(param, "must be an object");
  }
  const msg = m as Body;
  if (typeof msg["role"] !== "string" || msg["role"].length === 0) {
    throw new InvalidParameterError(`${param}.role`, "must be a non-empty string");
  }
  return { ...msg, role: msg["role"], content: flattenContent(msg["content"], param) };
}

function flattenContent(content: unknown, param: string): string | null {
  if (content === undefined || content === null) return null;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    throw new InvalidParameterError(`${param}.content`, "must be a string or a list of parts");
  }
  return content.map((part, j) => {
    const p = part as Body | null;
    if (typeof p !== "object" || p === null || Array.isArray(p)) {
      throw new InvalidParameterError(`${param}.content[${j}]`, "must be an object");
    }
    if (p["type"] !== "text" || typeof p["text"] !== "string") {
      throw new InvalidParameterError(
        `${param}.content[${j}]`,
        `only text parts are supported (got type ${JSON.stringify(p["type"])})`,
      );
    }
    return p["text"];
  }).join("\n");
}
