/**
 * A step-time model for schedulers that plan in milliseconds: a step costs
 * `stepMs + prefillTokenMs·P + decodeSeqMs·D + contextTokenMs·C` for P prefill tokens, D
 * decoding sequences and C context tokens, with the coefficients refined online by
 * recursive least squares from the steps the scheduler sees.
 *
 * @module
 */
import { InvalidParameterError } from "@loom/core";

/** Milliseconds per unit of step work. */
export interface StepTimeCoefficients {
  /** Fixed cost of a step, ms. */
  readonly stepMs: number;
  /** Per prefill token, ms. */
  readonly prefillTokenMs: number;
  /** Per decoding sequence, ms. */
  readonly decodeSeqMs: number;
  /** Per context token read, ms. */
  readonly contextTokenMs: number;
}

// features are scaled to similar magnitudes before fitting
const SCALE = [1, 1 / 256, 1 / 16, 1 / 16384];
// the covariance never shrinks below this on its diagonal, so the model keeps adapting
const MIN_VARIANCE = 1e-4;

/**
 * Predicts step durations; learns from observed ones.
 *
 * @example
 * ```ts
 * import { StepTimeModel } from "@loom/schedulers";
 * const m = new StepTimeModel({ stepMs: 1, prefillTokenMs: 0, decodeSeqMs: 0, contextTokenMs: 0 });
 * for (let i = 0; i < 200; i++) m.observe(i % 50, 8, 1000, 10 + 0.1 * (i % 50) + 0.5 * 8);
 * console.log(Math.round(m.estimateMs(40, 8, 1000))); // 18
 * ```
 */
export class StepTimeModel {
  readonly #theta: number[];
  readonly #p: number[][];
  readonly #learn: boolean;
  /** Steps observed. */
  numObserved = 0;

  /**
   * Creates the model.
   *
   * @param prior Starting coefficients.
   * @param learn Refine them from observations (default true).
   */
  constructor(prior: StepTimeCoefficients, learn = true) {
    const c = [prior.stepMs, prior.prefillTokenMs, prior.decodeSeqMs, prior.contextTokenMs];
    c.forEach((v, i) => {
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new InvalidParameterError(
          "stepTime",
          `coefficient ${i} must be a finite number >= 0`,
        );
      }
    });
    this.#theta = c.map((v, i) => v / SCALE[i]!);
    // prior uncertainty: a few ms per scaled unit
    this.#p = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 100 : 0)));
    this.#learn = learn;
  }

  /** Current coefficients (never negative). */
  get coefficients(): StepTimeCoefficients {
    const t = this.#theta.map((v, i) => Math.max(0, v) * SCALE[i]!);
    return { stepMs: t[0]!, prefillTokenMs: t[1]!, decodeSeqMs: t[2]!, contextTokenMs: t[3]! };
  }

  /** Predicted duration of a step, ms. */
  estimateMs(numPrefillTokens: number, numDecodeSeqs: number, numContextTokens: number): number {
    const t = this.#theta;
    return Math.max(0, t[0]!) + Math.max(0, t[1]!) * numPrefillTokens * SCALE[1]! +
      Math.max(0, t[2]!) * numDecodeSeqs * SCALE[2]! +
      Math.max(0, t[3]!) * numContextTokens * SCALE[3]!;
  }

  /** Records a step that took `ms`. */
  observe(
    numPrefillTokens: number,
    numDecodeSeqs: number,
    numContextTokens: number,
    ms: number,
  ): void {
    if (!this.#learn || !(ms >= 0) || !Number.isFinite(ms)) return;
    const x = [1, numPrefillTokens, numDecodeSeqs, numContextTokens].map((v, i) => v * SCALE[i]!);
    const P = this.#p, th = this.#theta;
    const px = P.map((row) => row.reduce((a, v, j) => a + v * x[j]!, 0));
    const denom = 1 + x.reduce((a, v, i) => a + v * px[i]!, 0);
    const err = ms - x.reduce((a, v, i) => a + v * th[i]!, 0);
    for (let i = 0; i < 4; i++) th[i]! += (px[i]! / denom) * err;
    // P ← P − (P·x)(P·x)ᵀ / (1 + xᵀ·P·x): symmetric by construction; diagonal kept >= min
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) P[i]![j]! -= (px[i]! * px[j]!) / denom;
      P[i]![i] = Math.max(P[i]![i]!, MIN_VARIANCE);
    }
    this.numObserved++;
  }
}
