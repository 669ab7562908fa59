import type { SampledToken } from "./sampler.ts";
import type { Sequence } from "./sequence.ts";
import type { Engine } from "./engine.ts";

/** Records a sampled token: stop checks, text (held back around stop strings), delta. */
export function processSampled(engine: Engine, seq: Sequence, t: SampledToken, now: number): void {
  const req = seq.request, p = seq.params, tok = engine.model.tokenizer;
  if (req.done) return;
  req.firstTokenMs ??= now;
  if (seq.index === 0 && seq.lastTokenMs !== undefined) {
    req.interTokenMs.push(now - seq.lastTokenMs);
  }
  seq.pushToken(t.id, now);
  req.numCompletionTokens++;
  let text = "";
  let finish: "stop" | "length" | undefined;
  if (p.stopTokenIds.includes(t.id) || (!p.ignoreEos && tok.eosIds.includes(t.id))) {
    finish = "stop";
  } else {
    const r = seq.stopMatcher.push(seq.detokenizer.push(t.id));
    text = r.text;
    if (r.stopped) finish = "stop";
  }
  if (!finish && seq.numGeneratedTokens >= p.maxTokens) finish = "length";
  if (finish === "length") {
    text += seq.stopMatcher.push(seq.detokenizer.flush()).text + seq.stopMatcher.flush();
  }
  const logprobs = t.logprob === undefined
    ? undefined
    : [{ id: t.id, logprob: t.logprob, top: t.top ?? [] }];
  req.emit({
    index: seq.index,
    text,
    tokenIds: [t.id],
    ...(logprobs ? { logprobs } : {}),
    ...(finish ? { finishReason: finish } : {}),
  });
  if (finish) seq.finishReason = finish;
}

/** After a choice ends normally: when it was the request's last, emit usage and end. */
export function finishSequence(engine: Engine, seq: Sequence): void {
  const req = seq.request;
  if (req.numOpenChoices > 1) return;
  req.finishedMs = engine.now();
  req.emit({
    index: seq.index,
    text: "",
    tokenIds: [],
    usage: req.usage(),
    timings: req.timings(),
  });
  req.end();
}
