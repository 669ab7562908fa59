/**
 * `loom generate`: one prompt through the engine. Streams the text to stdout, or with
 * `--json` prints one JSON object: prompt and generated ids, text, per-token logprobs with
 * the top 5 alternatives, usage and timings.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type GenerationDelta, InvalidParameterError, type Tokenizer } from "@loom/core";
import { write } from "./_io.ts";
import { describeBackend } from "./_backends.ts";
import { createEngine, ENGINE_HELP, ENGINE_OPTIONS, intFlag, loadModel } from "./_engine_flags.ts";

const HELP = `Usage: deno task loom generate --prompt TEXT [options]

Generates from one prompt (the text is a continuation, no chat template).

Options:
  --prompt TEXT          the prompt (required)
  --max-tokens N         tokens to generate (default 64)
  --temperature T        sampling temperature (default 0: greedy)
  --top-p P              nucleus sampling mass (default 1)
  --seed S               sampling seed
  --json                 print one JSON object: ids, text, logprobs (top 5), timings
  --help                 this text

${ENGINE_HELP}
`;

function floatFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v)) throw new InvalidParameterError(name, `expected a number, got ${value}`);
  return v;
}

const piece = (tok: Tokenizer, id: number) => new TextDecoder().decode(tok.tokenBytes(id));

/** Runs the generate command; returns the exit code. */
export async function generate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...ENGINE_OPTIONS,
      prompt: { type: "string" },
      "max-tokens": { type: "string", default: "64" },
      temperature: { type: "string", default: "0" },
      "top-p": { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.prompt === undefined) {
    throw new InvalidParameterError("prompt", "is required (--prompt TEXT); see --help");
  }
  const model = await loadModel(values, "generate");
  const engine = createEngine(model, values);
  const tok = model.tokenizer;
  const promptIds = tok.encode(values.prompt);
  const topP = floatFlag("top-p", values["top-p"]), seed = intFlag("seed", values.seed);
  const deltas = engine.generate(promptIds, {
    maxTokens: intFlag("max-tokens", values["max-tokens"])!,
    temperature: floatFlag("temperature", values.temperature)!,
    ...(topP !== undefined ? { topP } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(values.json ? { logprobs: 5 } : {}),
  });
  const t0 = performance.now();
  const all: GenerationDelta[] = [];
  for await (const d of deltas) {
    all.push(d);
    if (!values.json) await write(d.text);
  }
  const seconds = (performance.now() - t0) / 1000;
  const last = all.at(-1)!;
  const ids = all.flatMap((d) => d.tokenIds);
  if (!values.json) {
    console.log();
    console.error(
      `\n[${ids.length} tokens in ${seconds.toFixed(2)} s, ${(ids.length / seconds).toFixed(1)} ` +
        `tokens/s, finish: ${all.find((d) => d.finishReason)?.finishReason}; ` +
        `${describeBackend(model.backend)}]`,
    );
    return 0;
  }
  const t = last.timings!;
  const firstMs = t.firstTokenMs === undefined ? null : t.firstTokenMs - t.arrivalMs;
  const totalMs = (t.finishedMs ?? engine.now()) - t.arrivalMs;
  const result = {
    model: model.config.name ?? model.config.architecture,
    prompt: values.prompt,
    promptIds,
    generatedIds: ids,
    text: all.map((d) => d.text).join(""),
    finishReason: all.find((d) => d.finishReason)?.finishReason ?? null,
    logprobs: all.flatMap((d) => d.logprobs ?? []).map((lp) => ({
      id: lp.id,
      token: piece(tok, lp.id),
      logprob: lp.logprob,
      top: lp.top.map((a) => ({ id: a.id, token: piece(tok, a.id), logprob: a.logprob })),
    })),
    usage: last.usage,
    timings: {
      queueMs: t.scheduledMs === undefined ? null : t.scheduledMs - t.arrivalMs,
      timeToFirstTokenMs: firstMs,
      totalMs,
      interTokenMs: t.interTokenMs,
      tokensPerSecond: ids.length / (totalMs / 1000),
    },
  };
  console.log(JSON.stringify(result));
  return 0;
}
