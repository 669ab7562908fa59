/**
 * A sequence: one choice of one request, with its tokens, progress through the cache and
 * generation state. Schedulers see it through the read-only {@linkcode SequenceView}.
 *
 * @module
 */
import type { HostKvBlocks } from "../backend.ts";
import type { SequenceStatus, SequenceView } from "../scheduler.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { IncrementalDetokenizer } from "../tokenizer/detokenizer.ts";
import { Rng } from "./rng.ts";
import type { ResolvedSamplingParams } from "./sampling_params.ts";
import { StopMatcher } from "./stop_matcher.ts";
import type { RequestState } from "./_request.ts";
import type { FinishReason } from "./request_state.ts";

/** Engine-internal mutable sequence. */
export class Sequence implements SequenceView {
  status: SequenceStatus = "waiting";
  numComputedTokens = 0;
  firstTokenMs: number | undefined;
  lastTokenMs: number | undefined;
  numPreemptions = 0;
  numBlocks = 0;
  numCachedTokens = 0;
  /** Host copy while swapped out. */
  host: HostKvBlocks | undefined;
  /** Set when the sequence has ended. */
  finishReason: FinishReason | undefined;
  /** Whether the cache knows this sequence (allocated or forked). */
  inCache = false;
  readonly rng: Rng;
  readonly detokenizer: IncrementalDetokenizer;
  readonly stopMatcher: StopMatcher;
  readonly promptCounts = new Map<number, number>();
  readonly outputCounts = new Map<number, number>();

  constructor(
    readonly id: number,
    readonly request: RequestState,
    readonly index: number,
    readonly tokens: number[],
    readonly numPromptTokens: number,
    tokenizer: Tokenizer,
  ) {
    const p = request.params;
    this.rng = new Rng(p.seed === undefined ? undefined : p.seed + index * 7919);
    // completions continue a prompt: keep the leading space of the first token
    this.detokenizer = new IncrementalDetokenizer(tokenizer, { continuation: true });
    this.stopMatcher = new StopMatcher(p.stop);
    if (p.repetitionPenalty !== 1) {
      for (const t of tokens.slice(0, numPromptTokens)) {
        this.promptCounts.set(t, (this.promptCounts.get(t) ?? 0) + 1);
      }
    }
  }

  get requestId(): string {
    return this.request.id;
  }
  get arrivalMs(): number {
    return this.request.arrivalMs;
  }
  get priority(): number {
    return this.request.priority;
  }
  get ttftMs(): number | undefined {
    return this.request.ttftMs;
  }
  get tpotMs(): number | undefined {
    return this.request.tpotMs;
  }
  get params(): ResolvedSamplingParams {
    return this.request.params;
  }
  get numTokens(): number {
    return this.tokens.length;
  }
  get numGeneratedTokens(): number {
    return this.tokens.length - this.numPromptTokens;
  }
  get maxTokens(): number {
    return this.request.params.maxTokens;
  }
  /** Tokens still to run before the next token can be sampled. */
  get numPendingTokens(): number {
    return this.tokens.length - this.numComputedTokens;
  }

  /** Records a generated token. */
  pushToken(id: number, nowMs: number): void {
    this.tokens.push(id);
    this.outputCounts.set(id, (this.outputCounts.get(id) ?? 0) + 1);
    this.firstTokenMs ??= nowMs;
    this.lastTokenMs = nowMs;
  }

  /** A child for choice `index`, sharing everything generated so far. */
  fork(id: number, index: number, tokenizer: Tokenizer): Sequence {
    const child = new Sequence(
      id,
      this.request,
      index,
      this.tokens.slice(),
      this.numPromptTokens,
      tokenizer,
    );
    child.status = this.status;
    child.numComputedTokens = this.numComputedTokens;
    child.numCachedTokens = this.numCachedTokens;
    for (const [k, v] of this.promptCounts) child.promptCounts.set(k, v);
    return child;
  }
}
