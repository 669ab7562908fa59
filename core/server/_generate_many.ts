/**
 * Runs one engine request per prompt and merges their deltas into one stream, with the
 * choice index made global (`prompt · n + choice`). The first event is awaited before the
 * caller answers, so a request the scheduler rejects still gets a 429 rather than a broken
 * stream.
 *
 * @module
 */
import type { Engine, RequestOptions } from "../engine/engine.ts";
import type { GenerationDelta } from "../engine/request_state.ts";

/** A delta with the prompt it belongs to and its choice index over the whole request. */
export interface IndexedDelta {
  readonly prompt: number;
  readonly index: number;
  readonly delta: GenerationDelta;
}

/** Started generations: the first event (already awaited) and the rest. */
export interface Generations {
  /** Every delta in arrival order, the first one included. */
  readonly deltas: AsyncIterable<IndexedDelta>;
}

type Item = { d: IndexedDelta } | { error: unknown } | { end: true };

/**
 * Starts every prompt (engine validation errors throw here, before anything is sent),
 * then waits for the first delta or error.
 */
export async function startGenerations(
  engine: Engine,
  prompts: readonly (string | readonly number[])[],
  options: RequestOptions,
  abort: AbortController,
): Promise<Generations> {
  const n = options.n ?? 1;
  const sources: AsyncIterable<GenerationDelta>[] = [];
  try {
    for (const p of prompts) sources.push(engine.generate(p, { ...options, signal: abort.signal }));
  } catch (e) {
    abort.abort();
    throw e;
  }
  const queue: Item[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Item) => {
    queue.push(item);
    wake?.();
  };
  sources.forEach((src, prompt) => {
    (async () => {
      for await (const delta of src) {
        push({ d: { prompt, index: prompt * n + delta.index, delta } });
      }
    })().then(() => push({ end: true }), (error) => push({ error }));
  });
  const next = async (): Promise<Item> => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    return queue.shift()!;
  };
  const first = await next();
  if ("error" in first) {
    abort.abort();
    throw first.error;
  }
  async function* merged(): AsyncGenerator<IndexedDelta> {
    let numOpen = sources.length;
    let item: Item | undefined = first;
    try {
      while (numOpen > 0) {
        item ??= await next();
        if ("error" in item) throw item.error;
        if ("end" in item) numOpen--;
        else yield item.d;
        item = undefined;
      }
    } finally {
      if (numOpen > 0) abort.abort();
    }
  }
  return { deltas: merged() };
}
