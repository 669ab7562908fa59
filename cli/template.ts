/**
 * `loom template`: renders a chat template with variables from a JSON file.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ChatTemplate, LoomError, readModelInfo, TemplateError } from "@loom/core";
import { stdinLines, write } from "./_io.ts";

const HELP = `Usage: deno task loom template (--model M | --template FILE) (--vars FILE | --jsonl)

Renders the chat template with the variables in a JSON file (messages,
add_generation_prompt, tools, bos_token, eos_token, extra kwargs) and prints the text; exits 2
with the template's error on stderr when it raises. With --jsonl, reads one JSON object of
variables per stdin line and prints one {"text": ...} or {"error": ...} per line.`;

/** `loom template`. */
export async function template(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      template: { type: "string" },
      vars: { type: "string" },
      jsonl: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || (!values.model && !values.template) || (!values.vars && !values.jsonl)) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  let tpl: ChatTemplate | undefined;
  if (values.template) tpl = new ChatTemplate(await Deno.readTextFile(values.template));
  else tpl = (await readModelInfo(values.model!)).chatTemplate;
  if (!tpl) throw new LoomError(`${values.model} has no chat template`);
  if (!values.jsonl) {
    const vars = JSON.parse(await Deno.readTextFile(values.vars!));
    try {
      await write(tpl.render(vars));
      return 0;
    } catch (e) {
      if (e instanceof TemplateError) {
        console.error(e.message);
        return 2;
      }
      throw e;
    }
  }
  for await (const line of stdinLines()) {
    if (line.trim() === "") continue;
    try {
      await write(JSON.stringify({ text: tpl.render(JSON.parse(line)) }) + "\n");
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      await write(JSON.stringify({ error: e.message }) + "\n");
    }
  }
  return 0;
}
