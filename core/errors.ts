/**
 * Typed errors thrown by Loom. Every error is a {@linkcode LoomError} carrying a stable
 * `code` and the data that explains it, so callers (and the HTTP server) can react without
 * parsing messages.
 *
 * @module
 */

/**
 * Base class of every error Loom throws on purpose.
 *
 * @example
 * ```ts
 * import { LoomError } from "@loom/core";
 * try {
 *   throw new LoomError("something went wrong", "example");
 * } catch (e) {
 *   if (e instanceof LoomError) console.log(e.code); // "example"
 * }
 * ```
 */
export class LoomError extends Error {
  /** A stable machine-readable code, e.g. `"gguf_format"`. */
  readonly code: string;
  /**
   * Creates an instance.
   *
   * @param message Human-readable description naming the problem.
   * @param code Stable machine-readable code.
   */
  constructor(message: string, code = "loom_error") {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A model file (GGUF or safetensors) is malformed: wrong magic, truncated, offsets past
 * the end, absurd counts or dimensions.
 *
 * @example
 * ```ts
 * import { ModelFormatError } from "@loom/core";
 * const e = new ModelFormatError("bad magic", { path: "m.gguf", offset: 0 });
 * console.log(e.offset); // 0
 * ```
 */
export class ModelFormatError extends LoomError {
  /** The file the problem was found in, when known. */
  readonly path: string | undefined;
  /** Byte offset where the problem was found, when known. */
  readonly offset: number | undefined;
  /**
   * Creates an instance.
   *
   * @param message What is wrong.
   * @param where Optional file path and byte offset.
   */
  constructor(message: string, where: { path?: string; offset?: number } = {}) {
    const at = [where.path, where.offset !== undefined ? `offset ${where.offset}` : undefined]
      .filter((s) => s !== undefined).join(" at ");
    super(at ? `${message} (${at})` : message, "model_format");
    this.path = where.path;
    this.offset = where.offset;
  }
}

/**
 * A tensor uses a data type Loom (or the chosen backend) does not support.
 *
 * @example
 * ```ts
 * import { UnsupportedDTypeError } from "@loom/core";
 * const e = new UnsupportedDTypeError("iq2_xxs", "blk.0.attn_q.weight");
 * console.log(e.dtype); // "iq2_xxs"
 * ```
 */
export class UnsupportedDTypeError extends LoomError {
  /** The data type's name (or GGML type id as text). */
  readonly dtype: string;
  /** The tensor that has it, when known. */
  readonly tensor: string | undefined;
  /**
   * Creates an instance.
   *
   * @param dtype The unsupported type.
   * @param tensor The tensor name, when known.
   */
  constructor(dtype: string, tensor?: string) {
    super(
      `unsupported tensor data type ${dtype}${tensor ? ` in tensor ${tensor}` : ""}`,
      "unsupported_dtype",
    );
    this.dtype = dtype;
    this.tensor = tensor;
  }
}

/**
 * The model's configuration is missing a value, names an unknown architecture, or a
 * tensor is missing or has the wrong shape.
 *
 * @example
 * ```ts
 * import { ModelConfigError } from "@loom/core";
 * const e = new ModelConfigError("unknown architecture gpt-j", "general.architecture");
 * console.log(e.key); // "general.architecture"
 * ```
 */
export class ModelConfigError extends LoomError {
  /** The metadata key or tensor name at fault, when known. */
  readonly key: string | undefined;
  /**
   * Creates an instance.
   *
   * @param message What is wrong.
   * @param key The metadata key or tensor name.
   */
  constructor(message: string, key?: string) {
    super(message, "model_config");
    this.key = key;
  }
}

/**
 * A request or call has an invalid parameter. `param` names it (as the OpenAI API does).
 *
 * @example
 * ```ts
 * import { InvalidParameterError } from "@loom/core";
 * const e = new InvalidParameterError("temperature", "must be >= 0");
 * console.log(e.param, e.message); // "temperature" "temperature: must be >= 0"
 * ```
 */
export class InvalidParameterError extends LoomError {
  /** The parameter's name. */
  readonly param: string;
  /**
   * Creates an instance.
   *
   * @param param The parameter's name.
   * @param reason Why its value is invalid.
   */
  constructor(param: string, reason: string) {
    super(`${param}: ${reason}`, "invalid_parameter");
    this.param = param;
  }
}

/**
 * A prompt (plus the tokens asked for) does not fit the model's context.
 *
 * @example
 * ```ts
 * import { ContextLengthError } from "@loom/core";
 * const e = new ContextLengthError(5000, 4096);
 * console.log(e.numTokens > e.maxTokens); // true
 * ```
 */
export class ContextLengthError extends LoomError {
  /** Tokens that were asked for. */
  readonly numTokens: number;
  /** The limit. */
  readonly maxTokens: number;
  /**
   * Creates an instance.
   *
   * @param numTokens Tokens asked for.
   * @param maxTokens The context limit.
   * @param what What was too long.
   */
  constructor(numTokens: number, maxTokens: number, what = "prompt") {
    super(`${what} of ${numTokens} tokens exceeds the context of ${maxTokens}`, "context_length");
    this.numTokens = numTokens;
    this.maxTokens = maxTokens;
  }
}

/**
 * The KV cache has no free block for an operation that must not wait.
 *
 * @example
 * ```ts
 * import { CacheExhaustedError } from "@loom/core";
 * const e = new CacheExhaustedError(4, 1);
 * console.log(e.numNeeded, e.numFree); // 4 1
 * ```
 */
export class CacheExhaustedError extends LoomError {
  /** Blocks needed. */
  readonly numNeeded: number;
  /** Blocks free. */
  readonly numFree: number;
  /**
   * Creates an instance.
   *
   * @param numNeeded Blocks needed.
   * @param numFree Blocks free.
   */
  constructor(numNeeded: number, numFree: number) {
    super(`KV cache exhausted: ${numNeeded} blocks needed, ${numFree} free`, "cache_exhausted");
    this.numNeeded = numNeeded;
    this.numFree = numFree;
  }
}

/**
 * A scheduler returned a plan the engine cannot apply (unknown sequence, over budget,
 * allocation that does not fit).
 *
 * @example
 * ```ts
 * import { SchedulerPlanError } from "@loom/core";
 * const e = new SchedulerPlanError("token budget exceeded", "fcfs");
 * console.log(e.scheduler); // "fcfs"
 * ```
 */
export class SchedulerPlanError extends LoomError {
  /** The scheduler's name. */
  readonly scheduler: string;
  /**
   * Creates an instance.
   *
   * @param message What is wrong with the plan.
   * @param scheduler The scheduler's name.
   */
  constructor(message: string, scheduler: string) {
    super(`invalid plan from scheduler ${scheduler}: ${message}`, "scheduler_plan");
    this.scheduler = scheduler;
  }
}

/**
 * A request was rejected by the scheduler or the engine (queue full, SLO cannot be met).
 *
 * @example
 * ```ts
 * import { RequestRejectedError } from "@loom/core";
 * const e = new RequestRejectedError("queue full", 2000);
 * console.log(e.retryAfterMs); // 2000
 * ```
 */
export class RequestRejectedError extends LoomError {
  /** The reason given by the scheduler or engine. */
  readonly reason: string;
  /** A hint for when to retry, when one is known. */
  readonly retryAfterMs: number | undefined;
  /**
   * Creates an instance.
   *
   * @param reason Why the request was rejected.
   * @param retryAfterMs When to retry.
   */
  constructor(reason: string, retryAfterMs?: number) {
    super(`request rejected: ${reason}`, "request_rejected");
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A backend failed: no adapter, device lost, out of memory, a model too large for it.
 *
 * @example
 * ```ts
 * import { BackendError } from "@loom/core";
 * const e = new BackendError("no WebGPU adapter", "webgpu");
 * console.log(e.backend); // "webgpu"
 * ```
 */
export class BackendError extends LoomError {
  /** The backend's name. */
  readonly backend: string;
  /**
   * Creates an instance.
   *
   * @param message What failed.
   * @param backend The backend's name.
   */
  constructor(message: string, backend: string) {
    super(`${backend}: ${message}`, "backend");
    this.backend = backend;
  }
}

/**
 * Tokenizer data is malformed or text cannot be tokenized.
 *
 * @example
 * ```ts
 * import { TokenizerError } from "@loom/core";
 * console.log(new TokenizerError("no vocabulary").code); // "tokenizer"
 * ```
 */
export class TokenizerError extends LoomError {
  /**
   * Creates an instance.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message, "tokenizer");
  }
}

/**
 * A chat template failed to render (including templates that raise on purpose).
 *
 * @example
 * ```ts
 * import { TemplateError } from "@loom/core";
 * console.log(new TemplateError("Conversation roles must alternate").code); // "template"
 * ```
 */
export class TemplateError extends LoomError {
  /**
   * Creates an instance.
   *
   * @param message The template's own message.
   */
  constructor(message: string) {
    super(message, "template");
  }
}

/**
 * The request was aborted by its caller (an `AbortSignal` fired).
 *
 * @example
 * ```ts
 * import { AbortedError } from "@loom/core";
 * console.log(new AbortedError().code); // "aborted"
 * ```
 */
export class AbortedError extends LoomError {
  /**
   * Creates an instance.
   *
   * @param message Optional detail.
   */
  constructor(message = "request aborted") {
    super(message, "aborted");
  }
}
