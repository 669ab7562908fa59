/**
 * The fields OpenAI's completions and chat completions requests share, mapped to Loom's
 * {@linkcode RequestOptions}: sampling, stop rules, `n`, `stream_options`, and Loom's
 * `priority`, `ttft_ms` and `tpot_ms`.
 *
 * @module
 */
import type { RequestOptions } from "../engine/engine.ts";
import { resolveSamplingParams } from "../engine/sampling_params.ts";
import { InvalidParameterError } from "../errors.ts";
import {
  type Body,
  optArray,
  optBool,
  optInt,
  optLogitBias,
  optNumber,
  optObject,
  optStop,
  optString,
  tokenIds,
} from "./_fields.ts";

/** A parsed JSON request body (an object). */
export type { Body } from "./_fields.ts";

/** What both endpoints parse from a request body. */
export interface GenerationRequest {
  /** The model asked for, when given. */
  readonly model: string | undefined;
  /** Stream server-sent events. */
  readonly stream: boolean;
  /** When streaming, end with a chunk carrying `usage`. */
  readonly includeUsage: boolean;
  /** Engine options (sampling, stop rules, scheduling hints). */
  readonly options: RequestOptions;
}

/** Drops `undefined` values (for `exactOptionalPropertyTypes`). */
export function compact<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/**
 * Parses the shared fields of a completions or chat request and validates them against the
 * vocabulary. `logprobs` is the number of top alternatives to return (undefined: none).
 *
 * @example
 * ```ts
 * import { parseGenerationFields } from "@loom/core";
 * const r = parseGenerationFields(
 *   { model: "m", max_tokens: 8, top_p: 0.9, stop: "\n", logit_bias: { "5": -100 } },
 *   { vocabSize: 100, logprobs: undefined },
 * );
 * console.log(r.options.maxTokens, r.options.topP, r.options.stop, r.options.logitBias);
 * // 8 0.9 [ "\n" ] { "5": -100 }
 * ```
 */
export function parseGenerationFields(
  body: Body,
  ctx: { readonly vocabSize: number; readonly logprobs: number | undefined },
): GenerationRequest {
  const model = optString(body, "model");
  const stream = optBool(body, "stream") ?? false;
  const streamOptions = optObject(body, "stream_options");
  const includeUsage = streamOptions ? optBool(streamOptions, "include_usage") ?? false : false;
  const maxTokens = optInt(body, "max_completion_tokens") ?? optInt(body, "max_tokens");
  const n = optInt(body, "n");
  const bestOf = optInt(body, "best_of");
  if (bestOf !== undefined && bestOf !== (n ?? 1)) {
    throw new InvalidParameterError("best_of", "only best_of equal to n is supported");
  }
  const format = optObject(body, "response_format");
  if (format && format["type"] !== "text") {
    throw new InvalidParameterError("response_format", "only {type: 'text'} is supported");
  }
  const stopIds = optArray(body, "stop_token_ids", 64);
  const sampling = compact({
    maxTokens,
    temperature: optNumber(body, "temperature"),
    topP: optNumber(body, "top_p"),
    topK: optInt(body, "top_k"),
    minP: optNumber(body, "min_p"),
    presencePenalty: optNumber(body, "presence_penalty"),
    frequencyPenalty: optNumber(body, "frequency_penalty"),
    repetitionPenalty: optNumber(body, "repetition_penalty"),
    logitBias: optLogitBias(body),
    seed: optInt(body, "seed"),
    stop: optStop(body),
    stopTokenIds: stopIds && tokenIds(stopIds, "stop_token_ids", ctx.vocabSize),
    ignoreEos: optBool(body, "ignore_eos"),
    logprobs: ctx.logprobs,
    n,
  });
  resolveSamplingParams(sampling, ctx.vocabSize); // throws InvalidParameterError
  const ttftMs = optNumber(body, "ttft_ms"), tpotMs = optNumber(body, "tpot_ms");
  for (const [name, v] of [["ttft_ms", ttftMs], ["tpot_ms", tpotMs]] as const) {
    if (v !== undefined && v <= 0) throw new InvalidParameterError(name, "must be > 0");
  }
  const options: RequestOptions = {
    ...sampling,
    ...compact({ priority: optNumber(body, "priority"), ttftMs, tpotMs }),
  };
  return { model, stream, includeUsage, options };
}
