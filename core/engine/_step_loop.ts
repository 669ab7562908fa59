import { Turns } from "./_turn.ts";

/**
 * The engine's driver: runs steps while there is work, lets the host do I/O between steps,
 * and sleeps when a step could run nothing, until the next `kick` (an arrival or an abort).
 *
 * No kick is lost: one that comes while a step runs makes a step that ran nothing try again
 * at once, and one that comes after the loop's last look at the work but before the loop has
 * ended (the loop still seems to run) starts the loop again when it ends.
 */
export class StepLoop {
  readonly #step: () => Promise<boolean>;
  readonly #hasWork: () => boolean;
  readonly #fail: (e: unknown) => void;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #kicked = false;

  /**
   * @param step Runs one step; resolves whether it ran anything.
   * @param hasWork Whether any sequence is left.
   * @param fail Called when a step throws; the loop then ends.
   */
  constructor(step: () => Promise<boolean>, hasWork: () => boolean, fail: (e: unknown) => void) {
    this.#step = step;
    this.#hasWork = hasWork;
    this.#fail = fail;
  }

  /** Whether the loop is running (or asleep waiting for a kick). */
  get active(): boolean {
    return this.#loop !== undefined;
  }

  /** Tells the loop that work arrived or went: wakes it, or starts it. */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
    if (this.#loop) return;
    // started a microtask later, so that #loop is set before any step runs
    this.#loop = Promise.resolve().then(() => this.#run()).finally(() => {
      this.#loop = undefined;
      if (this.#hasWork()) this.kick(); // a kick came after the last look at the work
    });
  }

  /** Resolves when the loop has ended (no work left). */
  async drain(): Promise<void> {
    while (this.#loop) await this.#loop;
  }

  async #run(): Promise<void> {
    const turns = new Turns();
    try {
      while (this.#hasWork()) {
        this.#kicked = false;
        let ran: boolean;
        try {
          ran = await this.#step();
        } catch (e) {
          this.#fail(e);
          return;
        }
        // let I/O run between steps; when nothing could run, sleep until a kick (unless one
        // came while the step ran: it found nothing asleep to wake)
        if (ran) await turns.next();
        else if (!this.#kicked) await new Promise<void>((r) => (this.#wake = r));
        this.#wake = undefined;
      }
    } finally {
      turns.close();
    }
  }
}
