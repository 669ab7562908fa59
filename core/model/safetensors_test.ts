import assert from "node:assert/strict";
import {
  canonicalTensorName,
  hfTensorName,
  parseSafetensorsHeader,
  permuteQkRows,
  SafetensorsWeights,
} from "./safetensors.ts";
import { writeSafetensors } from "./safetensors_writer.ts";
import { ModelConfigError, ModelFormatError, UnsupportedDTypeError } from "../errors.ts";
import { configFromHf } from "./hf_config.ts";

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

function header(json: unknown, dataBytes = 0): Uint8Array {
  const text = new TextEncoder().encode(typeof json === "string" ? json : JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
}

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseSafetensorsHeader(bytes), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("safetensors: header checks", () => {
  expectFormatError(new Uint8Array(4), /shorter than 8 bytes/);
  const absurd = new Uint8Array(16);
  new DataView(absurd.buffer).setBigUint64(0, 1n << 40n, true);
  expectFormatError(absurd, /absurd safetensors header length/);
  expectFormatError(header("{nope"), /not valid JSON/);
  expectFormatError(header("[1]"), /not a JSON object/);
  expectFormatError(header({ w: { dtype: "F32", shape: [2] } }), /malformed entry/);
  expectFormatError(
    header({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 8),
    /do not fit shape/,
  );
  expectFormatError(
    header({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 4),
    /truncated tensor data: w/,
  );
  assert.throws(
    () =>
      parseSafetensorsHeader(
        header({ ids: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, 8),
      ),
    (e: unknown) => e instanceof UnsupportedDTypeError && e.dtype === "I64" && e.tensor === "ids",
  );
  const ok = parseSafetensorsHeader(
    header({
      __metadata__: { format: "pt" },
      b: { dtype: "BF16", shape: [2, 2], data_offsets: [8, 16] },
      a: { dtype: "F16", shape: [4], data_offsets: [0, 8] },
    }, 16),
  );
  assert.deepEqual(ok.metadata, { format: "pt" });
  assert.deepEqual(
    ok.tensors.map((t) => [t.name, t.dtype, t.shape, t.fileOffset - ok.dataOffset]),
    [
      ["a", "f16", [4], 0],
      ["b", "bf16", [2, 2], 8],
    ],
  );
});

Deno.test("safetensors: tensor names map both ways", () => {
  const pairs: [string, string][] = [
    ["model.embed_tokens.weight", "token_embd.weight"],
    ["model.layers.12.self_attn.q_proj.weight", "blk.12.attn_q.weight"],
    ["model.layers.0.self_attn.k_proj.bias", "blk.0.attn_k.bias"],
    ["model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight"],
    ["model.layers.1.self_attn.q_norm.weight", "blk.1.attn_q_norm.weight"],
    ["model.layers.1.mlp.gate_proj.weight", "blk.1.ffn_gate.weight"],
    ["model.layers.1.input_layernorm.weight", "blk.1.attn_norm.weight"],
    ["model.layers.1.post_attention_layernorm.weight", "blk.1.ffn_norm.weight"],
    ["model.norm.weight", "output_norm.weight"],
    ["lm_head.weight", "output.weight"],
  ];
  for (const [hf, canonical] of pairs) {
    assert.equal(canonicalTensorName(hf), canonical);
    assert.equal(hfTensorName(canonical), hf);
  }
  assert.equal(canonicalTensorName("model.layers.0.mlp.experts.0.w1"), undefined);
  assert.equal(hfTensorName("rope_freqs.weight"), undefined);
});

Deno.test("safetensors: Q/K permutation is llama.cpp's", () => {
  const rows = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
  // numpy: w.reshape(heads, 2, d/2).swapaxes(1, 2).reshape(-1)
  assert.deepEqual([...permuteQkRows(rows(8), 2, 1)], [0, 2, 1, 3, 4, 6, 5, 7]);
  assert.deepEqual([...permuteQkRows(rows(8), 1, 1)], [0, 4, 1, 5, 2, 6, 3, 7]);
  // rows of several bytes move whole
  assert.deepEqual([...permuteQkRows(rows(8), 1, 2)], [0, 1, 4, 5, 2, 3, 6, 7]);
  const r = rows(48);
  assert.deepEqual(permuteQkRows(permuteQkRows(r, 3, 2), 3, 2, true), r);
  assert.throws(() => permuteQkRows(rows(6), 2, 1), ModelFormatError);
});

Deno.test("safetensors: permuted rows make adjacent-pair RoPE equal HF's rotate-half", () => {
  const d = 8;
  const theta = 10000;
  const x = Array.from({ length: d }, (_, i) => Math.sin(i * 1.7 + 0.3));
  const pos = 5;
  const angle = (i: number) => pos * theta ** (-2 * i / d);
  // transformers: x * cos + rotate_half(x) * sin, pairs (i, i + d/2)
  const hf = new Array<number>(d);
  for (let i = 0; i < d / 2; i++) {
    const [c, s] = [Math.cos(angle(i)), Math.sin(angle(i))];
    hf[i] = x[i]! * c - x[i + d / 2]! * s;
    hf[i + d / 2] = x[i + d / 2]! * c + x[i]! * s;
  }
  // Loom/GGUF "normal": pairs (2i, 2i + 1), over the permuted rows
  const y = [...new Float32Array(permuteQkRows(f32(...x), 1, 4).buffer)];
  const normal = new Array<number>(d);
  for (let i = 0; i < d / 2; i++) {
    const [c, s] = [Math.cos(angle(i)), Math.sin(angle(i))];
    normal[2 * i] = y[2 * i]! * c - y[2 * i + 1]! * s;
    normal[2 * i + 1] = y[2 * i + 1]! * c + y[2 * i]! * s;
  }
  const expected = [...new Float32Array(permuteQkRows(f32(...hf), 1, 4).buffer)];
  normal.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `dim ${i}`));
});

const LLAMA = configFromHf({
  model_type: "llama",
  hidden_size: 8,
  intermediate_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: 3,
  tie_word_embeddings: true,
});

Deno.test("safetensors: one file, names mapped, Q/K permuted, lm_head dropped when tied", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // head_dim 4: q is 2 heads × 4 rows, k 1 head × 4 rows (rows of one value, to read easily)
    const q = f32(0, 1, 2, 3, 4, 5, 6, 7);
    const k = f32(10, 11, 12, 13);
    const bytes = writeSafetensors([
      { name: "model.embed_tokens.weight", dtype: "f32", shape: [3, 4], data: new Uint8Array(48) },
      { name: "model.layers.0.self_attn.q_proj.weight", dtype: "f32", shape: [8, 1], data: q },
      { name: "model.layers.0.self_attn.k_proj.weight", dtype: "f32", shape: [4, 1], data: k },
      { name: "model.layers.0.rotary_emb.inv_freq", dtype: "f32", shape: [1], data: f32(1) },
      { name: "lm_head.weight", dtype: "f32", shape: [3, 4], data: new Uint8Array(48) },
      { name: "extra.thing", dtype: "bf16", shape: [2], data: new Uint8Array(4) },
    ]);
    await Deno.writeFile(`${dir}/m.safetensors`, bytes);
    const w = await SafetensorsWeights.open(`${dir}/m.safetensors`, { config: LLAMA });
    try {
      assert.deepEqual(w.tensors.map((t) => t.name), [
        "token_embd.weight",
        "blk.0.attn_q.weight",
        "blk.0.attn_k.weight",
        "extra.thing",
      ]);
      assert.equal(w.get("blk.0.attn_q.weight")?.hfName, "model.layers.0.self_attn.q_proj.weight");
      const [qr, kr, kr2] = await Promise.all([
        w.read("blk.0.attn_q.weight"),
        w.read("blk.0.attn_k.weight"),
        w.read("blk.0.attn_k.weight"),
      ]);
      assert.deepEqual(qr, f32(0, 2, 1, 3, 4, 6, 5, 7));
      assert.deepEqual(kr, f32(10, 12, 11, 13));
      assert.deepEqual(kr2, kr);
      assert.equal(w.get("extra.thing")?.dtype, "bf16");
      await assert.rejects(() => w.read("nope"), ModelFormatError);
    } finally {
      w.close();
    }
    // Biases are permuted too.
    const cfg4 = { ...LLAMA, numHeads: 1, numKvHeads: 1 };
    await Deno.writeFile(
      `${dir}/m.safetensors`,
      writeSafetensors([
        {
          name: "model.layers.0.self_attn.q_proj.bias",
          dtype: "f32",
          shape: [4],
          data: f32(0, 1, 2, 3),
        },
      ]),
    );
    const w4 = await SafetensorsWeights.open(`${dir}/m.safetensors`, { config: cfg4 });
    assert.deepEqual(await w4.read("blk.0.attn_q.bias"), f32(0, 2, 1, 3));
    w4.close();
    const raw = await SafetensorsWeights.open(`${dir}/m.safetensors`, { rawNames: true });
    assert.deepEqual(await raw.read("model.layers.0.self_attn.q_proj.bias"), f32(0, 1, 2, 3));
    raw.close();
    // Rows that do not match the config's heads are a config error.
    await assert.rejects(
      () => SafetensorsWeights.open(`${dir}/m.safetensors`, { config: { ...cfg4, headDim: 8 } }),
      ModelConfigError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("safetensors: sharded index is checked; truncated shards are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = writeSafetensors([{
      name: "model.norm.weight",
      dtype: "f32",
      shape: [2],
      data: f32(1, 2),
    }]);
    const b = writeSafetensors([{
      name: "lm_head.weight",
      dtype: "f16",
      shape: [2, 2],
      data: new Uint8Array(8),
    }]);
    await Deno.writeFile(`${dir}/a.safetensors`, a);
    await Deno.writeFile(`${dir}/b.safetensors`, b);
    const index = (map: Record<string, string>) =>
      Deno.writeTextFile(
        `${dir}/model.safetensors.index.json`,
        JSON.stringify({ weight_map: map }),
      );
    await index({ "model.norm.weight": "a.safetensors", "lm_head.weight": "b.safetensors" });
    const w = await SafetensorsWeights.open(dir);
    assert.equal(w.config, undefined);
    assert.deepEqual(w.tensors.map((t) => t.name), ["output_norm.weight", "output.weight"]);
    assert.deepEqual(await w.read("output_norm.weight"), f32(1, 2));
    assert.equal(w.paths.length, 2);
    w.close();
    await index({ "model.norm.weight": "b.safetensors" });
    await assert.rejects(() => SafetensorsWeights.open(dir), /index lists model.norm.weight/);
    await index({ "model.norm.weight": "../a.safetensors" });
    await assert.rejects(() => SafetensorsWeights.open(dir), /bad file name/);
    await Deno.remove(`${dir}/model.safetensors.index.json`);
    await Deno.writeFile(`${dir}/b.safetensors`, b.subarray(0, b.length - 1));
    await assert.rejects(
      () => SafetensorsWeights.open(dir),
      /truncated tensor data: lm_head.weight/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
