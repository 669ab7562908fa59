/**
 * A one-line download progress bar (bytes, rate, ETA), redrawn in place at most every
 * 100 ms. The hub client draws it on stderr, only when stderr is a terminal.
 *
 * @module
 */

const UNITS = ["B", "kB", "MB", "GB", "TB"];

/**
 * A byte count in decimal units, as the hub's web pages show them.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./_hub_progress.ts";
 * console.log(formatBytes(999), formatBytes(1_536_000), formatBytes(4.2e9)); // "999 B" "1.5 MB" "4.2 GB"
 * ```
 */
export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1000 && i < UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${UNITS[i]}`;
}

/**
 * Seconds as `m:ss` or `h:mm:ss`; `--:--` when unknown.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./_hub_progress.ts";
 * console.log(formatDuration(65), formatDuration(3723), formatDuration(Infinity)); // "1:05" "1:02:03" "--:--"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const two = (v: number) => String(v).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/**
 * One file's progress line. `startBytes` are bytes already on disk (a resumed download):
 * they count toward the total but not toward the rate.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./_hub_progress.ts";
 * let t = 0;
 * const bar = new ProgressBar("model.gguf", 2_000_000, 0, () => {}, () => t);
 * t = 1000;
 * console.log(bar.render(1_000_000).trim()); // "model.gguf  50% |############------------| 1.0 MB/2.0 MB 1.0 MB/s ETA 0:01"
 * ```
 */
export class ProgressBar {
  readonly #label: string;
  readonly #totalBytes: number | undefined;
  readonly #startBytes: number;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #startMs: number;
  #lastDrawMs = -Infinity;

  /**
   * @param label Shown first (truncated to 32 characters).
   * @param totalBytes The file's size, when known.
   * @param startBytes Bytes already downloaded before this run.
   * @param write Writes text (to stderr).
   * @param now Clock in milliseconds.
   */
  constructor(
    label: string,
    totalBytes: number | undefined,
    startBytes: number,
    write: (text: string) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#label = label.length > 32 ? "…" + label.slice(-31) : label;
    this.#totalBytes = totalBytes;
    this.#startBytes = startBytes;
    this.#write = write;
    this.#now = now;
    this.#startMs = now();
  }

  /** The line for `receivedBytes` (carriage return and erase-line first). */
  render(receivedBytes: number): string {
    const seconds = (this.#now() - this.#startMs) / 1000;
    const rate = seconds > 0 ? (receivedBytes - this.#startBytes) / seconds : 0;
    const total = this.#totalBytes;
    let line = this.#label;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, receivedBytes / total);
      const filled = Math.round(frac * BAR_WIDTH);
      line += ` ${String(Math.floor(frac * 100)).padStart(3)}% |${"#".repeat(filled)}${
        "-".repeat(BAR_WIDTH - filled)
      }| ${formatBytes(receivedBytes)}/${formatBytes(total)}`;
      const eta = rate > 0 ? (total - receivedBytes) / rate : Infinity;
      line += ` ${formatBytes(rate)}/s ETA ${formatDuration(eta)}`;
    } else {
      line += ` ${formatBytes(receivedBytes)} ${formatBytes(rate)}/s`;
    }
    return `\r\x1b[2K${line}`;
  }

  /** Redraws, unless it did so less than 100 ms ago. */
  update(receivedBytes: number): void {
    const now = this.#now();
    if (now - this.#lastDrawMs < REDRAW_MS) return;
    this.#lastDrawMs = now;
    this.#write(this.render(receivedBytes));
  }

  /** Draws the final state and ends the line. */
  finish(receivedBytes: number): void {
    this.#write(this.render(receivedBytes) + "\n");
  }
}
