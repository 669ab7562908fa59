import assert from "node:assert/strict";
import { GgufFile, parseGgufHeader } from "./gguf.ts";
import { GgufWriter } from "./gguf_writer.ts";
import { ModelFormatError } from "../errors.ts";

const FIXTURE = new URL("../../../shared/fixtures/gguf/llama-2-tiny-random.gguf", import.meta.url)
  .pathname;

Deno.test("gguf: reads llama.cpp's converter output", async () => {
  const f = await GgufFile.open(FIXTURE);
  try {
    assert.equal(f.header.version, 3);
    assert.equal(f.metadata["general.architecture"], "llama");
    assert.equal(f.metadata["llama.embedding_length"], 8);
    const tokens = f.metadata["tokenizer.ggml.tokens"] as string[];
    assert.equal(tokens.length, 32000);
    assert.equal(tokens[1], "<s>");
    const embd = f.get("token_embd.weight")!;
    assert.deepEqual(embd.shape, [32000, 8]);
    assert.equal(embd.dtype, "f16");
    const bytes = await f.read("token_embd.weight");
    assert.equal(bytes.length, 32000 * 8 * 2);
    // Concurrent reads share one handle and must not interleave.
    const [a, b] = await Promise.all([f.read("blk.0.attn_q.weight"), f.read("token_embd.weight")]);
    assert.equal(a.length, 8 * 8 * 2);
    assert.deepEqual(b, bytes);
  } finally {
    f.close();
  }
});

Deno.test("gguf: writer output round-trips through the reader", () => {
  const w = new GgufWriter();
  w.add("a.u8", "u8", 7).add("a.i32", "i32", -5).add("a.f32", "f32", 0.5).add("a.b", "bool", true);
  w.add("a.u64", "u64", 2n ** 60n).add("a.s", "string", "héllo");
  w.addArray("a.arr", "i32", [1, -2, 3]);
  w.addTensor("t", "f32", [2, 3], new Uint8Array(24));
  w.addTensor("u", "f16", [32], new Uint8Array(64));
  const h = parseGgufHeader(w.toBytes());
  assert.equal(h.metadata["a.u8"], 7);
  assert.equal(h.metadata["a.i32"], -5);
  assert.equal(h.metadata["a.f32"], 0.5);
  assert.equal(h.metadata["a.b"], true);
  assert.equal(h.metadata["a.u64"], 2n ** 60n);
  assert.equal(h.metadata["a.s"], "héllo");
  assert.deepEqual(h.metadata["a.arr"], [1, -2, 3]);
  assert.deepEqual(h.tensors.map((t) => [t.name, t.dtype, t.shape]), [
    ["t", "f32", [2, 3]],
    ["u", "f16", [32]],
  ]);
  assert.equal(h.tensors[1]!.fileOffset % 32, 0);
});

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseGgufHeader(bytes), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("gguf: malformed files give typed errors naming the problem", async (t) => {
  const good = await Deno.readFile(FIXTURE);
  await t.step("wrong magic", () => {
    const b = good.slice();
    b[0] = 0x41;
    expectFormatError(b, /wrong magic/);
  });
  await t.step("empty file", () => expectFormatError(new Uint8Array(0), /wrong magic/));
  await t.step("truncated header at every early cut", () => {
    for (const n of [4, 8, 12, 23, 100, 1000, 50_000, 700_000]) {
      expectFormatError(good.slice(0, n), /truncated/);
    }
  });
  await t.step("truncated tensor data", () => {
    expectFormatError(good.slice(0, good.length - 10), /truncated tensor data/);
  });
  await t.step("unsupported version", () => {
    const b = good.slice();
    b[4] = 9;
    expectFormatError(b, /unsupported GGUF version 9/);
  });
  await t.step("absurd tensor count", () => {
    const b = good.slice();
    new DataView(b.buffer).setBigUint64(8, 2n ** 62n, true);
    expectFormatError(b, /absurd tensor count/);
  });
  await t.step("unknown dtype", () => {
    const w = new GgufWriter();
    w.addTensor("x", "f32", [4], new Uint8Array(16));
    const b = w.toBytes();
    // the dtype u32 sits right after the 1-dim shape: find it by searching for 0 after "x"
    const nameAt = b.indexOf(0x78, /* x */ 24);
    new DataView(b.buffer).setUint32(nameAt + 1 + 4 + 8, 99, true);
    expectFormatError(b, /unsupported tensor data type ggml type 99/);
  });
  await t.step("unknown metadata value type", () => {
    const w = new GgufWriter();
    w.add("k", "u32", 1);
    const b = w.toBytes();
    new DataView(b.buffer).setUint32(24 + 8 + 1, 77, true);
    expectFormatError(b, /unknown metadata value type 77/);
  });
  await t.step("absurd string length", () => {
    const w = new GgufWriter();
    w.add("k", "string", "v");
    const b = w.toBytes();
    new DataView(b.buffer).setBigUint64(24, 2n ** 40n, true);
    expectFormatError(b, /absurd string length/);
    expectFormatError(b.slice(0, 40), /truncated/);
  });
});

Deno.test("gguf: GgufFile.open reports truncation and closes the file", async () => {
  const good = await Deno.readFile(FIXTURE);
  const path = await Deno.makeTempFile({ suffix: ".gguf" });
  try {
    await Deno.writeFile(path, good.slice(0, 5000));
    await assert.rejects(GgufFile.open(path), ModelFormatError);
  } finally {
    await Deno.remove(path);
  }
});
