import assert from "node:assert/strict";
import { type SafetensorsTensor, writeHfModel, writeSafetensors } from "./safetensors_writer.ts";
import { parseSafetensorsHeader, SafetensorsWeights } from "./safetensors.ts";
import { configFromGguf, type ModelConfig } from "./config.ts";
import { configFromHf } from "./hf_config.ts";
import { GgufFile } from "./gguf.ts";
import type { WeightSource } from "./weights.ts";
import { LoomError, ModelConfigError } from "../errors.ts";

const FIXTURES = new URL("../../../shared/fixtures/", import.meta.url).pathname;

async function readAll(src: WeightSource): Promise<SafetensorsTensor[]> {
  return await Promise.all(
    src.tensors.map(async (t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      data: await src.read(t.name),
    })),
  );
}

function byName(ts: SafetensorsTensor[]): Map<string, SafetensorsTensor> {
  return new Map(ts.map((t) => [t.name, t]));
}

function withoutName(c: ModelConfig): ModelConfig {
  const { name: _name, ...rest } = c;
  return rest;
}

Deno.test("safetensors_writer: bytes round-trip through the parser", () => {
  const tensors: SafetensorsTensor[] = [
    { name: "a", dtype: "f32", shape: [2, 3], data: Uint8Array.from({ length: 24 }, (_, i) => i) },
    {
      name: "b",
      dtype: "f16",
      shape: [5],
      data: Uint8Array.from({ length: 10 }, (_, i) => 100 + i),
    },
    { name: "c", dtype: "bf16", shape: [1, 1, 2], data: Uint8Array.of(1, 2, 3, 4) },
  ];
  const bytes = writeSafetensors(tensors, { format: "pt" });
  const h = parseSafetensorsHeader(bytes);
  assert.equal(h.dataOffset % 8, 0);
  assert.deepEqual(h.metadata, { format: "pt" });
  for (const [i, t] of h.tensors.entries()) {
    const want = tensors[i]!;
    assert.deepEqual([t.name, t.dtype, t.shape], [want.name, want.dtype, want.shape]);
    assert.deepEqual(bytes.subarray(t.fileOffset, t.fileOffset + t.byteLength), want.data);
  }
  assert.throws(
    () => writeSafetensors([{ name: "q", dtype: "q8_0", shape: [32], data: new Uint8Array(34) }]),
    LoomError,
  );
  assert.throws(
    () => writeSafetensors([{ name: "a", dtype: "f32", shape: [2], data: new Uint8Array(4) }]),
    /4 bytes given, 8 expected/,
  );
});

/**
 * A GGUF made by llama.cpp → an HF folder → read back: the same canonical tensors (names,
 * dtypes, shapes, bytes, Q/K rows included) and the same config as the GGUF.
 */
async function ggufRoundTrip(file: string, maxShardBytes?: number): Promise<void> {
  const g = await GgufFile.open(FIXTURES + file);
  const dir = await Deno.makeTempDir();
  try {
    const config = configFromGguf(g.metadata, g.tensors);
    const tensors = await readAll(g);
    const written = await writeHfModel(dir, {
      config,
      tensors,
      ...(maxShardBytes ? { maxShardBytes } : {}),
      files: { "tokenizer_config.json": "{}" },
    });
    assert.ok(written.includes("config.json") && written.includes("tokenizer_config.json"));
    const w = await SafetensorsWeights.open(dir);
    try {
      assert.deepEqual(w.config, withoutName(config));
      const back = byName(await readAll(w));
      assert.deepEqual([...back.keys()].sort(), tensors.map((t) => t.name).sort());
      for (const t of tensors) assert.deepEqual(back.get(t.name), t, t.name);
      if (maxShardBytes) {
        assert.ok(w.paths.length > 1, "sharded");
        assert.ok(written.includes("model.safetensors.index.json"));
      }
    } finally {
      w.close();
    }
  } finally {
    g.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("safetensors_writer: llama GGUF (Q/K permuted) → HF folder → same weights", async () => {
  await ggufRoundTrip("gguf/llama-2-tiny-random.gguf");
});

Deno.test("safetensors_writer: qwen3 GGUF → HF folder → same weights", async () => {
  await ggufRoundTrip("reference/mini-qwen3-f16.gguf");
});

Deno.test("safetensors_writer: sharded qwen2 GGUF (QKV bias, tied) → same weights", async () => {
  await ggufRoundTrip("reference/mini-qwen2-f16.gguf", 1 << 20);
});

Deno.test("safetensors_writer: HF files hold HF names and rotate-half Q/K rows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = configFromHf({
      model_type: "mistral",
      hidden_size: 8,
      intermediate_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      vocab_size: 2,
    });
    const bias = new Uint8Array(new Float32Array([0, 4, 1, 5, 2, 6, 3, 7]).buffer);
    await writeHfModel(dir, {
      config,
      tensors: [{ name: "blk.0.attn_q.bias", dtype: "f32", shape: [8], data: bias }],
    });
    const raw = await SafetensorsWeights.open(dir, { rawNames: true });
    const hf = await raw.read("model.layers.0.self_attn.q_proj.bias");
    assert.deepEqual([...new Float32Array(hf.buffer)], [0, 1, 2, 3, 4, 5, 6, 7]);
    raw.close();
    const w = await SafetensorsWeights.open(dir);
    assert.deepEqual(await w.read("blk.0.attn_q.bias"), bias);
    w.close();
    const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assert.equal(cfg.architectures[0], "MistralForCausalLM");
    assert.equal(cfg.torch_dtype, "float32");
    await assert.rejects(
      () =>
        writeHfModel(dir, {
          config: { ...config, tieWordEmbeddings: true },
          tensors: [{ name: "output.weight", dtype: "f32", shape: [1], data: new Uint8Array(4) }],
        }),
      ModelConfigError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("safetensors_writer: llama3 scaling travels as rope_scaling and reads back as rope_freqs", async () => {
  const g = await GgufFile.open(FIXTURES + "reference/mini-llama3-q8_0.gguf");
  const dir = await Deno.makeTempDir();
  try {
    const stored = await g.read("rope_freqs.weight");
    const config = {
      ...configFromGguf(g.metadata, g.tensors),
      rope: {
        ...configFromGguf(g.metadata, g.tensors).rope,
        freqFactors: [...new Float32Array(stored.buffer)],
      },
    };
    const norm = await g.read("output_norm.weight");
    await writeHfModel(dir, {
      config,
      tensors: [
        { name: "rope_freqs.weight", dtype: "f32", shape: [16], data: stored },
        { name: "output_norm.weight", dtype: "f32", shape: [128], data: norm },
      ],
      hfConfig: {
        rope_scaling: {
          rope_type: "llama3",
          factor: 8,
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 8192,
        },
      },
    });
    const w = await SafetensorsWeights.open(dir);
    assert.deepEqual(w.tensors.map((t) => t.name), ["output_norm.weight", "rope_freqs.weight"]);
    assert.deepEqual(await w.read("rope_freqs.weight"), stored);
    assert.deepEqual(w.config, withoutName(config));
    w.close();
  } finally {
    g.close();
    await Deno.remove(dir, { recursive: true });
  }
});
