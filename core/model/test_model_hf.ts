/**
 * Writes Loom's generated test models as Hugging Face folders (config.json,
 * model.safetensors, tokenizer.json, tokenizer_config.json), so the same weights can be
 * loaded from GGUF and from safetensors.
 *
 * @module
 */
import { tokenizerJsonFromGguf } from "../tokenizer/tokenizer_json.ts";
import { configFromGguf } from "./config.ts";
import { GgufBuffer } from "./gguf.ts";
import { writeHfModel } from "./safetensors_writer.ts";
import { type TestModelOptions, writeTestModelGguf } from "./test_model.ts";

/**
 * Writes the model {@linkcode writeTestModelGguf} would generate with the same options as
 * a Hugging Face folder. `dtype` must be f32, f16 or bf16 (safetensors has no block
 * quantization).
 *
 * @example
 * ```ts
 * import { writeTestModelHf } from "@loom/core";
 * const dir = await Deno.makeTempDir();
 * const files = await writeTestModelHf(dir, { architecture: "qwen3" });
 * console.log(files.includes("model.safetensors")); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTestModelHf(
  dir: string,
  options: TestModelOptions = {},
): Promise<string[]> {
  const gguf = new GgufBuffer(writeTestModelGguf(options));
  const config = configFromGguf(gguf.metadata, gguf.tensors);
  const tensors = await Promise.all(gguf.tensors.map(async (t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    data: await gguf.read(t.name),
  })));
  const tok = tokenizerJsonFromGguf(gguf.metadata);
  const template = gguf.metadata["tokenizer.chat_template"];
  return await writeHfModel(dir, {
    config,
    tensors,
    files: {
      "tokenizer.json": JSON.stringify(tok.tokenizer),
      "tokenizer_config.json": JSON.stringify({ ...tok.config, chat_template: template }),
    },
  });
}
