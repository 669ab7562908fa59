/**
 * Cumulative Prometheus histograms: fixed bucket bounds, counts, sum, rendered in the text
 * exposition format.
 *
 * @module
 */

/** Bucket bounds (seconds) for time to first token. */
export const TTFT_BUCKETS_S: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.02,
  0.04,
  0.06,
  0.08,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
  20,
  40,
  80,
];
/** Bucket bounds (seconds) for inter-token latency. */
export const ITL_BUCKETS_S: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.02,
  0.04,
  0.06,
  0.08,
  0.1,
  0.15,
  0.2,
  0.3,
  0.4,
  0.5,
  0.75,
  1,
  2.5,
];
/** Bucket bounds (seconds) for end-to-end and queue times. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.01,
  0.05,
  0.1,
  0.3,
  0.5,
  1,
  2.5,
  5,
  10,
  15,
  20,
  30,
  40,
  50,
  60,
  120,
  240,
  480,
  960,
];

/** Formats a number as Prometheus expects (`+Inf`, `NaN`). */
export function promNumber(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

/**
 * A cumulative histogram.
 *
 * @example
 * ```ts
 * import { Histogram } from "@loom/core";
 * const h = new Histogram("loom_ttft_seconds", "Time to first token.", [0.1, 1]);
 * h.observe(0.05);
 * h.observe(0.5);
 * console.log(h.render().split("\n")[3]); // 'loom_ttft_seconds_bucket{le="1"} 2'
 * ```
 */
export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  /**
   * Creates an instance.
   *
   * @param name Metric name (with unit suffix).
   * @param help One line of help.
   * @param bounds Upper bounds of the buckets, increasing (`+Inf` is added).
   */
  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[]) {
    this.#counts = new Array(bounds.length).fill(0);
  }

  /** Observations so far. */
  get count(): number {
    return this.#count;
  }

  /** Records one value. */
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    this.#sum += v;
    this.#count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) this.#counts[i]!++;
  }

  /** The histogram in the text exposition format (no trailing newline). */
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.bounds.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${promNumber(b)}"} ${this.#counts[i]}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${promNumber(this.#sum)}`);
    lines.push(`${this.name}_count ${this.#count}`);
    return lines.join("\n");
  }
}
