/**
 * Stop strings over a text stream: text that could be the start of a stop string is held
 * back across token boundaries, so no partial stop text is ever streamed.
 *
 * @module
 */

/**
 * Feeds text deltas; returns what is safe to emit and whether a stop string was found.
 *
 * @example
 * ```ts
 * import { StopMatcher } from "@loom/core";
 * const m = new StopMatcher(["END"]);
 * console.log(m.push("hello E")); // { text: "hello ", stopped: false }
 * console.log(m.push("ND more")); // { text: "", stopped: true }
 * ```
 */
export class StopMatcher {
  readonly #stops: readonly string[];
  readonly #maxHold: number;
  #held = "";
  #stopped = false;

  /**
   * Creates an instance.
   *
   * @param stops Stop strings (non-empty).
   */
  constructor(stops: readonly string[]) {
    this.#stops = stops;
    this.#maxHold = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** Whether a stop string has been seen. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds text; returns the text now safe to emit. */
  push(delta: string): { text: string; stopped: boolean } {
    if (this.#stopped) return { text: "", stopped: true };
    const buf = this.#held + delta;
    let cut = -1;
    for (const s of this.#stops) {
      const at = buf.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#stopped = true;
      this.#held = "";
      return { text: buf.slice(0, cut), stopped: true };
    }
    // hold back the longest suffix that is a prefix of some stop string
    let hold = 0;
    for (let k = Math.min(this.#maxHold, buf.length); k > 0; k--) {
      const tail = buf.slice(buf.length - k);
      if (this.#stops.some((s) => s.startsWith(tail))) {
        hold = k;
        break;
      }
    }
    this.#held = buf.slice(buf.length - hold);
    return { text: buf.slice(0, buf.length - hold), stopped: false };
  }

  /** Releases held text at the end of the stream. */
  flush(): string {
    const t = this.#stopped ? "" : this.#held;
    this.#held = "";
    return t;
  }
}
