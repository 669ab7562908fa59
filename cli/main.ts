/**
 * The `loom` command line: `deno task loom <command> [options]`.
 *
 * @module
 */
import { LoomError } from "@loom/core";
import { demo } from "./demo.ts";
import { detokenize, inspect, tokenize } from "./tokenize.ts";
import { template } from "./template.ts";
import { generate } from "./generate.ts";
import { serve } from "./serve.ts";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  demo,
  tokenize,
  detokenize,
  inspect,
  template,
  serve,
  generate,
};

const HELP = `Usage: deno task loom <command> [options]

Commands:
  demo        generate text from a model (the built-in demo model by default)
  tokenize    text on stdin → token ids (JSON)
  detokenize  token ids (JSON) on stdin → text
  inspect     a model's config, tensors, parameters and size
  template    render a chat template with variables from a JSON file
  serve       the OpenAI-compatible server (also: deno task serve)
  generate    one prompt → text, or --json with ids, top-5 logprobs and timings

Run 'deno task loom <command> --help' for a command's options.`;

/** Runs the CLI; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unknown command ${name}\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    if (e instanceof LoomError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
