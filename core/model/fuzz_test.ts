import assert from "node:assert/strict";
import {
  configFromGguf,
  GgufBuffer,
  LoomError,
  parseGgufHeader,
  parseSafetensorsHeader,
  Rng,
  tokenizerFromGguf,
  writeSafetensors,
  writeTestModelGguf,
} from "@loom/core";

// Every mutated header must parse or fail with a LoomError — never another exception,
// never a hang, never an allocation beyond the file's size.
function mutate(base: Uint8Array, rng: Rng, headerBytes: number): Uint8Array {
  const b = base.slice();
  const kind = Math.floor(rng.next() * 5);
  const at = Math.floor(rng.next() * headerBytes);
  if (kind === 0) b[at] = Math.floor(rng.next() * 256); // one random byte
  else if (kind === 1) {
    for (let i = 0; i < 8 && at + i < b.length; i++) b[at + i] = 0xff; // a huge u64
  } else if (kind === 2) {
    const v = new DataView(b.buffer);
    if (at + 8 <= b.length) v.setBigUint64(at, BigInt(Math.floor(rng.next() * 2 ** 32)), true);
  } else if (kind === 3) return b.subarray(0, at); // truncated
  else {
    for (let i = 0; i < 16; i++) { // a burst of random bytes
      b[(at + i) % headerBytes] = Math.floor(rng.next() * 256);
    }
  }
  return b;
}

Deno.test("fuzz: thousands of mutated GGUF headers give typed errors or valid parses", () => {
  const base = writeTestModelGguf({ hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1 });
  const headerBytes = parseGgufHeader(base).dataOffset;
  const rng = new Rng(2024);
  let numOk = 0, numErr = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = mutate(base, rng, headerBytes);
    try {
      const g = new GgufBuffer(bytes);
      // a header that parses must also be safe to interpret
      try {
        configFromGguf(g.metadata, g.tensors);
        tokenizerFromGguf(g.metadata);
      } catch (e) {
        if (!(e instanceof LoomError)) throw e;
      }
      numOk++;
    } catch (e) {
      if (!(e instanceof LoomError)) {
        assert.fail(`mutation ${i}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
      numErr++;
    }
  }
  assert.ok(numErr > 500, `${numErr} rejected`);
  assert.ok(numOk > 100, `${numOk} still valid`);
});

Deno.test("fuzz: thousands of mutated safetensors headers give typed errors or valid parses", () => {
  const base = writeSafetensors([
    { name: "model.embed_tokens.weight", dtype: "f16", shape: [8, 4], data: new Uint8Array(64) },
    { name: "model.norm.weight", dtype: "f32", shape: [4], data: new Uint8Array(16) },
  ]);
  const headerBytes = parseSafetensorsHeader(base).dataOffset;
  const rng = new Rng(7);
  let numErr = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = mutate(base, rng, headerBytes);
    try {
      parseSafetensorsHeader(bytes);
    } catch (e) {
      if (!(e instanceof LoomError)) {
        assert.fail(`mutation ${i}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
      numErr++;
    }
  }
  assert.ok(numErr > 1000, `${numErr} rejected`);
});
