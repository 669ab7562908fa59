/**
 * The engine's yield between steps. A MessageChannel message is a cheap macrotask (about
 * 10 µs; `setTimeout(0)` costs about 2 ms in Deno), but in Deno it does not let the runtime poll
 * sockets: a loop that yields only that way starves every HTTP connection until it goes idle
 * (measured: 7 ms of work a turn and a MessageChannel yield answered no request in 40 s;
 * `setImmediate` answered after about 770 ms). So at least every `hostEveryMs` a turn waits on
 * work done off the thread instead, a one-byte SHA-256 digest (Deno runs it on its blocking
 * pool, about 20 µs here): while the thread waits, the runtime parks and serves I/O and timers.
 * One digest is one round of the runtime's loop, and a request on a new connection needs
 * several (accept, read, the handler, its body) while the streams already open take their
 * share of each: with one digest a turn, requests that came to Loom's server while it decoded
 * four sequences reached the engine 47–872 ms after they were sent (five of six above 550);
 * with four digests in a row, 3–51 ms. A host turn is `hostTicks` digests (about 80 µs).
 */
export class Turns {
  #channel: MessageChannel | undefined;
  readonly #waiting: (() => void)[] = [];
  #lastHostMs = performance.now();
  readonly #hostEveryMs: number;
  readonly #hostTicks: number;

  /**
   * `hostEveryMs`: the longest run of cheap turns before one that lets the host do I/O;
   * `hostTicks`: rounds of the runtime's loop in such a turn.
   */
  constructor(hostEveryMs = 2, hostTicks = 4) {
    this.#hostEveryMs = hostEveryMs;
    this.#hostTicks = hostTicks;
  }

  /** Resolves on a later macrotask turn, one that served I/O if the last was long ago. */
  next(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastHostMs >= this.#hostEveryMs && globalThis.crypto?.subtle) {
      this.#lastHostMs = now;
      return this.#host();
    }
    if (!this.#channel) {
      this.#channel = new MessageChannel();
      this.#channel.port1.onmessage = () => this.#waiting.shift()?.();
    }
    const ch = this.#channel;
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      ch.port2.postMessage(0);
    });
  }

  async #host(): Promise<void> {
    for (let i = 0; i < this.#hostTicks; i++) await crypto.subtle.digest("SHA-256", ONE_BYTE);
  }

  /** Closes the channel (an open port keeps a process alive). */
  close(): void {
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = undefined;
    for (const w of this.#waiting.splice(0)) w();
  }
}

const ONE_BYTE = new Uint8Array(1);
