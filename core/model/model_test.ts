import assert from "node:assert/strict";
import {
  type Architecture,
  buildSingleSequenceBatch,
  Model,
  ModelConfigError,
  ModelFormatError,
  writeTestModelGguf,
  writeTestModelHf,
} from "@loom/core";
import { ReferenceBackend } from "@loom/reference";

async function logitsOf(model: Model, ids: number[]): Promise<Float32Array> {
  const pool = model.createKvPool({ numBlocks: 4, blockSize: 16 });
  return await model.forward(
    buildSingleSequenceBatch(ids, [0, 1, 2, 3], 16, { logits: "all" }),
    pool,
  );
}

Deno.test("the same model saved as GGUF and as safetensors gives the same logits", async (t) => {
  for (const architecture of ["llama", "mistral", "qwen2", "qwen3"] as Architecture[]) {
    await t.step(architecture, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const opts = { architecture, seed: 5, dtype: "f16" as const };
        await Deno.writeFile(`${dir}/m.gguf`, writeTestModelGguf(opts));
        await Deno.mkdir(`${dir}/hf`);
        await writeTestModelHf(`${dir}/hf`, opts);
        const backend = new ReferenceBackend();
        const a = await Model.load(`${dir}/m.gguf`, { backend });
        const b = await Model.load(`${dir}/hf`, { backend });
        const { name: _a, ...ca } = a.config;
        const { name: _b, ...cb } = b.config;
        assert.deepEqual(cb, ca);
        const text = "Once upon a time, the little model said hello";
        const ids = a.tokenizer.encode(text);
        assert.deepEqual(b.tokenizer.encode(text), ids);
        const la = await logitsOf(a, ids), lb = await logitsOf(b, ids);
        let maxDiff = 0;
        for (let i = 0; i < la.length; i++) maxDiff = Math.max(maxDiff, Math.abs(la[i]! - lb[i]!));
        assert.ok(maxDiff < 1e-5, `max |Δlogit| ${maxDiff}`);
        assert.equal(
          b.chatTemplate?.render({ messages: [{ role: "user", content: "hi" }] }),
          a.chatTemplate?.render({ messages: [{ role: "user", content: "hi" }] }),
        );
        assert.ok(a.chatTemplate);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("loading bad model files gives typed errors", async (t) => {
  const dir = await Deno.makeTempDir();
  const backend = new ReferenceBackend();
  try {
    await t.step("unknown architecture", async () => {
      const bytes = writeTestModelGguf();
      // rewrite "llama" in general.architecture to "lzama" (same length)
      const at = new TextDecoder("latin1").decode(bytes.subarray(0, 200)).indexOf("llama");
      bytes[at + 1] = "z".charCodeAt(0);
      await Deno.writeFile(`${dir}/a.gguf`, bytes);
      await assert.rejects(Model.load(`${dir}/a.gguf`, { backend }), ModelConfigError);
    });
    await t.step("missing tensor", async () => {
      const bytes = writeTestModelGguf();
      const text = new TextDecoder("latin1").decode(bytes);
      const at = text.indexOf("blk.1.ffn_up.weight");
      bytes[at + 4] = "9".charCodeAt(0); // blk.9.ffn_up.weight
      await Deno.writeFile(`${dir}/b.gguf`, bytes);
      await assert.rejects(Model.load(`${dir}/b.gguf`, { backend }), (e: unknown) => {
        assert.ok(e instanceof ModelConfigError);
        assert.match(e.message, /missing tensor blk\.1\.ffn_up\.weight/);
        return true;
      });
    });
    await t.step("truncated file", async () => {
      const bytes = writeTestModelGguf();
      await Deno.writeFile(`${dir}/c.gguf`, bytes.subarray(0, bytes.length - 100));
      await assert.rejects(Model.load(`${dir}/c.gguf`, { backend }), ModelFormatError);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a split GGUF model loads like the single file", async () => {
  const { GgufBuffer, GgufWriter } = await import("@loom/core");
  const dir = await Deno.makeTempDir();
  try {
    const whole = new GgufBuffer(writeTestModelGguf({ seed: 9 }));
    const parts = [new GgufWriter(), new GgufWriter(), new GgufWriter()];
    parts.forEach((w, i) => {
      w.add("split.no", "u16", i).add("split.count", "u16", 3);
      w.add("split.tensors.count", "i32", whole.tensors.length);
    });
    for (const [k, v] of Object.entries(whole.metadata)) {
      if (Array.isArray(v)) {
        parts[0]!.addArray(k, typeof v[0] === "string" ? "string" : "i32", v as string[]);
      } else if (typeof v === "string") parts[0]!.add(k, "string", v);
      else if (typeof v === "boolean") parts[0]!.add(k, "bool", v);
      else if (typeof v === "number") parts[0]!.add(k, Number.isInteger(v) ? "u32" : "f32", v);
    }
    for (const [i, t] of whole.tensors.entries()) {
      parts[i % 3]!.addTensor(t.name, t.dtype, t.shape, await whole.read(t.name));
    }
    for (const [i, w] of parts.entries()) {
      await Deno.writeFile(`${dir}/m-0000${i + 1}-of-00003.gguf`, w.toBytes());
    }
    await Deno.writeFile(`${dir}/whole.gguf`, writeTestModelGguf({ seed: 9 }));
    const backend = new ReferenceBackend();
    const a = await Model.load(`${dir}/whole.gguf`, { backend });
    const b = await Model.load(`${dir}/m-00001-of-00003.gguf`, { backend });
    const ids = a.tokenizer.encode("hello world");
    assert.deepEqual(await logitsOf(b, ids), await logitsOf(a, ids));
    await Deno.remove(`${dir}/m-00003-of-00003.gguf`);
    await assert.rejects(Model.load(`${dir}/m-00001-of-00003.gguf`, { backend }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
