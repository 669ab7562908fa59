/**
 * Whole-model checks: the transformer of `core/model/` run on the backend under test.
 *
 * 1. Against the reference backend: tiny generated models (every architecture, several
 *    dtypes) over a three-step schedule mixing prefill chunks and decode of two sequences.
 * 2. Against llama.cpp (`../shared/fixtures/reference/`, see its README): teacher-forced on
 *    each record's tokens (prompt prefilled in chunks, then one token per step), the recorded
 *    top-5 logits within 0.05 of `expected_f32_math.json` (F32 arithmetic, F32 KV), and
 *    top-1 equal to `expected.json` wherever llama.cpp leads by more than 0.7.
 *
 * @module
 */
import {
  type Backend,
  buildForwardBatch,
  configFromGguf,
  type DType,
  GgufBuffer,
  GgufFile,
  type SequenceChunk,
  type TestModelOptions,
  Transformer,
  writeTestModelGguf,
} from "@loom/core";
import { assertClose, Rng, type Tolerance } from "./_helpers.ts";

/** Where the llama.cpp reference records and their models live. */
export const REFERENCE_DIR = new URL("../../../shared/fixtures/reference/", import.meta.url);
const GGUF_DIR = new URL("../../../shared/fixtures/gguf/", import.meta.url);

/** One recorded greedy run (see the fixtures' README). */
export interface ReferenceRecord {
  model_file: string;
  prompt: string;
  prompt_ids: number[];
  generated_ids: number[];
  steps: { id: number; top: { id: number; p: number; logit: number }[]; margin: number }[];
}

/** Options of the whole-model checks. */
export interface ModelCheckOptions {
  /** Records checked per model file: all, or only the first prompt's (default all). */
  readonly llamaCppRecords?: "all" | "first";
  /** Logit tolerance against the reference backend (default atol 2e-3, rtol 1e-4). */
  readonly tolerance?: Tolerance;
  /** Logit tolerance against `expected_f32_math.json` (default 0.05, the bound). */
  readonly llamaCppTolerance?: number;
}

/** Test models run against the reference: [label, generator options]. */
const TEST_MODELS: [string, TestModelOptions][] = [
  ["llama f32", { dtype: "f32" }],
  ["llama q8_0", { dtype: "q8_0", seed: 2 }],
  ["llama q4_0", { dtype: "q4_0", seed: 3 }],
  ["qwen2 f16 (biases, tied)", { architecture: "qwen2", dtype: "f16", seed: 4 }],
  ["qwen3 bf16 (q/k norm, head dim 32)", { architecture: "qwen3", dtype: "bf16", headDim: 32 }],
  ["mistral q4_k", { architecture: "mistral", dtype: "q4_k", hiddenSize: 256, numLayers: 1 }],
  ["llama q6_k", { dtype: "q6_k", hiddenSize: 256, numLayers: 1, intermediateSize: 256 }],
  // hidden 160: a group of 4 blocks of 32 and a block after it
  ["llama q5_0", { dtype: "q5_0", hiddenSize: 160, numLayers: 1, seed: 5 }],
  ["llama q5_k", { dtype: "q5_k", hiddenSize: 256, numLayers: 1, intermediateSize: 256 }],
  ["llama q3_k", { dtype: "q3_k", hiddenSize: 256, numLayers: 1, intermediateSize: 256 }],
  ["llama q2_k", { dtype: "q2_k", hiddenSize: 256, numLayers: 1, intermediateSize: 256 }],
  ["llama iq4_nl", { dtype: "iq4_nl", numLayers: 1, seed: 6 }],
  ["llama iq4_xs", { dtype: "iq4_xs", hiddenSize: 256, numLayers: 1, intermediateSize: 256 }],
];

/** The three steps: prefill of A and B; A decodes while B's next chunk runs; both decode. */
function schedule(blocksA: number[], blocksB: number[]): SequenceChunk[][] {
  const A = [5, 17, 9, 33, 2, 41, 7, 12, 3], B = [8, 21, 14, 6, 11, 19, 4, 25];
  return [
    [
      { tokens: A.slice(0, 7), startPos: 0, blockTable: blocksA, logits: "all" },
      { tokens: B.slice(0, 4), startPos: 0, blockTable: blocksB, logits: "last" },
    ],
    [
      { tokens: A.slice(7, 8), startPos: 7, blockTable: blocksA, logits: "last" },
      { tokens: B.slice(4, 7), startPos: 4, blockTable: blocksB, logits: "all" },
    ],
    [
      { tokens: B.slice(7, 8), startPos: 7, blockTable: blocksB, logits: "last" },
      { tokens: A.slice(8, 9), startPos: 8, blockTable: blocksA, logits: "last" },
    ],
  ];
}

async function loadTestModel(backend: Backend, bytes: Uint8Array): Promise<Transformer> {
  const src = new GgufBuffer(bytes);
  const config = configFromGguf(src.header.metadata, src.header.tensors);
  return await Transformer.load(backend, config, src, {
    maxBatchTokens: 16,
    maxLogitRows: 16,
    maxPositions: 64,
  });
}

/** A tiny model on both backends, three steps, logits compared at every step. */
export async function checkTestModel(
  ref: Backend,
  be: Backend,
  options: TestModelOptions,
  label: string,
  tol: Tolerance,
): Promise<void> {
  const bytes = writeTestModelGguf(options);
  const mr = await loadTestModel(ref, bytes), mb = await loadTestModel(be, bytes);
  const kv = options.dtype === "q4_0" ? "f16" : "f32";
  const pr = mr.createKvPool({ numBlocks: 8, blockSize: 4, dtype: kv });
  const pb = mb.createKvPool({ numBlocks: 8, blockSize: 4, dtype: kv });
  const perm = new Rng(options.seed ?? 1).permutation(8);
  for (const [i, chunks] of schedule(perm.slice(0, 3), perm.slice(3, 6)).entries()) {
    const batch = buildForwardBatch(chunks, 4);
    const expected = await mr.forward(batch, pr);
    assertClose(await mb.forward(batch, pb), expected, tol, `${label}: step ${i + 1} logits`);
  }
}

/** Model files with records, in the order of the records. */
export async function referenceRecords(): Promise<{
  f32: ReferenceRecord[];
  llamaCpp: ReferenceRecord[];
}> {
  const read = async (name: string) =>
    JSON.parse(await Deno.readTextFile(new URL(name, REFERENCE_DIR))) as ReferenceRecord[];
  return { f32: await read("expected_f32_math.json"), llamaCpp: await read("expected.json") };
}

function modelUrl(file: string): URL {
  return file === "llama-2-tiny-random.gguf"
    ? new URL(file, GGUF_DIR)
    : new URL(file, REFERENCE_DIR);
}

/** Logits of each of a record's 16 steps, teacher-forced: `[step][vocab]`. */
export async function teacherForcedLogits(
  model: Transformer,
  record: ReferenceRecord,
  prefillChunk = 5,
): Promise<Float32Array[]> {
  const blockSize = 16;
  const fed = [...record.prompt_ids, ...record.generated_ids.slice(0, record.steps.length - 1)];
  const numBlocks = Math.ceil(fed.length / blockSize) + 1;
  const pool = model.createKvPool({ numBlocks, blockSize, dtype: "f32" });
  // a shuffled block table, so pages are not contiguous
  const blocks = new Rng(fed.length).permutation(numBlocks);
  const out: Float32Array[] = [];
  const P = record.prompt_ids.length;
  for (let at = 0; at < fed.length;) {
    const n = at < P ? Math.min(prefillChunk, P - at) : 1;
    const batch = buildForwardBatch([
      { tokens: fed.slice(at, at + n), startPos: at, blockTable: blocks, logits: "last" },
    ], blockSize);
    const logits = await model.forward(batch, pool);
    at += n;
    if (at >= P) out.push(logits);
  }
  return out;
}

/** Largest |ours − recorded| over the recorded top-5 of every step. */
export function maxTop5Error(logits: Float32Array[], record: ReferenceRecord): number {
  let max = 0;
  record.steps.forEach((s, k) => {
    for (const t of s.top) max = Math.max(max, Math.abs(logits[k]![t.id]! - t.logit));
  });
  return max;
}

/** Steps where llama.cpp leads by more than `lead` and our argmax differs. */
export function top1Mismatches(logits: Float32Array[], record: ReferenceRecord, lead = 0.7) {
  const bad: number[] = [];
  record.steps.forEach((s, k) => {
    if (s.top[0]!.logit - s.top[1]!.logit <= lead) return;
    const row = logits[k]!;
    let arg = 0;
    for (let i = 1; i < row.length; i++) if (row[i]! > row[arg]!) arg = i;
    if (arg !== s.top[0]!.id) bad.push(k);
  });
  return bad;
}

/** Loads a fixture model file onto `backend`. */
export async function loadFixture(backend: Backend, file: string): Promise<Transformer> {
  const f = await GgufFile.open(modelUrl(file).pathname);
  try {
    return await Transformer.load(backend, configFromGguf(f.metadata, f.tensors), f, {
      maxBatchTokens: 16,
      maxLogitRows: 1,
      maxPositions: 512,
    });
  } finally {
    f.close();
  }
}

/** Registers the whole-model steps on a conformance test. */
export async function registerModelChecks(
  t: Deno.TestContext,
  ref: Backend,
  be: Backend,
  options: ModelCheckOptions = {},
): Promise<void> {
  const tol = options.tolerance ?? { atol: 2e-3, rtol: 1e-4 };
  if (be.name !== ref.name) {
    for (const [label, opts] of TEST_MODELS) {
      const ignore = !be.supportedDTypes.includes(opts.dtype as DType);
      await t.step({
        name: `forward vs reference: ${label}`,
        ignore,
        fn: () => checkTestModel(ref, be, opts, label, tol),
      });
    }
  }
  const { f32, llamaCpp } = await referenceRecords();
  const files = [...new Set(f32.map((r) => r.model_file))];
  const bound = options.llamaCppTolerance ?? 0.05;
  for (const file of files) {
    await t.step(`llama.cpp reference: ${file}`, async () => {
      const model = await loadFixture(be, file);
      const pick = (rs: ReferenceRecord[]) => {
        const mine = rs.filter((r) => r.model_file === file);
        return options.llamaCppRecords === "first" ? mine.slice(0, 1) : mine;
      };
      for (const record of pick(f32)) {
        const err = maxTop5Error(await teacherForcedLogits(model, record), record);
        if (!(err <= bound)) {
          throw new Error(`"${record.prompt}": top-5 logits off by ${err.toFixed(4)} > ${bound}`);
        }
      }
      for (const record of pick(llamaCpp)) {
        const bad = top1Mismatches(await teacherForcedLogits(model, record), record);
        if (bad.length > 0) {
          throw new Error(`"${record.prompt}": argmax differs at confident steps ${bad}`);
        }
      }
    });
  }
}
