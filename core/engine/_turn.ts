/**
 * The engine's yield between steps. A MessageChannel message is a cheap macrotask (about
 * 10 µs; `setTimeout(0)` costs about 2 ms in Deno), but in Deno it does not let the runtime poll
 * sockets: a loop that yields only that way starves every HTTP connection until it goes idle
 * (measured: 7 ms of work a turn and a MessageChannel yield answered no request in 40 s;
 * `setImmediate` answered after about 770 ms). So at least every `hostEveryMs` a turn waits on
 * work done off the thread instead, a one-byte SHA-256 digest (Deno runs it on its blocking
 * pool, about 80 µs): while the thread waits, the runtime parks and serves I/O and timers.
 */
export class Turns {
  #channel: MessageChannel | undefined;
  readonly #waiting: (() => void)[] = [];
  #lastHostMs = performance.now();
  readonly #hostEveryMs: number;

  /** `hostEveryMs`: the longest run of cheap turns before one that lets the host do I/O. */
  constructor(hostEveryMs = 2) {
    this.#hostEveryMs = hostEveryMs;
  }

  /** Resolves on a later macrotask turn, one that served I/O if the last was long ago. */
  next(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastHostMs >= this.#hostEveryMs && globalThis.crypto?.subtle) {
      this.#lastHostMs = now;
      return crypto.subtle.digest("SHA-256", ONE_BYTE).then(() => {});
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

  /** Closes the channel (an open port keeps a process alive). */
  close(): void {
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = undefined;
    for (const w of this.#waiting.splice(0)) w();
  }
}

const ONE_BYTE = new Uint8Array(1);
