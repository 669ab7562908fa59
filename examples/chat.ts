/**
 * A terminal chat: each line you type is a user turn; the reply streams back and joins the
 * conversation (rendered with the model's chat template). Ctrl-D ends it.
 * `deno run -A examples/chat.ts [--model FILE.gguf] [--max-tokens 64] [--temperature 0.7]`
 * Input may be piped: `printf 'Hi\nTell me more\n' | deno run -A examples/chat.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  buildDemoModel,
  type ConversationMessage,
  Engine,
  Model,
  PagedCacheManager,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";
import { FcfsScheduler } from "@loom/schedulers";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string" },
    system: { type: "string" },
    "max-tokens": { type: "string", default: "64" },
    temperature: { type: "string", default: "0.7" },
    seed: { type: "string", default: "1" },
  },
});
const backend = new ReferenceBackend();
const model = values.model
  ? await Model.load(values.model, { backend })
  : await buildDemoModel(backend);
const engine = new Engine({
  model,
  cache: new PagedCacheManager({ numBlocks: 512, blockSize: 16 }),
  scheduler: new FcfsScheduler(),
});
const history: ConversationMessage[] = values.system
  ? [{ role: "system", content: values.system }]
  : [];
const interactive = Deno.stdin.isTerminal();
const out = (s: string) => Deno.stdout.write(new TextEncoder().encode(s));

/** Lines of stdin, as they arrive. */
async function* lines(): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

if (interactive) {
  await out(`Chatting with ${model.config.name ?? "the model"}. Ctrl-D ends.\nyou> `);
}
for await (const line of lines()) {
  const text = line.trim();
  if (text) {
    history.push({ role: "user", content: text });
    await out("loom> ");
    let reply = "";
    const stream = engine.chat(history, {
      maxTokens: Number(values["max-tokens"]),
      temperature: Number(values.temperature),
      seed: Number(values.seed),
    });
    for await (const d of stream) {
      reply += d.text;
      await out(d.text);
    }
    history.push({ role: "assistant", content: reply });
    await out("\n");
  }
  if (interactive) await out("you> ");
}
