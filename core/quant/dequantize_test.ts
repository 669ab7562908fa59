import assert from "node:assert/strict";
import { dequantize, dequantizeRow, rowByteLength } from "./dequantize.ts";
import { InvalidParameterError, UnsupportedDTypeError } from "../errors.ts";
import type { DType } from "../dtype.ts";

// Hand-built blocks: every byte is set here and every expected value is worked out in the
// comments from GGML's formulas, without calling Loom code.
//
// f16 bit patterns used: 0x3c00 = 1, 0x3800 = 0.5, 0x3400 = 0.25, 0x4000 = 2, 0xbc00 = −1.

/** A zeroed block of `size` bytes with `fields` (byte offset → bytes) written in. */
function block(size: number, fields: Record<number, number[]>, fill = 0): Uint8Array {
  const b = new Uint8Array(size).fill(fill);
  for (const [at, bytes] of Object.entries(fields)) b.set(bytes, Number(at));
  return b;
}

/** `n` values equal to `background` except at the listed indices. */
function expected(n: number, background: number, at: Record<number, number>): Float32Array {
  const e = new Float32Array(n).fill(background);
  for (const [i, v] of Object.entries(at)) e[Number(i)] = v;
  return e;
}

/** Exact comparison, except that −0 (e.g. a negative scale times q = 0) equals 0. */
function check(dtype: DType, bytes: Uint8Array, want: Float32Array): void {
  const got = dequantize(dtype, bytes, want.length);
  assert.deepEqual(Array.from(got, (v) => v + 0), Array.from(want, (v) => v + 0));
}

Deno.test("dequantize f32: little-endian floats, at any byte alignment", () => {
  // 1.5 = 0x3fc00000, −2 = 0xc0000000; start at offset 1 of the buffer.
  const bytes = new Uint8Array([0xee, 0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]).subarray(1);
  check("f32", bytes, new Float32Array([1.5, -2]));
});

Deno.test("dequantize f16 and bf16", () => {
  // f16: 0x3c00 = 1; 0xc000 = −2; 0x3555 = (1 + 341/1024)·2⁻² = 0.333251953125;
  // 0x0001 = 2⁻²⁴ (smallest subnormal); 0x7bff = 65504; 0x7c00 = +∞.
  const f16 = [0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x7c00];
  check(
    "f16",
    new Uint8Array(new Uint16Array(f16).buffer),
    new Float32Array([1, -2, 0.333251953125, 2 ** -24, 65504, Infinity]),
  );
  // bf16 = top 16 bits of an f32: 0x3f80 = 1; 0xc040 = −3; 0x4049 = 0x40490000 = 3.140625.
  const bf16 = [0x3f80, 0xc040, 0x4049];
  check("bf16", new Uint8Array(new Uint16Array(bf16).buffer), new Float32Array([1, -3, 3.140625]));
});

Deno.test("dequantize q8_0: x = int8 q · d", () => {
  // d = 0.5; q[0] = 1 → 0.5; q[1] = 0xff = −1 → −0.5; q[2] = 127 → 63.5;
  // q[3] = 0x80 = −128 → −64; every other q is 0 → 0.
  const bytes = block(34, { 0: [0x00, 0x38], 2: [0x01, 0xff, 0x7f, 0x80] });
  check("q8_0", bytes, expected(32, 0, { 0: 0.5, 1: -0.5, 2: 63.5, 3: -64 }));
});

Deno.test("dequantize q4_0: x = (nibble − 8) · d, low nibbles 0..15, high 16..31", () => {
  // d = 2. qs[0] = 0x9f: element 0 = (15 − 8)·2 = 14, element 16 = (9 − 8)·2 = 2.
  // qs[1] = 0x08: element 1 = (8 − 8)·2 = 0, element 17 = (0 − 8)·2 = −16.
  // Every other byte is 0x88 → (8 − 8)·2 = 0.
  const bytes = block(18, { 0: [0x00, 0x40], 2: Array(16).fill(0x88) });
  bytes.set([0x9f, 0x08], 2);
  check("q4_0", bytes, expected(32, 0, { 0: 14, 16: 2, 1: 0, 17: -16 }));
});

Deno.test("dequantize q4_1: x = nibble · d + m", () => {
  // d = 0.5, m = −1. qs[0] = 0x3f: element 0 = 15·0.5 − 1 = 6.5, element 16 = 3·0.5 − 1 = 0.5.
  // Every other nibble is 0 → −1.
  const bytes = block(20, { 0: [0x00, 0x38, 0x00, 0xbc], 4: [0x3f] });
  check("q4_1", bytes, expected(32, -1, { 0: 6.5, 16: 0.5 }));
});

Deno.test("dequantize q5_0: x = ((nibble | qh bit << 4) − 16) · d", () => {
  // d = 0.25; qh = bits 0 and 17 set → bytes [0x01, 0x00, 0x02, 0x00].
  // qs[0] = 0x2f: element 0 = (15 | 16) − 16 = 15 → 3.75; element 16 = (2 | 0) − 16 = −14 → −3.5.
  // qs[1] = 0x70: element 1 = 0 − 16 → −4; element 17 = (7 | 16) − 16 = 7 → 1.75.
  // Everything else: 0 − 16 = −16 → −4.
  const bytes = block(22, { 0: [0x00, 0x34], 2: [0x01, 0x00, 0x02, 0x00], 6: [0x2f, 0x70] });
  check("q5_0", bytes, expected(32, -4, { 0: 3.75, 16: -3.5, 1: -4, 17: 1.75 }));
});

Deno.test("dequantize q5_1: x = (nibble | qh bit << 4) · d + m", () => {
  // d = 1, m = 0.5; qh = bit 31 only → bytes [0, 0, 0, 0x80]. qs[15] = 0xa1:
  // element 15 = 1 (its qh bit 15 is 0) → 1.5; element 31 = 10 | 16 = 26 → 26.5.
  // Everything else: 0 → 0.5.
  const bytes = block(24, { 0: [0x00, 0x3c, 0x00, 0x38], 4: [0, 0, 0, 0x80], 23: [0xa1] });
  check("q5_1", bytes, expected(32, 0.5, { 15: 1.5, 31: 26.5 }));
});

Deno.test("dequantize q2_k: x = d · (sc & 15) · q − dmin · (sc >> 4)", async (t) => {
  // Layout: scales[16] @0, qs[64] @16, d @80, dmin @82. d = 0.5, dmin = 0.25.
  await t.step("positions", () => {
    // scales[0] = 0x21 (scale 1, min 2) for elements 0..15; scales[15] = 0x03 (scale 3, min 0)
    // for 240..255; all other scales 0 → those values are 0·q − 0 = 0.
    // Element e's 2 bits: qs[32·(e >> 7) + (e & 31)] >> 2·((e >> 5) & 3).
    // qs[0] = 0xe7: element 0 = 3 → 0.5·1·3 − 0.25·2 = 1. (Its other fields hold elements 32,
    //   64, 96, whose scales are 0.) Elements 1..15 have q = 0 → −0.5.
    // qs[48] = 0x40: byte 32·1 + 16 at shift 6 = 2·3 → element 128 + 32·3 + 16 = 240, q = 1
    //   → 0.5·3·1 = 1.5.
    // qs[63] = 0x80: byte 32·1 + 31 at shift 6 → element 128 + 96 + 31 = 255, q = 2 → 3.
    const bytes = block(84, { 0: [0x21], 15: [0x03], 16: [0xe7], 80: [0x00, 0x38, 0x00, 0x34] });
    bytes[16 + 48] = 0x40;
    bytes[16 + 63] = 0x80;
    const want = expected(256, 0, { 0: 1, 240: 1.5, 255: 3 });
    for (let e = 1; e < 16; e++) want[e] = -0.5;
    check("q2_k", bytes, want);
  });
  await t.step("every sub-block's scale and min", () => {
    // scales[j] = j | (15 − j) << 4; every q = 1 (qs bytes 0x55) → j·0.5 − (15 − j)·0.25.
    const scales = Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4));
    const bytes = block(84, { 0: scales, 16: Array(64).fill(0x55), 80: [0x00, 0x38, 0x00, 0x34] });
    const want = new Float32Array(256).map((_, e) => (e >> 4) * 0.5 - (15 - (e >> 4)) * 0.25);
    check("q2_k", bytes, want);
  });
});

Deno.test("dequantize q3_k: x = d · (scale − 32) · (low2 − (hbit ? 0 : 4))", async (t) => {
  // Layout: hmask[32] @0, qs[64] @32, scales[12] @96, d @108.
  await t.step("every sub-block's 6-bit scale", () => {
    // Scale k's low 4 bits: byte k (k < 8) or high nibble of byte k − 8; its top 2 bits: byte
    // 8 + k % 4 at shift 2·⌊k/4⌋. Bytes 0..7 = 0x80, 0x91, …, 0xf7 give low4(k) = k; bytes 8..11
    // = 0xe4 = 3·64 + 2·16 + 1·4 + 0 give top2(k) = ⌊k/4⌋. So code(k) = k + 16·⌊k/4⌋:
    // 0 1 2 3 20 21 22 23 40 41 42 43 60 61 62 63, minus 32:
    const scale = [-32, -31, -30, -29, -12, -11, -10, -9, 8, 9, 10, 11, 28, 29, 30, 31];
    // hmask all 0xff (no −4), qs all 0x55 (low2 = 1): value = 1; d = 0.5 → x = scale/2.
    const bytes = block(110, {
      0: Array(32).fill(0xff),
      32: Array(64).fill(0x55),
      96: [0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0xf7, 0xe4, 0xe4, 0xe4, 0xe4],
      108: [0x00, 0x38],
    });
    check("q3_k", bytes, new Float32Array(256).map((_, e) => scale[e >> 4]! / 2));
  });
  await t.step("positions of low bits and hmask bits", () => {
    // d = 1. code(0) = 34 (low4 2 in byte 0, top2 2 in byte 8 bits 0-1) → scale 2.
    // code(13) = 21 (low4 5 in byte 5's high nibble, top2 1 in byte 9 bits 6-7) → scale −11.
    // Other codes 0 → scale −32. hmask all set and qs 0 → value 0 everywhere, except:
    // element 0: qs[0] = 1, hmask[0] bit 0 cleared → 1 − 4 = −3 → 2·−3 = −6;
    // element 1: qs[1] = 3 → 3 → 6;
    // element 100 (sub-block 6): qs byte 4, shift 2·3 = 6: qs[4] = 0x40 → 1 → −32;
    // element 213 (sub-block 13): qs byte 32 + 21 = 53, shift 2·2 = 4: qs[53] = 0x20 → 2;
    //   hmask byte 21 bit 6 cleared (0xbf) → 2 − 4 = −2 → −11·−2 = 22.
    const hmask = Array(32).fill(0xff);
    hmask[0] = 0xfe;
    hmask[21] = 0xbf;
    const qs = Array(64).fill(0);
    qs[0] = 0x01;
    qs[1] = 0x03;
    qs[4] = 0x40;
    qs[53] = 0x20;
    const bytes = block(110, {
      0: hmask,
      32: qs,
      96: [0x02, 0, 0, 0, 0, 0x50, 0, 0, 0x02, 0x40, 0, 0],
      108: [0x00, 0x3c],
    });
    check("q3_k", bytes, expected(256, 0, { 0: -6, 1: 6, 100: -32, 213: 22 }));
  });
});

// Q4_K / Q5_K share the 12-byte scale/min packing. Codes chosen:
//   sc = 1, 2, 3, 4, 17 (0x11), 34 (0x22), 51 (0x33), 63 (0x3f)
//   m  = 10, 20, 30, 40, 5 (0x05), 21 (0x15), 42 (0x2a), 60 (0x3c)
// bytes 0..3 = sc[j] | top2(sc[j+4]) << 6 = 0x41, 0x82, 0xc3, 0xc4
// bytes 4..7 = m[j] | top2(m[j+4]) << 6 = 0x0a, 0x54, 0x9e, 0xe8
// bytes 8..11 = low4(sc[j+4]) | low4(m[j+4]) << 4 = 0x51, 0x52, 0xa3, 0xcf
// With d = 1, dmin = 0.5 and every q = 1: x = sc − m/2 per 32-value sub-block:
//   1−5, 2−10, 3−15, 4−20, 17−2.5, 34−10.5, 51−21, 63−30
const K4_SCALES = [0x41, 0x82, 0xc3, 0xc4, 0x0a, 0x54, 0x9e, 0xe8, 0x51, 0x52, 0xa3, 0xcf];
const K4_VALUES = [-4, -8, -12, -16, 14.5, 23.5, 30, 33];

Deno.test("dequantize q4_k: x = d · sc · q − dmin · m", async (t) => {
  // Layout: d @0, dmin @2, scales[12] @4, qs[128] @16.
  await t.step("every sub-block's 6-bit scale and min", () => {
    const bytes = block(144, {
      0: [0x00, 0x3c, 0x00, 0x38],
      4: K4_SCALES,
      16: Array(128).fill(0x11),
    });
    check("q4_k", bytes, new Float32Array(256).map((_, e) => K4_VALUES[e >> 5]!));
  });
  await t.step("nibble positions", () => {
    // d = 0.25, dmin = 0; all scales 1 (bytes 0..3 = 1, bytes 8..11 = 0x01), mins 0 → x = q/4.
    // Element e: qs[32·(e >> 6) + (e & 31)], high nibble when e & 32.
    // qs[0] = 0xa3: element 0 = 3 → 0.75, element 32 = 10 → 2.5.
    // qs[40] = 0x07: element 64 + 8 = 72 → 7 → 1.75.
    // qs[127] = 0x5f: element 192 + 31 = 223 → 15 → 3.75, element 255 → 5 → 1.25.
    const bytes = block(144, { 0: [0x00, 0x34], 4: [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1] });
    bytes[16 + 0] = 0xa3;
    bytes[16 + 40] = 0x07;
    bytes[16 + 127] = 0x5f;
    check("q4_k", bytes, expected(256, 0, { 0: 0.75, 32: 2.5, 72: 1.75, 223: 3.75, 255: 1.25 }));
  });
});

Deno.test("dequantize q5_k: x = d · sc · (nibble | qh bit << 4) − dmin · m", async (t) => {
  // Layout: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48.
  await t.step("every sub-block's 6-bit scale and min", () => {
    // Same scales as the q4_k case; every nibble 1 and every qh bit 0 → q = 1.
    const bytes = block(176, {
      0: [0x00, 0x3c, 0x00, 0x38],
      4: K4_SCALES,
      48: Array(128).fill(0x11),
    });
    check("q5_k", bytes, new Float32Array(256).map((_, e) => K4_VALUES[e >> 5]!));
  });
  await t.step("fifth-bit positions", () => {
    // d = 1, dmin = 0.5; every scale 1 and every min 2 (bytes 0..3 = 1, 4..7 = 2, 8..11 = 0x21)
    // → x = q − 1; all-zero q → −1. Element e's fifth bit: qh[e & 31] bit e >> 5.
    // qh[0] = 0x81 (elements 0 and 224), qs[0] = 0x02: element 0 = 2 | 16 = 18 → 17.
    // qs[96] = 0x30: element 224 (high nibble of byte 96) = 3 | 16 = 19 → 18.
    // qh[5] = 0x02 (element 37), qs[5] = 0xf0: element 37 = 15 | 16 = 31 → 30; element 5 → −1.
    const bytes = block(176, {
      0: [0x00, 0x3c, 0x00, 0x38],
      4: [1, 1, 1, 1, 2, 2, 2, 2, 0x21, 0x21, 0x21, 0x21],
    });
    bytes[16 + 0] = 0x81;
    bytes[16 + 5] = 0x02;
    bytes[48 + 0] = 0x02;
    bytes[48 + 5] = 0xf0;
    bytes[48 + 96] = 0x30;
    check("q5_k", bytes, expected(256, -1, { 0: 17, 37: 30, 224: 18 }));
  });
});

Deno.test("dequantize q6_k: x = d · int8 scale · ((low4 | high2 << 4) − 32)", async (t) => {
  // Layout: ql[128] @0, qh[64] @128, int8 scales[16] @192, d @208.
  await t.step("every sub-block's signed scale", () => {
    // scales[k] = k − 8 (−8..7); ql all 0x11 (low4 1), qh all 0xaa (high2 2) → q = 33 − 32 = 1;
    // d = 0.5 → x = (k − 8)/2 for sub-block k = e >> 4.
    const bytes = block(210, {
      0: Array(128).fill(0x11),
      128: Array(64).fill(0xaa),
      192: Array.from({ length: 16 }, (_, k) => (k - 8) & 0xff),
      208: [0x00, 0x38],
    });
    check("q6_k", bytes, new Float32Array(256).map((_, e) => ((e >> 4) - 8) / 2));
  });
  await t.step("bit positions", () => {
    // d = 1, scales 1, qh all 0xaa (high2 = 2) and ql 0 → q = 32 − 32 = 0 everywhere, except:
    // ql[0] = 0x53: element 0 low4 3, element 64 low4 5. qh[0] = 0xa9: element 0 high2 1
    //   → element 0 = (3 | 16) − 32 = −13; element 64 = (5 | 32) − 32 = 5.
    // ql[39] = 0x0c: element 32 + 7 = 39 → 12 (its high nibble, element 103, is 0 → 0).
    // ql[95] = 0xf0: half 1, l = 31, high nibble → element 128 + 64 + 31 = 223 → 15.
    // qh[63] = 0x2a: half 1, l = 31, bits 6-7 = 0 → element 255 = (0 | 0) − 32 = −32.
    const bytes = block(210, { 128: Array(64).fill(0xaa), 192: Array(16).fill(1), 208: [0, 0x3c] });
    bytes[0] = 0x53;
    bytes[39] = 0x0c;
    bytes[95] = 0xf0;
    bytes[128 + 0] = 0xa9;
    bytes[128 + 63] = 0x2a;
    check("q6_k", bytes, expected(256, 0, { 0: -13, 64: 5, 39: 12, 223: 15, 255: -32 }));
  });
});

Deno.test("dequantize iq4_nl / iq4_xs: x = scale · level[index]", async (t) => {
  // GGML's 16 levels: −127 −104 −83 −65 −49 −35 −22 −10 1 13 25 38 53 69 89 113.
  await t.step(
    "iq4_nl: d = 0.5; qs[0] = 0xf0: element 0 level 0 (−127), element 16 level 15",
    () => {
      // element 0 = 0.5·−127 = −63.5, element 16 = 0.5·113 = 56.5; qs[1] = 0x98: element 1 =
      // 0.5·level 8 (1) = 0.5, element 17 = 0.5·level 9 (13) = 6.5; every other byte 0x88 → 0.5.
      const bytes = block(18, { 0: [0x00, 0x38], 2: Array(16).fill(0x88) });
      bytes.set([0xf0, 0x98], 2);
      check("iq4_nl", bytes, expected(32, 0.5, { 0: -63.5, 16: 56.5, 1: 0.5, 17: 6.5 }));
    },
  );
  await t.step("iq4_xs: block b scaled by d·(ls − 32), ls from scales_l and scales_h", () => {
    // d = 0.25. Block 0: scales_l[0] low nibble 0x1, scales_h bits 0..1 = 2 → ls = 1 | 2 << 4 =
    // 33 → 0.25·1 = 0.25. Block 1: scales_l[0] high nibble 0xf, scales_h bits 2..3 = 1 → ls =
    // 15 | 16 = 31 → −0.25. Blocks 2..7: ls = 0 | 0 = 0 → 0.25·−32 = −8. scales_h = 0b0110 = 6.
    // Every index byte is 0x88 (level 1), except block 0's qs[0] = 0x0f (element 0: level 15 =
    // 113, element 16: level 0 = −127) and block 1's qs[0] = 0xf0 (element 32: −127, 48: 113).
    const bytes = block(136, {
      0: [0x00, 0x34],
      2: [0x06, 0x00],
      4: [0xf1],
      8: Array(128).fill(0x88),
    });
    bytes[8] = 0x0f, bytes[24] = 0xf0;
    const want = expected(256, -8, {
      0: 0.25 * 113,
      16: 0.25 * -127,
      32: -0.25 * -127,
      48: -0.25 * 113,
    });
    for (let i = 1; i < 64; i++) {
      if (i !== 16 && i !== 32 && i !== 48) {
        want[i] = i < 32 ? 0.25 : -0.25;
      }
    }
    check("iq4_xs", bytes, want);
  });
});

Deno.test("dequantize: consecutive blocks each use their own scale", () => {
  // Two Q4_0 blocks, d = 1 and d = 2, all nibbles 9 → 1·1 and 1·2.
  const bytes = new Uint8Array(36).fill(0x99);
  bytes.set([0x00, 0x3c], 0);
  bytes.set([0x00, 0x40], 18);
  const out = dequantize("q4_0", bytes, 64);
  assert.deepEqual([out[0], out[31], out[32], out[63]], [1, 1, 2, 2]);
});

Deno.test("dequantizeRow / rowByteLength", () => {
  // A [3, 32] Q8_0 matrix: row r has d = 1 and every q = r + 1.
  assert.equal(rowByteLength("q8_0", 32), 34);
  assert.equal(rowByteLength("q6_k", 512), 420);
  const bytes = new Uint8Array(3 * 34);
  for (let r = 0; r < 3; r++) {
    bytes.set([0x00, 0x3c], r * 34);
    bytes.fill(r + 1, r * 34 + 2, r * 34 + 34);
  }
  assert.deepEqual(dequantizeRow("q8_0", bytes, 2, 32), new Float32Array(32).fill(3));
  const out = new Float32Array(40);
  dequantizeRow("q8_0", bytes, 0, 32, out);
  assert.equal(out[31], 1);
  assert.equal(out[32], 0);
  assert.throws(() => dequantizeRow("q8_0", bytes, 3, 32), InvalidParameterError);
  assert.throws(() => rowByteLength("q4_k", 100), UnsupportedDTypeError);
});

Deno.test("dequantize: bad sizes give typed errors", () => {
  assert.throws(() => dequantize("q4_0", new Uint8Array(17), 32), UnsupportedDTypeError);
  assert.throws(() => dequantize("q4_0", new Uint8Array(18), 31), UnsupportedDTypeError);
  assert.throws(
    () => dequantize("q4_0", new Uint8Array(18), 32, new Float32Array(16)),
    InvalidParameterError,
  );
});
