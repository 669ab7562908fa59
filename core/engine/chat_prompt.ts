/**
 * Turns a conversation into prompt token ids with a model's chat template.
 *
 * @module
 */
import { LoomError } from "../errors.ts";
import type { ChatTemplate } from "../tokenizer/chat_template.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";

/** A chat message as the OpenAI API sends it (extra fields pass through to the template). */
export interface ConversationMessage {
  /** `system`, `user`, `assistant`, `tool`, ... */
  readonly role: string;
  /** Text (or content parts, for templates that read them). */
  readonly content?: unknown;
  /** Other fields templates may read (`tool_calls`, `name`, ...). */
  readonly [key: string]: unknown;
}

/** Template inputs beyond the messages. */
export interface ChatPromptOptions {
  /** Tool schemas passed to the template. */
  readonly tools?: readonly unknown[];
  /** Extra template variables (`enable_thinking`, ...). */
  readonly templateKwargs?: Readonly<Record<string, unknown>>;
  /** End with the assistant header (default true). */
  readonly addGenerationPrompt?: boolean;
}

/**
 * Renders `messages` with the template and tokenizes the text (special tokens parsed; BOS
 * added once when the vocabulary wants one and the template did not write it).
 *
 * @example
 * ```ts
 * import { buildDemoModel, chatPromptIds } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * const m = await buildDemoModel(new ReferenceBackend());
 * const { text } = chatPromptIds(m.chatTemplate!, m.tokenizer, [{ role: "user", content: "hi" }]);
 * console.log(JSON.stringify(text)); // "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
 * ```
 */
export function chatPromptIds(
  template: ChatTemplate,
  tokenizer: Tokenizer,
  messages: readonly ConversationMessage[],
  options: ChatPromptOptions = {},
): { text: string; ids: number[] } {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new LoomError("messages must be a non-empty list", "invalid_parameter");
  }
  const tok = tokenizer;
  const bos = tok.bosId === undefined ? "" : tok.tokenText(tok.bosId);
  const eos = tok.eosIds[0] === undefined ? "" : tok.tokenText(tok.eosIds[0]);
  const text = template.render({
    ...options.templateKwargs,
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? true,
    bos_token: bos,
    eos_token: eos,
    ...(options.tools ? { tools: options.tools } : {}),
  });
  const ids = tok.encode(text, { addSpecial: false, parseSpecial: true });
  if (tok.addBos && tok.bosId !== undefined && ids[0] !== tok.bosId) ids.unshift(tok.bosId);
  return { text, ids };
}
