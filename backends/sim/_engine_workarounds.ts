/**
 * Two workarounds for costs of core/engine that only matter at simulation speed. Both go
 * when core/engine changes (see the scheduler-simulation note):
 *
 * - The engine yields between steps with `setTimeout(r, 0)`, which Deno clamps to about
 *   2 ms: a simulated step would cost 2 ms of wall time. While a replay runs, zero-delay
 *   timers become MessageChannel messages (still macrotasks, so I/O still interleaves; about
 *   4 µs each).
 * - `EngineStats` keeps its latest 10,000 samples with `splice(0, 1)` per sample once full,
 *   O(10,000) per token. The replay empties those sample arrays (it keeps its own records).
 */
import type { Engine } from "@loom/core";

/** Runs `fn` with zero-delay `setTimeout` served by a MessageChannel; restores it after. */
export async function withFastZeroTimers<T>(fn: () => Promise<T>): Promise<T> {
  const original = globalThis.setTimeout;
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  const fast = (cb: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): unknown => {
    if (ms !== undefined && ms > 0) return original(cb, ms, ...args);
    queue.push(() => cb(...args));
    channel.port2.postMessage(0);
    return 0;
  };
  globalThis.setTimeout = fast as unknown as typeof globalThis.setTimeout;
  try {
    return await fn();
  } finally {
    globalThis.setTimeout = original;
    channel.port1.close();
    channel.port2.close();
  }
}

/** One macrotask turn (through the same channel while the fast timers are on). */
export function nextTurn(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** Empties the engine's latency sample arrays once they grow past `max`. */
export function trimEngineSamples(engine: Engine, max = 4096): void {
  const s = engine.stats;
  for (const arr of [s.ttftMs, s.interTokenMs, s.e2eMs, s.queueMs]) {
    if (arr.length > max) arr.length = 0;
  }
}
