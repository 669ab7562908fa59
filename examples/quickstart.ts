/**
 * Quickstart: load a model, generate text. `deno run -A examples/quickstart.ts [model.gguf]`
 * (without a file it uses the built-in demo model, a tiny random one: its text is noise).
 *
 * @module
 */
import { buildDemoModel, Engine, Model, PagedCacheManager } from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

const backend = new ReferenceBackend();
const path = Deno.args[0];
const model = path ? await Model.load(path, { backend }) : await buildDemoModel(backend);
const engine = new Engine({
  model,
  cache: new PagedCacheManager({ numBlocks: 256, blockSize: 16 }),
  scheduler: new FcfsScheduler(),
});
for await (const d of engine.generate("Once upon a time", { maxTokens: 24, temperature: 0 })) {
  await Deno.stdout.write(new TextEncoder().encode(d.text));
}
console.log();
