/**
 * `loom demo`: generates text from a model (the built-in demo model by default), streaming
 * it to stdout.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildDemoModel, Engine, Model, PagedCacheManager } from "@loom/core";
import { FcfsScheduler } from "@loom/schedulers";
import { createBackend } from "./_backends.ts";

const HELP = `Usage: deno task demo [options]

Generates text greedily and streams it to stdout.

Options:
  --model PATH        GGUF file (default: the built-in demo model, generated in memory)
  --prompt TEXT       prompt (default "Once upon a time")
  --max-tokens N      tokens to generate (default 32)
  --temperature T     sampling temperature (default 0: greedy)
  --seed S            sampling seed
  --backend NAME      reference, wasm, webgpu or auto (default)
  --help              this text
`;

/** Runs the demo command; returns the exit code. */
export async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      prompt: { type: "string", default: "Once upon a time" },
      "max-tokens": { type: "string", default: "32" },
      temperature: { type: "string", default: "0" },
      seed: { type: "string" },
      backend: { type: "string", default: "auto" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const backend = await createBackend(values.backend);
  const model = values.model
    ? await Model.load(values.model, { backend })
    : await buildDemoModel(backend);
  if (!values.model) {
    console.error(
      "Using the built-in demo model (random weights, so the text is gibberish).\n" +
        "Run a real model with: deno task demo --model path/to/model.gguf\n",
    );
  }
  const engine = new Engine({
    model,
    cache: new PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
    scheduler: new FcfsScheduler(),
  });
  const out = new TextEncoder();
  await Deno.stdout.write(out.encode(values.prompt));
  let numTokens = 0;
  const t0 = performance.now();
  for await (
    const d of engine.generate(values.prompt, {
      maxTokens: Number(values["max-tokens"]),
      temperature: Number(values.temperature),
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    })
  ) {
    numTokens += d.tokenIds.length;
    await Deno.stdout.write(out.encode(d.text));
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log();
  console.error(
    `\n[${numTokens} tokens in ${seconds.toFixed(2)} s, ${
      (numTokens / seconds).toFixed(1)
    } tokens/s, ${model.config.architecture} on ${backend.name}]`,
  );
  return 0;
}
