import assert from "node:assert/strict";
import { configFromHf, configToHf, llama3RopeFreqFactors } from "./hf_config.ts";
import { configFromGguf, type ModelConfig } from "./config.ts";
import { GgufFile } from "./gguf.ts";
import { ModelConfigError } from "../errors.ts";

const FIXTURES = new URL("../../../shared/fixtures/", import.meta.url).pathname;

/** HF configs as `transformers` writes them for the models behind the GGUF fixtures. */
const HF_CONFIGS: Record<string, Record<string, unknown>> = {
  "gguf/llama-2-tiny-random.gguf": {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: 8,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 2,
    max_position_embeddings: 4096,
    rms_norm_eps: 1e-5,
    vocab_size: 32000,
    tie_word_embeddings: false,
    rope_scaling: null,
    torch_dtype: "float16",
  },
  "reference/mini-qwen2-f16.gguf": {
    architectures: ["Qwen2ForCausalLM"],
    model_type: "qwen2",
    hidden_size: 64,
    intermediate_size: 768,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    vocab_size: 50257,
    tie_word_embeddings: true,
    use_sliding_window: false,
  },
  "reference/mini-qwen3-f16.gguf": {
    architectures: ["Qwen3ForCausalLM"],
    model_type: "qwen3",
    hidden_size: 64,
    intermediate_size: 256,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 16,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    attention_bias: false,
    vocab_size: 50257,
    tie_word_embeddings: true,
    rope_scaling: null,
  },
  "reference/mini-llama3-q8_0.gguf": {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: 128,
    intermediate_size: 384,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 32,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-5,
    rope_theta: 500000.0,
    rope_scaling: {
      factor: 8.0,
      low_freq_factor: 1.0,
      high_freq_factor: 4.0,
      original_max_position_embeddings: 8192,
      rope_type: "llama3",
    },
    attention_bias: false,
    vocab_size: 32000,
    tie_word_embeddings: false,
  },
};

function withoutName(c: ModelConfig): ModelConfig {
  const { name: _name, ...rest } = c;
  return rest;
}

Deno.test("hf_config: llama3 rope_freqs as in the reference README", () => {
  const f = llama3RopeFreqFactors({
    theta: 500000,
    dim: 32,
    factor: 8,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositions: 8192,
  });
  assert.deepEqual(f, [1, 1, 1, 1, 1, 1, 1, 1, 2.6945300102233887, 8, 8, 8, 8, 8, 8, 8]);
});

Deno.test("hf_config: same ModelConfig as configFromGguf for every fixture", async () => {
  for (const [file, hf] of Object.entries(HF_CONFIGS)) {
    const g = await GgufFile.open(FIXTURES + file);
    try {
      const fromGguf = withoutName(configFromGguf(g.metadata, g.tensors));
      const fromHf = configFromHf(JSON.stringify(hf));
      if (fromHf.rope.freqFactors) {
        // GGUF carries llama3 scaling as a tensor: the values must equal it bit for bit.
        const bytes = await g.read("rope_freqs.weight");
        const stored = [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)];
        assert.deepEqual(fromHf.rope.freqFactors, stored, file);
        const { freqFactors: _f, ...rope } = fromHf.rope;
        assert.deepEqual({ ...fromHf, rope }, fromGguf, file);
      } else {
        assert.deepEqual(fromHf, fromGguf, file);
      }
    } finally {
      g.close();
    }
  }
});

Deno.test("hf_config: defaults, mistral, linear scaling, rope_parameters", () => {
  const base = {
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 100,
  };
  const m = configFromHf({ ...base, architectures: ["MistralForCausalLM"], head_dim: null });
  assert.equal(m.architecture, "mistral");
  assert.equal(m.numKvHeads, 4);
  assert.equal(m.headDim, 16);
  assert.equal(m.rope.style, "normal");
  assert.equal(m.maxContextLength, 131072);
  assert.equal(m.rope.theta, 10000);
  const q3 = configFromHf({ ...base, model_type: "qwen3" });
  assert.equal(q3.headDim, 128); // Qwen3Config's default
  assert.equal(q3.qkNorm, true);
  assert.equal(q3.attentionBias, false);
  const lin = configFromHf({
    ...base,
    model_type: "llama",
    rope_scaling: { type: "linear", factor: 4 },
  });
  assert.equal(lin.rope.linearFactor, 4);
  const v5 = configFromHf({
    ...base,
    model_type: "llama",
    rope_parameters: { rope_type: "llama3", rope_theta: 500000, factor: 8 },
  });
  assert.equal(v5.rope.theta, 500000);
  assert.equal(v5.rope.freqFactors?.length, 8);
  assert.equal(
    configFromHf({ ...base, model_type: "llama", attention_bias: true }).attentionBias,
    true,
  );
});

Deno.test("hf_config: errors name the key", () => {
  const ok = {
    architectures: ["LlamaForCausalLM"],
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 100,
  };
  const cases: [unknown, string | undefined][] = [
    ["{not json", undefined],
    [[1, 2], undefined],
    [{ ...ok, architectures: ["GPTJForCausalLM"] }, "architectures"],
    [{ ...ok, architectures: undefined, model_type: "gptj" }, "model_type"],
    [{ ...ok, architectures: undefined }, "architectures"],
    [{ ...ok, hidden_size: undefined }, "hidden_size"],
    [{ ...ok, vocab_size: "100" }, "vocab_size"],
    [{ ...ok, num_hidden_layers: 0 }, "num_hidden_layers"],
    [{ ...ok, num_key_value_heads: 3 }, "num_key_value_heads"],
    [{ ...ok, rope_scaling: { rope_type: "yarn", factor: 4 } }, "rope_scaling.rope_type"],
    [{ ...ok, rope_scaling: { rope_type: "linear" } }, "rope_scaling.factor"],
    [{ ...ok, tie_word_embeddings: "yes" }, "tie_word_embeddings"],
  ];
  for (const [json, key] of cases) {
    assert.throws(() => configFromHf(json), (e: unknown) => {
      assert.ok(e instanceof ModelConfigError, `${JSON.stringify(json)}: got ${e}`);
      assert.equal(e.key, key, e.message);
      return true;
    });
  }
});

Deno.test("hf_config: configToHf round-trips, llama3 needs its parameters", () => {
  for (const hf of Object.values(HF_CONFIGS)) {
    const c = configFromHf(hf);
    const extra = hf.rope_scaling ? { rope_scaling: hf.rope_scaling } : {};
    assert.deepEqual(configFromHf(configToHf(c, extra)), c);
  }
  const llama3 = configFromHf(HF_CONFIGS["reference/mini-llama3-q8_0.gguf"]);
  assert.throws(() => configToHf(llama3), ModelConfigError);
  assert.throws(
    () => configToHf(llama3, { rope_scaling: { rope_type: "llama3", factor: 4 } }),
    ModelConfigError,
  );
  const q2 = configFromHf(HF_CONFIGS["reference/mini-qwen2-f16.gguf"]);
  assert.throws(() => configToHf({ ...q2, attentionBias: false }), ModelConfigError);
  assert.throws(
    () => configToHf({ ...q2, rope: { ...q2.rope, style: "normal" } }),
    ModelConfigError,
  );
});
