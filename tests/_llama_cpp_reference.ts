/**
 * Helpers to check a backend against llama.cpp's recorded outputs in
 * ../shared/fixtures/reference (teacher-forced; see that folder's README).
 */
import {
  type Backend,
  buildSingleSequenceBatch,
  configFromGguf,
  GgufFile,
  Transformer,
} from "@loom/core";

/** The shared fixtures folder. */
export const FIXTURES = new URL("../../shared/fixtures/", import.meta.url).pathname;

/** One recorded case. */
export interface ReferenceCase {
  model_file: string;
  prompt: string;
  prompt_ids: number[];
  generated_ids: number[];
  steps: { id: number; top: { id: number; p: number; logit: number }[]; margin: number }[];
}

/** Loads `expected.json` or `expected_f32_math.json`. */
export async function loadCases(file = "expected.json"): Promise<ReferenceCase[]> {
  return JSON.parse(await Deno.readTextFile(`${FIXTURES}reference/${file}`));
}

/** Path of a case's model file. */
export function modelPath(modelFile: string): string {
  return modelFile === "llama-2-tiny-random.gguf"
    ? `${FIXTURES}gguf/${modelFile}`
    : `${FIXTURES}reference/${modelFile}`;
}

/** Loads a fixture model on a backend. */
export async function loadFixtureModel(
  backend: Backend,
  modelFile: string,
  maxBatchTokens = 512,
): Promise<Transformer> {
  const f = await GgufFile.open(modelPath(modelFile));
  try {
    return await Transformer.load(backend, configFromGguf(f.metadata, f.tensors), f, {
      maxBatchTokens,
      maxLogitRows: 32,
    });
  } finally {
    f.close();
  }
}

/**
 * Teacher-forced logits of a case: feeds `prompt_ids + generated_ids` in one prefill and
 * returns one logits row per recorded step.
 */
export async function teacherForcedLogits(
  model: Transformer,
  c: ReferenceCase,
  numSteps = c.steps.length,
): Promise<Float32Array[]> {
  const ids = [...c.prompt_ids, ...c.generated_ids.slice(0, numSteps - 1)];
  const blockSize = 16;
  const numBlocks = Math.ceil(ids.length / blockSize);
  const pool = model.createKvPool({ numBlocks, blockSize });
  const table = Array.from({ length: numBlocks }, (_, i) => i);
  const batch = buildSingleSequenceBatch(ids, table, blockSize, { logits: "all" });
  const first = c.prompt_ids.length - 1;
  const rows = Int32Array.from({ length: numSteps }, (_, i) => first + i);
  const logits = await model.forward({ ...batch, logitRows: rows }, pool);
  const V = model.config.vocabSize;
  return Array.from({ length: numSteps }, (_, i) => logits.subarray(i * V, (i + 1) * V));
}

/** Largest |Δlogit| over the recorded top-5 of every step, and the failing steps. */
export function compareTopLogits(
  c: ReferenceCase,
  logits: Float32Array[],
): { maxDiff: number; argmaxMismatches: number[] } {
  let maxDiff = 0;
  const argmaxMismatches: number[] = [];
  c.steps.forEach((step, k) => {
    const row = logits[k]!;
    for (const t of step.top) maxDiff = Math.max(maxDiff, Math.abs(row[t.id]! - t.logit));
    const gap = step.top[0]!.logit - step.top[1]!.logit;
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
    if (gap > 0.7 && best !== step.id) argmaxMismatches.push(k);
  });
  return { maxDiff, argmaxMismatches };
}
