import assert from "node:assert/strict";
import {
  AbortedError,
  buildDemoModel,
  ContextLengthError,
  Engine,
  type GenerationDelta,
  InvalidParameterError,
  type Model,
  PagedCacheManager,
  type Scheduler,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

const model: Model = await buildDemoModel(new ReferenceBackend());

const WORDS = [
  "Once",
  "upon",
  "a",
  "time",
  "the",
  "little",
  "model",
  "hello",
  "world",
  "loom",
  "story",
  "day",
  "token",
  "text",
  "there",
  "was",
  "with",
  "and",
  "of",
  "in",
];
// 32 prompts of 1–20 words: each request is checked run alone and batched with 31 others
const PROMPTS = Array.from(
  { length: 32 },
  (_, i) =>
    Array.from({ length: 1 + ((i * 7) % 20) }, (_, j) => WORDS[(i * 3 + j * 5) % WORDS.length])
      .join(" "),
);

function makeEngine(
  opts: { numBlocks?: number; numHostBlocks?: number; scheduler?: Scheduler; blockSize?: number } =
    {},
): Engine {
  return new Engine({
    model,
    cache: new PagedCacheManager({
      numBlocks: opts.numBlocks ?? 256,
      blockSize: opts.blockSize ?? 4,
      numHostBlocks: opts.numHostBlocks ?? 0,
    }),
    scheduler: opts.scheduler ?? new FcfsScheduler(),
  });
}

async function collect(it: AsyncIterable<GenerationDelta>) {
  const ids: number[] = [];
  let text = "";
  let last: GenerationDelta | undefined;
  for await (const d of it) {
    ids.push(...d.tokenIds);
    text += d.text;
    last = d;
  }
  return { ids, text, last };
}

async function greedyAll(engine: Engine, maxTokens = 12) {
  return await Promise.all(
    PROMPTS.map((p) => collect(engine.generate(p, { temperature: 0, maxTokens, ignoreEos: true }))),
  );
}

const alone = await Promise.all(
  PROMPTS.map((p) =>
    collect(makeEngine().generate(p, { temperature: 0, maxTokens: 12, ignoreEos: true }))
  ),
);

Deno.test("engine: greedy output does not depend on batching, chunking or preemption", async (t) => {
  await t.step("each request run alone is deterministic", async () => {
    const again = await collect(
      makeEngine().generate(PROMPTS[0]!, { temperature: 0, maxTokens: 12, ignoreEos: true }),
    );
    assert.deepEqual(again.ids, alone[0]!.ids);
    assert.equal(again.ids.length, 12);
  });
  await t.step("batched together", async () => {
    const engine = makeEngine();
    const got = await greedyAll(engine);
    assert.deepEqual(got.map((g) => g.ids), alone.map((a) => a.ids));
    assert.ok(engine.stats.numSteps < 40, `requests shared steps (${engine.stats.numSteps})`);
  });
  await t.step("prefill split into chunks of 3 tokens", async () => {
    const engine = makeEngine({ scheduler: new FcfsScheduler({ maxPrefillChunk: 3 }) });
    const got = await greedyAll(engine);
    assert.deepEqual(got.map((g) => g.ids), alone.map((a) => a.ids));
  });
  await t.step("preempted by recompute", async () => {
    const engine = makeEngine({ numBlocks: 40 });
    const got = await greedyAll(engine);
    assert.ok(engine.stats.numPreemptions > 0, "the small cache forced preemptions");
    assert.deepEqual(got.map((g) => g.ids), alone.map((a) => a.ids));
    assert.equal(engine.cache.usage().numUsedBlocks, 0);
  });
  await t.step("preempted by swap", async () => {
    const engine = makeEngine({
      numBlocks: 40,
      numHostBlocks: 256,
      scheduler: new FcfsScheduler({ preemption: "swap" }),
    });
    const got = await greedyAll(engine);
    assert.ok(engine.stats.numPreemptions > 0);
    assert.deepEqual(got.map((g) => g.ids), alone.map((a) => a.ids));
    assert.equal(engine.cache.usage().numUsedHostBlocks, 0);
  });
});

Deno.test("engine: streaming text equals the full decode; usage is reported", () => {
  const r = alone[0]!;
  assert.equal(r.text, model.tokenizer.decode(r.ids));
  assert.equal(r.last?.usage?.completionTokens, 12);
  assert.equal(r.last?.usage?.promptTokens, model.tokenizer.encode(PROMPTS[0]!).length);
});

Deno.test("engine: stop strings end generation without streaming partial stop text", async () => {
  const full = alone[2]!.text;
  const stop = full.slice(4, 6);
  const r = await collect(
    makeEngine().generate(PROMPTS[2]!, { temperature: 0, maxTokens: 12, stop: [stop] }),
  );
  assert.equal(r.text, full.slice(0, full.indexOf(stop)));
  assert.equal(r.last?.usage !== undefined, true);
});

Deno.test("engine: abort frees the request's blocks at once", async () => {
  const engine = makeEngine();
  const ctrl = new AbortController();
  const it = engine.generate("Once upon a time", {
    temperature: 0,
    maxTokens: 1000,
    ignoreEos: true,
    signal: ctrl.signal,
  })[Symbol.asyncIterator]();
  await it.next();
  assert.ok(engine.cache.usage().numUsedBlocks > 0);
  ctrl.abort();
  assert.equal(engine.cache.usage().numUsedBlocks, 0);
  await assert.rejects(async () => {
    while (!(await it.next()).done);
  }, AbortedError);
  assert.equal(engine.numRequests, 0);
});

Deno.test("engine: seeded sampling is reproducible; n > 1 gives n choices", async () => {
  const params = { temperature: 1, seed: 5, maxTokens: 10, ignoreEos: true };
  const a = await collect(makeEngine().generate("hello", params));
  const b = await collect(makeEngine().generate("hello", params));
  assert.deepEqual(a.ids, b.ids);
  const choices = new Map<number, number[]>();
  for await (const d of makeEngine().generate("hello", { ...params, n: 3 })) {
    choices.set(d.index, [...(choices.get(d.index) ?? []), ...d.tokenIds]);
  }
  assert.equal(choices.size, 3);
  for (const ids of choices.values()) assert.equal(ids.length, 10);
  assert.deepEqual(choices.get(0), a.ids);
});

Deno.test("engine: invalid requests give typed errors naming the parameter", () => {
  const engine = makeEngine();
  const bad = (o: Record<string, unknown>, param: string) =>
    assert.throws(() => engine.generate("hi", o), (e: unknown) => {
      assert.ok(e instanceof InvalidParameterError);
      assert.equal(e.param, param);
      return true;
    });
  bad({ temperature: -1 }, "temperature");
  bad({ topP: 0 }, "topP");
  bad({ topP: 1.5 }, "topP");
  bad({ maxTokens: 0 }, "maxTokens");
  bad({ bogus: 1 }, "bogus");
  assert.throws(() => engine.generate("x".repeat(5000)), ContextLengthError);
});

Deno.test("engine: chat renders the model's template and generates the reply", async () => {
  const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "hello" }];
  const params = { temperature: 0, maxTokens: 6, ignoreEos: true };
  const viaChat = await collect(makeEngine().chat(messages, params));
  const text = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n" +
    "<|im_start|>assistant\n";
  const ids = model.tokenizer.encode(text, { parseSpecial: true });
  assert.equal(ids.filter((i) => i === model.tokenizer.tokenId("<|im_start|>")).length, 3);
  const viaIds = await collect(makeEngine().generate(ids, params));
  assert.deepEqual(viaChat.ids, viaIds.ids);
  assert.throws(() => makeEngine().chat([]), /messages/);
});
