/**
 * Validation of `POST /v1/completions` bodies: `prompt` as text, token ids, or a batch of
 * either, plus `echo`, `logprobs` (an integer) and the shared generation fields.
 *
 * @module
 */
import { InvalidParameterError } from "../errors.ts";
import { type Body, optBool, optInt, optString, tokenIds } from "./_fields.ts";
import { type GenerationRequest, parseGenerationFields } from "./request_params.ts";

/** Most prompts in one completions request. */
export const MAX_BATCH_PROMPTS = 64;

/** A validated completions request. */
export interface CompletionRequest extends GenerationRequest {
  /** One or more prompts: text, or token ids used as they are. */
  readonly prompts: readonly (string | readonly number[])[];
  /** Put the prompt's text before each choice's text. */
  readonly echo: boolean;
}

/**
 * Validates a completions request body; throws an {@linkcode InvalidParameterError} naming
 * the field at fault.
 *
 * @example
 * ```ts
 * import { parseCompletionRequest } from "@loom/core";
 * const r = parseCompletionRequest({ prompt: ["a", [1, 2]], logprobs: 2 }, { vocabSize: 100 });
 * console.log(r.prompts, r.options.logprobs); // [ "a", [ 1, 2 ] ] 2
 * try {
 *   parseCompletionRequest({ prompt: "a", temperature: "hot" }, { vocabSize: 100 });
 * } catch (e) {
 *   console.log((e as { param: string }).param); // "temperature"
 * }
 * ```
 */
export function parseCompletionRequest(
  body: Body,
  ctx: { readonly vocabSize: number },
): CompletionRequest {
  const prompts = parsePrompts(body["prompt"], ctx.vocabSize);
  const suffix = optString(body, "suffix");
  if (suffix) throw new InvalidParameterError("suffix", "suffix is not supported");
  const logprobs = optInt(body, "logprobs");
  if (logprobs !== undefined && (logprobs < 0 || logprobs > 20)) {
    throw new InvalidParameterError("logprobs", "must be an integer in [0, 20]");
  }
  const shared = parseGenerationFields(body, { vocabSize: ctx.vocabSize, logprobs });
  const n = shared.options.n ?? 1;
  if (prompts.length * n > 256) {
    throw new InvalidParameterError("n", "prompts × n must be at most 256");
  }
  return { ...shared, prompts, echo: optBool(body, "echo") ?? false };
}

function parsePrompts(value: unknown, vocabSize: number): (string | number[])[] {
  if (value === undefined || value === null) {
    throw new InvalidParameterError("prompt", "is required");
  }
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidParameterError("prompt", "must be a string, token ids, or a non-empty list");
  }
  if (value.every((v) => typeof v === "number")) return [tokenIds(value, "prompt", vocabSize)];
  if (value.length > MAX_BATCH_PROMPTS) {
    throw new InvalidParameterError("prompt", `at most ${MAX_BATCH_PROMPTS} prompts`);
  }
  return value.map((p) => {
    if (typeof p === "string") return p;
    if (Array.isArray(p) && p.length > 0) return tokenIds(p, "prompt", vocabSize);
    throw new InvalidParameterError("prompt", "each prompt must be a string or token ids");
  });
}
