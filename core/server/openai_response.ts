/**
 * OpenAI response shaping: `usage` (with cached prompt tokens), log-probabilities in the
 * completions and chat layouts, and a collector that turns engine deltas into whole choices.
 *
 * @module
 */
import type { GenerationDelta, Usage } from "../engine/request_state.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";

/** OpenAI's `usage` object. */
export interface OpenAiUsage {
  /** Prompt tokens. */
  readonly prompt_tokens: number;
  /** Generated tokens over all choices. */
  readonly completion_tokens: number;
  /** Their sum. */
  readonly total_tokens: number;
  /** Prompt tokens served from the prefix cache. */
  readonly prompt_tokens_details: { readonly cached_tokens: number };
}

/** One generated token's log-probabilities, as the engine gives them. */
export type TokenLogprobs = NonNullable<GenerationDelta["logprobs"]>[number];

/** A token in the chat layout. */
export interface ChatTokenLogprob {
  /** The token's text. */
  readonly token: string;
  /** Its UTF-8 bytes. */
  readonly bytes: number[];
  /** Its log-probability. */
  readonly logprob: number;
}

/** Chat-layout log-probabilities. */
export interface ChatLogprobs {
  /** One entry per generated token, with its top alternatives. */
  readonly content: (ChatTokenLogprob & { readonly top_logprobs: ChatTokenLogprob[] })[];
}

/** Completions-layout log-probabilities. */
export interface CompletionLogprobs {
  /** Token texts. */
  readonly tokens: string[];
  /** Their log-probabilities. */
  readonly token_logprobs: number[];
  /** Top alternatives per token, text → log-probability. */
  readonly top_logprobs: Record<string, number>[];
  /** Character offset of each token in the text. */
  readonly text_offset: number[];
}

/**
 * Sums engine usages (one per prompt) into OpenAI's `usage`.
 *
 * @example
 * ```ts
 * import { toOpenAiUsage } from "@loom/core";
 * console.log(toOpenAiUsage([{ promptTokens: 5, completionTokens: 3, cachedTokens: 4 }]));
 * // { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, prompt_tokens_details: { cached_tokens: 4 } }
 * ```
 */
export function toOpenAiUsage(usages: readonly Usage[]): OpenAiUsage {
  let p = 0, c = 0, cached = 0;
  for (const u of usages) {
    p += u.promptTokens;
    c += u.completionTokens;
    cached += u.cachedTokens;
  }
  return {
    prompt_tokens: p,
    completion_tokens: c,
    total_tokens: p + c,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

const lossy = new TextDecoder();

/** A token's text on its own (invalid UTF-8 becomes U+FFFD) and its bytes. */
function piece(tok: Tokenizer, id: number): { token: string; bytes: number[] } {
  const bytes = tok.tokenBytes(id);
  return { token: lossy.decode(bytes), bytes: [...bytes] };
}

/**
 * Chat-layout log-probabilities: `{ content: [{ token, logprob, bytes, top_logprobs }] }`.
 *
 * @example
 * ```ts
 * import { buildDemoModel, chatLogprobs } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * const { tokenizer } = await buildDemoModel(new ReferenceBackend());
 * const lp = chatLogprobs(tokenizer, [{ id: 104, logprob: -0.5, top: [{ id: 104, logprob: -0.5 }] }]);
 * console.log(lp.content[0]?.token, lp.content[0]?.top_logprobs.length); // "h" 1
 * ```
 */
export function chatLogprobs(tok: Tokenizer, lps: readonly TokenLogprobs[]): ChatLogprobs {
  return {
    content: lps.map((t) => ({
      ...piece(tok, t.id),
      logprob: t.logprob,
      top_logprobs: t.top.map((a) => ({ ...piece(tok, a.id), logprob: a.logprob })),
    })),
  };
}

/**
 * Completions-layout log-probabilities: parallel `tokens`, `token_logprobs`, `top_logprobs`
 * (token text → logprob) and `text_offset` lists; offsets start at `textOffset`.
 *
 * @example
 * ```ts
 * import { buildDemoModel, completionLogprobs } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * const { tokenizer } = await buildDemoModel(new ReferenceBackend());
 * const lp = completionLogprobs(tokenizer, [{ id: 104, logprob: -1, top: [] }], 3);
 * console.log(lp.tokens, lp.text_offset); // [ "h" ] [ 3 ]
 * ```
 */
export function completionLogprobs(
  tok: Tokenizer,
  lps: readonly TokenLogprobs[],
  textOffset = 0,
): CompletionLogprobs {
  const tokens: string[] = [], offsets: number[] = [];
  let at = textOffset;
  for (const t of lps) {
    const { token } = piece(tok, t.id);
    tokens.push(token);
    offsets.push(at);
    at += token.length;
  }
  return {
    tokens,
    token_logprobs: lps.map((t) => t.logprob),
    top_logprobs: lps.map((t) =>
      Object.fromEntries(t.top.map((a) => [piece(tok, a.id).token, a.logprob]))
    ),
    text_offset: offsets,
  };
}

/** One whole choice, collected from deltas. */
export interface CollectedChoice {
  /** Choice index. */
  readonly index: number;
  /** Text so far. */
  text: string;
  /** Token ids so far. */
  readonly tokenIds: number[];
  /** Log-probabilities so far, when asked. */
  readonly logprobs: TokenLogprobs[];
  /** Why it ended, once it has. */
  finishReason: string | undefined;
}

/**
 * Accumulates deltas (with global choice indices) into whole choices and usages.
 *
 * @example
 * ```ts
 * import { ChoiceCollector } from "@loom/core";
 * const c = new ChoiceCollector(1);
 * c.add(0, { index: 0, text: "Hel", tokenIds: [1] });
 * c.add(0, { index: 0, text: "lo", tokenIds: [2], finishReason: "length" });
 * console.log(c.choices[0]?.text, c.choices[0]?.finishReason); // "Hello" "length"
 * ```
 */
export class ChoiceCollector {
  /** Choices by global index. */
  readonly choices: CollectedChoice[];
  /** One usage per finished prompt. */
  readonly usages: Usage[] = [];

  /**
   * Creates an instance.
   *
   * @param numChoices Prompts × n.
   */
  constructor(numChoices: number) {
    this.choices = Array.from({ length: numChoices }, (_, index) => ({
      index,
      text: "",
      tokenIds: [],
      logprobs: [],
      finishReason: undefined,
    }));
  }

  /** Adds one delta of the choice with global index `index`. */
  add(index: number, d: GenerationDelta): void {
    const c = this.choices[index];
    if (!c) return;
    c.text += d.text;
    c.tokenIds.push(...d.tokenIds);
    if (d.logprobs) c.logprobs.push(...d.logprobs);
    if (d.finishReason) c.finishReason = d.finishReason;
    if (d.usage) this.usages.push(d.usage);
  }
}
