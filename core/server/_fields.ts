/**
 * Typed readers of request-body fields. `null` counts as absent (OpenAI clients send it);
 * a value of the wrong type throws an {@linkcode InvalidParameterError} naming the field.
 *
 * @module
 */
import { InvalidParameterError } from "../errors.ts";

/** A parsed JSON object. */
export type Body = Readonly<Record<string, unknown>>;

function present(body: Body, key: string): unknown {
  const v = body[key];
  return v === null ? undefined : v;
}

/** An optional finite number. */
export function optNumber(body: Body, key: string): number | undefined {
  const v = present(body, key);
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new InvalidParameterError(key, "must be a number");
  }
  return v;
}

/** An optional integer. */
export function optInt(body: Body, key: string): number | undefined {
  const v = optNumber(body, key);
  if (v !== undefined && !Number.isSafeInteger(v)) {
    throw new InvalidParameterError(key, "must be an integer");
  }
  return v;
}

/** An optional boolean. */
export function optBool(body: Body, key: string): boolean | undefined {
  const v = present(body, key);
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new InvalidParameterError(key, "must be a boolean");
  return v;
}

/** An optional string. */
export function optString(body: Body, key: string): string | undefined {
  const v = present(body, key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new InvalidParameterError(key, "must be a string");
  return v;
}

/** An optional plain object. */
export function optObject(body: Body, key: string): Body | undefined {
  const v = present(body, key);
  if (v === undefined) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidParameterError(key, "must be an object");
  }
  return v as Body;
}

/** An optional array of at most `maxLength` items. */
export function optArray(body: Body, key: string, maxLength: number): unknown[] | undefined {
  const v = present(body, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new InvalidParameterError(key, "must be an array");
  if (v.length > maxLength) {
    throw new InvalidParameterError(key, `at most ${maxLength} items, got ${v.length}`);
  }
  return v;
}

/** `stop`: a string or a list of strings. */
export function optStop(body: Body, key = "stop"): string[] | undefined {
  const v = present(body, key);
  if (v === undefined) return undefined;
  if (typeof v === "string") return v.length > 0 ? [v] : undefined;
  const list = optArray(body, key, 16)!;
  if (list.some((s) => typeof s !== "string")) {
    throw new InvalidParameterError(key, "must be a string or a list of strings");
  }
  return list as string[];
}

/** `logit_bias`: token id (as a string key) → bias; ids and values checked by the engine. */
export function optLogitBias(body: Body, key = "logit_bias"): Record<number, number> | undefined {
  const obj = optObject(body, key);
  if (obj === undefined) return undefined;
  const entries = Object.entries(obj);
  if (entries.length > 1024) throw new InvalidParameterError(key, "at most 1024 entries");
  const out: Record<number, number> = {};
  for (const [k, v] of entries) {
    if (!/^\d+$/.test(k)) throw new InvalidParameterError(key, `key ${k} is not a token id`);
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidParameterError(key, `bias of token ${k} must be a number`);
    }
    out[Number(k)] = v;
  }
  return out;
}

/** A list of token ids, each an integer in `[0, vocabSize)`. */
export function tokenIds(value: unknown[], param: string, vocabSize: number): number[] {
  for (const t of value) {
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t >= vocabSize) {
      throw new InvalidParameterError(param, `token ids must be integers in [0, ${vocabSize})`);
    }
  }
  return value as number[];
}
