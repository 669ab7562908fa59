/**
 * Per-op wall time of a backend whose ops run eagerly (the WASM backend): wraps each method of
 * `backend.ops` in place and sums the milliseconds spent in it, matmuls keyed by weight name
 * (layer index dropped) and row count.
 *
 * @module
 */
import type { Backend, Weight } from "@loom/core";

/** Accumulated milliseconds per op key. */
export class OpProfile {
  readonly #ms = new Map<string, number>();

  /**
   * Wraps `backend.ops` (for eager backends only: a recorded backend would time recording).
   *
   * @example
   * ```ts
   * import { ReferenceBackend } from "@loom/reference";
   * import { OpProfile } from "./_op_profile.ts";
   * const be = new ReferenceBackend();
   * const prof = new OpProfile(be);
   * const x = be.alloc(1, 4);
   * be.ops.add(x, x, x, 1);
   * console.log(prof.table(1).includes("add")); // true
   * ```
   */
  constructor(backend: Backend) {
    const ops = backend.ops as unknown as Record<string, unknown>;
    for (const name of Object.keys(ops)) {
      const fn = ops[name];
      if (typeof fn !== "function") continue;
      ops[name] = (...args: unknown[]) => {
        const t = performance.now();
        const result = (fn as (...a: unknown[]) => unknown).apply(backend.ops, args);
        const key = name === "matmul"
          ? `matmul ${(args[2] as Weight).name.replace(/^blk\.\d+\./, "")} × ${args[3]}`
          : name;
        this.#ms.set(key, (this.#ms.get(key) ?? 0) + performance.now() - t);
        return result;
      };
    }
  }

  /** Forgets what was measured so far. */
  reset(): void {
    this.#ms.clear();
  }

  /** One line per op, slowest first: ms per step over `steps` steps and share of the total. */
  table(steps: number): string {
    const total = [...this.#ms.values()].reduce((a, b) => a + b, 0);
    return [...this.#ms].sort((a, b) => b[1] - a[1]).map(([key, ms]) =>
      `    ${key.padEnd(36)} ${(ms / steps).toFixed(2).padStart(8)} ms ${
        ((100 * ms) / total).toFixed(0).padStart(3)
      } %`
    ).join("\n");
  }
}
