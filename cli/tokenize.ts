/**
 * `loom tokenize` / `loom detokenize` / `loom inspect`: a model's tokenizer and description
 * from the command line (weights are not loaded).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LoomError, readModelInfo } from "@loom/core";
import { readStdin, stdinLines, write } from "./_io.ts";

const TOKENIZE_HELP = `Usage: deno task loom tokenize --model M [--special] [--no-bos] [--jsonl]

Reads text on stdin and prints its token ids as a JSON array.
  --model M    GGUF file, Hugging Face folder or hf:ORG/REPO[/FILE]
  --special    parse special-token text (e.g. <|im_start|>) into ids
  --no-bos     add no BOS/EOS
  --jsonl      one JSON string per input line → one JSON array per output line`;

/** `loom tokenize`. */
export async function tokenize(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      special: { type: "boolean", default: false },
      "no-bos": { type: "boolean", default: false },
      jsonl: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.model) {
    console.log(TOKENIZE_HELP);
    return values.help ? 0 : 2;
  }
  const { tokenizer } = await readModelInfo(values.model);
  const opts = { addSpecial: !values["no-bos"], parseSpecial: values.special };
  if (!values.jsonl) {
    await write(JSON.stringify(tokenizer.encode(await readStdin(), opts)) + "\n");
    return 0;
  }
  for await (const line of stdinLines()) {
    if (line.trim() === "") continue;
    const text = JSON.parse(line);
    if (typeof text !== "string") throw new LoomError("--jsonl input lines must be JSON strings");
    await write(JSON.stringify(tokenizer.encode(text, opts)) + "\n");
  }
  return 0;
}

/** `loom detokenize`: a JSON array of ids on stdin → text on stdout. */
export async function detokenize(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { model: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help || !values.model) {
    console.log("Usage: deno task loom detokenize --model M  (reads a JSON array of ids)");
    return values.help ? 0 : 2;
  }
  const { tokenizer } = await readModelInfo(values.model);
  const ids = JSON.parse(await readStdin());
  if (!Array.isArray(ids) || ids.some((i) => !Number.isInteger(i))) {
    throw new LoomError("stdin must hold a JSON array of token ids");
  }
  await write(tokenizer.decode(ids, { skipSpecial: false }));
  return 0;
}

/** `loom inspect`: config, tensors by dtype, parameters and size. */
export async function inspect(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { model: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help || !values.model) {
    console.log("Usage: deno task loom inspect --model M");
    return values.help ? 0 : 2;
  }
  const info = await readModelInfo(values.model);
  const byDtype: Record<string, number> = {};
  let numParams = 0;
  for (const t of info.tensors) {
    byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + 1;
    numParams += t.shape.reduce((a, b) => a * b, 1);
  }
  const out = {
    path: info.path,
    format: info.format,
    config: info.config,
    numTensors: info.tensors.length,
    tensorsByDtype: byDtype,
    numParameters: numParams,
    fileBytes: info.fileBytes,
    vocabSize: info.tokenizer.vocabSize,
    hasChatTemplate: info.chatTemplate !== undefined,
  };
  await write(JSON.stringify(out, null, 2) + "\n");
  return 0;
}
