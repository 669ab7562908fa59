/**
 * The Engine: iteration-level (continuous) batching. One step is short:
 * `plan = scheduler.schedule(view)` → apply the plan to the cache → `model.forward(batch)`
 * → sample → append tokens, stop checks, stream deltas, free finished sequences.
 *
 * @module
 */
import type { KvPool } from "../backend.ts";
import type { CacheManager } from "../cache/cache_manager.ts";
import {
  AbortedError,
  ContextLengthError,
  InvalidParameterError,
  LoomError,
  RequestRejectedError,
} from "../errors.ts";
import { buildForwardBatch, type SequenceChunk } from "../model/batch_builder.ts";
import type { SchedulePlan, Scheduler, SchedulerContext } from "../scheduler.ts";
import type { EngineModel } from "./engine_model.ts";
import { chatPromptIds, type ChatPromptOptions, type ConversationMessage } from "./chat_prompt.ts";
import { makeCacheView } from "./_cache_view.ts";
import { validatePlan } from "./_validate_plan.ts";
import { StepLoop } from "./_step_loop.ts";
import { RequestState } from "./_request.ts";
import type { GenerationDelta } from "./request_state.ts";
import { sampleToken } from "./sampler.ts";
import { resolveSamplingParams, type SamplingParams } from "./sampling_params.ts";
import { Sequence } from "./sequence.ts";
import { type EngineMetrics, EngineStats } from "./stats.ts";
import { finishSequence, processSampled } from "./_output.ts";

/** Engine construction options. */
export interface EngineOptions {
  /** The model (weights on a backend, tokenizer). */
  readonly model: EngineModel;
  /** Block bookkeeping. */
  readonly cache: CacheManager;
  /** Scheduling policy. */
  readonly scheduler: Scheduler;
  /** KV element type (default f32). */
  readonly kvDType?: "f32" | "f16";
  /** Most tokens per step (default: the model's maxBatchTokens). */
  readonly maxBatchTokens?: number;
  /** Most sequences per step (default 64). */
  readonly maxBatchSeqs?: number;
  /** Most requests waiting before new ones are refused (default unlimited). */
  readonly maxWaiting?: number;
  /** Clock in milliseconds (default `performance.now`). */
  readonly clock?: () => number;
}

/** Per-request options beyond sampling. */
export interface RequestOptions extends SamplingParams {
  /** Abort the request (frees its blocks at once). */
  readonly signal?: AbortSignal;
  /** Priority for priority-aware schedulers (higher first; default 0). */
  readonly priority?: number;
  /** Time-to-first-token target (ms). */
  readonly ttftMs?: number;
  /** Time-per-output-token target (ms). */
  readonly tpotMs?: number;
  /** Caller-chosen id (default: generated). */
  readonly requestId?: string;
}

/**
 * Serves many concurrent requests over one paged KV cache.
 *
 * @example
 * ```ts
 * import { Engine, PagedCacheManager, buildDemoModel } from "@loom/core";
 * import { ReferenceBackend } from "@loom/reference";
 * import { FcfsScheduler } from "@loom/schedulers";
 * const model = await buildDemoModel(new ReferenceBackend());
 * const engine = new Engine({
 *   model, cache: new PagedCacheManager({ numBlocks: 64 }), scheduler: new FcfsScheduler(),
 * });
 * let text = "";
 * for await (const d of engine.generate("Hello", { maxTokens: 8, temperature: 0 })) text += d.text;
 * console.log(typeof text); // "string"
 * ```
 */
export class Engine {
  /** The model it runs. */
  readonly model: EngineModel;
  /** Block bookkeeping. */
  readonly cache: CacheManager;
  /** Scheduling policy. */
  readonly scheduler: Scheduler;
  /** The paged KV pool on the model's backend. */
  readonly pool: KvPool;
  /** Counters and latency samples. */
  readonly stats: EngineStats;
  /** Most tokens per step. */
  readonly maxBatchTokens: number;
  /** Most sequences per step. */
  readonly maxBatchSeqs: number;
  readonly #maxWaiting: number;
  readonly #clock: () => number;
  readonly #seqs = new Map<number, Sequence>();
  readonly #requests = new Map<string, RequestState>();
  #nextSeqId = 0;
  #nextRequestId = 0;
  readonly #loop = new StepLoop(
    () => this.step(),
    () => this.#seqs.size > 0,
    (e) => {
      const err = e instanceof LoomError ? e : new LoomError(String(e), "engine");
      for (const s of [...this.#seqs.values()]) this.#drop(s, "error");
      for (const r of this.#requests.values()) r.end(err);
      this.#requests.clear();
    },
  );

  /**
   * Creates an engine; allocates the KV pool once.
   *
   * @param options Model, cache, scheduler and limits.
   */
  constructor(options: EngineOptions) {
    this.model = options.model;
    this.cache = options.cache;
    this.scheduler = options.scheduler;
    this.maxBatchTokens = Math.min(
      options.maxBatchTokens ?? options.model.maxBatchTokens,
      options.model.maxBatchTokens,
    );
    this.maxBatchSeqs = Math.min(options.maxBatchSeqs ?? 64, options.model.maxLogitRows);
    this.#maxWaiting = options.maxWaiting ?? Infinity;
    this.#clock = options.clock ?? (() => performance.now());
    this.pool = options.model.createKvPool({
      numBlocks: options.cache.numBlocks,
      blockSize: options.cache.blockSize,
      dtype: options.kvDType ?? "f32",
    });
    this.stats = new EngineStats(this.#clock);
  }

  /** Current clock value. */
  now(): number {
    return this.#clock();
  }

  /**
   * Generates from a prompt (text, or token ids used as they are). The returned iterable
   * yields deltas as they are produced; it throws `AbortedError` when aborted and
   * `RequestRejectedError` when rejected.
   */
  generate(
    prompt: string | readonly number[],
    options: RequestOptions = {},
  ): AsyncIterable<GenerationDelta> {
    const { signal, priority, ttftMs, tpotMs, requestId, ...sampling } = options;
    const model = this.model, tok = model.tokenizer;
    const params = resolveSamplingParams(sampling, model.config.vocabSize);
    const ids = typeof prompt === "string" ? tok.encode(prompt) : [...prompt];
    if (ids.length === 0) throw new LoomError("empty prompt", "invalid_parameter");
    const maxCtx = Math.min(
      model.config.maxContextLength,
      this.cache.numBlocks * this.cache.blockSize,
    );
    if (ids.length >= maxCtx) throw new ContextLengthError(ids.length, maxCtx);
    if (sampling.maxTokens !== undefined && ids.length + sampling.maxTokens > maxCtx) {
      throw new InvalidParameterError(
        "maxTokens",
        `prompt (${ids.length} tokens) + maxTokens (${sampling.maxTokens}) exceed the context of ${maxCtx}`,
      );
    }
    const maxTokens = Math.min(params.maxTokens, maxCtx - ids.length);
    if (this.numWaiting >= this.#maxWaiting) {
      throw new RequestRejectedError("queue full", 1000);
    }
    const id = requestId ?? `req-${this.#nextRequestId++}`;
    const req = new RequestState(
      id,
      { ...params, maxTokens },
      this.now(),
      priority ?? 0,
      ttftMs,
      tpotMs,
      ids.length,
    );
    const seq = new Sequence(this.#nextSeqId++, req, 0, ids, ids.length, tok);
    this.#requests.set(id, req);
    this.#seqs.set(seq.id, seq);
    this.stats.onArrival();
    if (signal?.aborted) this.abort(id);
    else signal?.addEventListener("abort", () => this.abort(id), { once: true });
    this.#loop.kick();
    return req.stream();
  }

  /**
   * Generates the assistant's reply to a conversation, rendered with the model's chat
   * template. Throws `TemplateError` when the template raises.
   */
  chat(
    messages: readonly ConversationMessage[],
    options: RequestOptions & ChatPromptOptions = {},
  ): AsyncIterable<GenerationDelta> {
    const template = this.model.chatTemplate;
    if (!template) throw new LoomError("the model has no chat template", "no_chat_template");
    const { tools, templateKwargs, addGenerationPrompt, ...rest } = options;
    const { ids } = chatPromptIds(template, this.model.tokenizer, messages, {
      ...(tools ? { tools } : {}),
      ...(templateKwargs ? { templateKwargs } : {}),
      ...(addGenerationPrompt !== undefined ? { addGenerationPrompt } : {}),
    });
    return this.generate(ids, rest);
  }

  /** Aborts a request: its sequences leave every queue and their blocks are freed now. */
  abort(requestId: string): void {
    const req = this.#requests.get(requestId);
    if (!req) return;
    for (const s of [...this.#seqs.values()]) {
      if (s.request === req) this.#drop(s, "abort");
    }
    this.#requests.delete(requestId);
    req.finishedMs = this.now();
    req.end(new AbortedError());
    this.#loop.kick(); // freed blocks may let a waiting sequence run
  }

  /** Sequences waiting to start (or restart after recompute). */
  get numWaiting(): number {
    return this.#count("waiting");
  }
  /** Sequences on the device. */
  get numRunning(): number {
    return this.#count("running");
  }
  /** Sequences swapped to host memory. */
  get numSwapped(): number {
    return this.#count("swapped");
  }
  /** Requests not yet finished. */
  get numRequests(): number {
    return this.#requests.size;
  }

  #count(status: Sequence["status"]): number {
    let n = 0;
    for (const s of this.#seqs.values()) if (s.status === status) n++;
    return n;
  }

  /** Gauges and counters now, as plain data (for `/metrics` and dashboards). */
  metrics(): EngineMetrics {
    const u = this.cache.usage();
    return {
      numRunning: this.numRunning,
      numWaiting: this.numWaiting,
      numSwapped: this.numSwapped,
      kvUsage: u.numUsedBlocks / u.numBlocks,
      cache: u,
      prefixHitRate: u.numPrefixQueryTokens === 0
        ? 0
        : u.numPrefixHitTokens / u.numPrefixQueryTokens,
      numPreemptions: this.stats.numPreemptions,
      numRequests: this.stats.numRequests,
      numFinished: this.stats.numFinished,
      numRejected: this.stats.numRejected,
      numPromptTokens: this.stats.numPromptTokens,
      numGeneratedTokens: this.stats.numGeneratedTokens,
      numSteps: this.stats.numSteps,
    };
  }

  /** Resolves when every request has finished. */
  async drain(): Promise<void> {
    await this.#loop.drain();
  }

  /** The scheduler's view of the engine now. */
  context(): SchedulerContext {
    const by = (st: Sequence["status"]) => [...this.#seqs.values()].filter((s) => s.status === st);
    for (const s of this.#seqs.values()) {
      s.numBlocks = s.inCache && s.status === "running" ? this.cache.numBlocksOf(s.id) : 0;
    }
    return {
      nowMs: this.now(),
      waiting: by("waiting").sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id),
      running: by("running"),
      swapped: by("swapped"),
      cache: makeCacheView(this.cache),
      maxBatchTokens: this.maxBatchTokens,
      maxBatchSeqs: this.maxBatchSeqs,
    };
  }

  /** Runs one step; returns whether it changed anything (ran tokens, rejected, preempted). */
  async step(): Promise<boolean> {
    const plan = this.scheduler.schedule(this.context());
    validatePlan(plan, this.#seqs, this);
    const t0 = this.now();
    await this.#applyPreemptionsAndRejections(plan);
    const { chunks, seqs } = await this.#prepareRuns(plan);
    // a plan that only rejected or preempted still changed the state: schedule again
    if (chunks.length === 0) return plan.reject.length > 0 || plan.preempt.length > 0;
    const batch = buildForwardBatch(chunks, this.cache.blockSize);
    const logits = await this.model.forward(batch, this.pool);
    const now = this.now();
    const V = this.model.config.vocabSize;
    let row = 0;
    seqs.forEach((seq, i) => {
      const chunk = chunks[i]!;
      const hasRow = chunk.logits === "last";
      const rowData = hasRow ? logits.subarray(row * V, (row + 1) * V) : undefined;
      if (hasRow) row++;
      if (seq.finishReason) return; // aborted while the step ran
      seq.numComputedTokens += chunk.tokens.length;
      if (!rowData) return;
      this.#forkChoices(seq, rowData, now);
      const t = sampleToken(rowData, seq.params, seq.rng, seq.promptCounts, seq.outputCounts);
      processSampled(this, seq, t, now);
    });
    this.stats.onStep(t0, now, batch.tokens.length, seqs.length);
    for (const s of [...this.#seqs.values()]) if (s.finishReason) this.#release(s);
    return true;
  }

  async #applyPreemptionsAndRejections(plan: SchedulePlan): Promise<void> {
    for (const r of plan.reject) {
      const seq = this.#seqs.get(r.seqId)!;
      const req = seq.request;
      this.#drop(seq, "rejected");
      this.#requests.delete(req.id);
      req.finishedMs = this.now();
      req.end(new RequestRejectedError(r.reason, r.retryAfterMs));
      this.stats.numRejected++;
    }
    for (const p of plan.preempt) {
      // a swap-out below awaits the backend: a sequence may be aborted meanwhile
      const seq = this.#seqs.get(p.seqId);
      if (!seq || seq.finishReason) continue;
      seq.numPreemptions++;
      this.stats.numPreemptions++;
      if (p.mode === "swap" && this.cache.canSwapOut(seq.id)) {
        const blocks = this.cache.swapOut(seq.id);
        const host = await this.model.backend.swapOut(this.pool, blocks);
        if (seq.finishReason) continue; // aborted during the copy: its blocks are already freed
        seq.host = host;
        seq.status = "swapped";
      } else {
        this.cache.free(seq.id);
        seq.inCache = false;
        seq.numComputedTokens = 0;
        seq.status = "waiting";
      }
    }
  }

  async #prepareRuns(plan: SchedulePlan): Promise<{ chunks: SequenceChunk[]; seqs: Sequence[] }> {
    const chunks: SequenceChunk[] = [], seqs: Sequence[] = [];
    const copies: (readonly [number, number])[] = [];
    for (const c of plan.run) {
      const seq = this.#seqs.get(c.seqId);
      if (!seq || seq.finishReason) continue; // aborted while preemptions were applied
      if (seq.status === "swapped") {
        if (!this.cache.canSwapIn(seq.id)) continue;
        this.model.backend.swapIn(this.pool, seq.host!, this.cache.swapIn(seq.id));
        seq.host = undefined;
        seq.status = "running";
      }
      const admitting = seq.status === "waiting" && !seq.inCache;
      if (admitting) {
        const cached = this.cache.allocate(seq.id, seq.tokens);
        seq.inCache = true;
        seq.numComputedTokens = cached;
        if (seq.numPreemptions === 0) {
          seq.numCachedTokens = cached;
          seq.request.numCachedTokens = Math.max(seq.request.numCachedTokens, cached);
        }
        seq.request.scheduledMs ??= this.now();
      }
      const n = Math.min(c.numTokens, seq.numPendingTokens);
      if (n <= 0 || !this.cache.canAppend(seq.id, n)) {
        this.stats.numPlanSkips++;
        // a sequence admitted just now gives its blocks back: waiting sequences the scheduler
        // sees as holding none must hold none, or they can fill the cache and stall it for good
        if (admitting) {
          this.cache.free(seq.id);
          seq.inCache = false;
          seq.numComputedTokens = 0;
        }
        continue;
      }
      seq.status = "running";
      const start = seq.numComputedTokens;
      const tokens = seq.tokens.slice(start, start + n);
      copies.push(...this.cache.append(seq.id, tokens));
      chunks.push({
        tokens,
        startPos: start,
        blockTable: this.cache.blockTable(seq.id),
        logits: start + n === seq.numTokens ? "last" : "none",
      });
      seqs.push(seq);
    }
    if (copies.length > 0) this.model.backend.copyBlocks(this.pool, copies);
    return await Promise.resolve({ chunks, seqs });
  }

  /** After a prompt's prefill, choices 1..n-1 fork from choice 0 and sample their own first token. */
  #forkChoices(seq: Sequence, row: Float32Array, now: number): void {
    const req = seq.request;
    if (seq.index !== 0 || req.params.n === 1 || seq.numGeneratedTokens > 0) return;
    if ([...this.#seqs.values()].some((s) => s.request === req && s.index > 0)) return;
    for (let i = 1; i < req.params.n; i++) {
      const child = seq.fork(this.#nextSeqId++, i, this.model.tokenizer);
      this.cache.fork(seq.id, child.id);
      child.inCache = true;
      this.#seqs.set(child.id, child);
      const t = sampleToken(
        row.slice(),
        child.params,
        child.rng,
        child.promptCounts,
        child.outputCounts,
      );
      processSampled(this, child, t, now);
    }
  }

  /** Ends a sequence now (abort, rejection, error): frees its blocks. */
  #drop(seq: Sequence, reason: "abort" | "rejected" | "error"): void {
    seq.finishReason ??= reason;
    this.#release(seq);
  }

  #release(seq: Sequence): void {
    if (seq.inCache) this.cache.free(seq.id);
    seq.inCache = false;
    seq.host = undefined;
    this.#seqs.delete(seq.id);
    const req = seq.request;
    if (seq.finishReason === "stop" || seq.finishReason === "length") {
      finishSequence(this, seq);
      if (--req.numOpenChoices === 0) {
        this.#requests.delete(req.id);
        this.stats.onFinish(req.usage(), req.timings());
      }
    }
  }
}
