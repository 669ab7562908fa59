/**
 * One macrotask turn, cheaply: a MessageChannel message instead of `setTimeout(0)` (which
 * Deno clamps to about 2 ms). I/O and timers still run between turns.
 */
export class Turns {
  #channel: MessageChannel | undefined;
  readonly #waiting: (() => void)[] = [];

  /** Resolves on the next macrotask turn. */
  next(): Promise<void> {
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
