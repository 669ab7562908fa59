// Q4_0 weights, read in ggml's file layout: blocks of 32 values in 18 bytes — an f16 scale d,
// then 16 bytes qs where byte j holds value j (low nibble) and value j + 16 (high nibble);
// value = (nibble - 8) · d. Override FORMAT picks the other blocks of 32 with this qs: 1 Q4_1
// (20 bytes: d, f16 m, qs; value = nibble · d + m), 2 Q5_0 (22: d, u32 qh, qs; bit j of qh is
// value j's fifth bit, value = (q - 16) · d), 3 Q5_1 (24: d, m, qh, qs; value = q · d + m),
// 4 IQ4_NL (18: d, qs; value = d · level[nibble], GGML's 16 levels), 5 IQ4_XS (super-blocks of
// 256 in 136 bytes: d, u16 scales_h, scales_l[4], then qs of each block of 32; block b's value
// = d · (ls − 32) · level[nibble], ls = nibble b % 2 of scales_l[b / 2] | bits 2b of scales_h << 4).
// Blocks start at even byte offsets; the raw bytes are bound as u32 words (padded by 4 bytes so
// an unaligned read of the last word stays in bounds).
//
// Entry `matmul`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw blocks of this row chunk), 2 x f32
//     (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4 bias f32
//     (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks blocks t, t + threadsPerRow, …, dequantizes each block once and
//     uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry `embed`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
//   bindings: as matmul, with 4 = token ids (i32); x is not read.
//   dispatch: one thread per (token, block): G = ceil(numRows · k / 32 / WG_SIZE) workgroups,
//     laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override TILE_M: u32 = 1u;
override FORMAT: u32 = 0u;
const MAX_TILE_M: u32 = 8u;
var<private> IQ4_LEVELS: array<f32, 16> = array<f32, 16>(
  -127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0,
);

struct Params {
  num_rows: u32, // matmul: activation rows; embed: tokens
  n: u32, // weight rows in this chunk
  k: u32, // values per weight row
  x_stride: u32,
  x_offset: u32,
  out_stride: u32,
  out_offset: u32,
  col0: u32, // matmul: output column of chunk row 0; embed: vocabulary row of chunk row 0
  has_bias: u32,
  threads_per_row: u32, // matmul: a power of two dividing WG_SIZE
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<u32>;

var<workgroup> partial: array<f32, WG_SIZE * MAX_TILE_M>;

// The 4 bytes at an even byte offset.
fn word_at(byte_off: u32) -> u32 {
  let i = byte_off >> 2u;
  if ((byte_off & 3u) == 0u) {
    return w[i];
  }
  return (w[i] >> 16u) | (w[i + 1u] << 16u);
}

fn half_at(byte_off: u32) -> f32 {
  return unpack2x16float(w[byte_off >> 2u] >> ((byte_off & 2u) * 8u)).x;
}

// A block's decoding: value = d · q + c for q of `quants`.
struct Block {
  d: f32,
  c: f32, // m, or the offset: -8 · d (Q4_0), -16 · d (Q5_0)
  qh: u32, // fifth bits (Q5_0, Q5_1)
  qs: u32, // byte offset of qs
}

fn block_at(row: u32, b: u32, num_blocks: u32) -> Block {
  if (FORMAT == 4u) {
    let off = (row * num_blocks + b) * 18u;
    return Block(half_at(off), 0.0, 0u, off + 2u);
  }
  if (FORMAT == 5u) {
    let off = (row * (num_blocks / 8u) + b / 8u) * 136u;
    let ib = b % 8u;
    let sh = w[off >> 2u] >> 16u;
    let sl = (w[(off + 4u) >> 2u] >> (8u * (ib / 2u))) & 255u;
    let ls = ((sl >> (4u * (ib % 2u))) & 15u) | (((sh >> (2u * ib)) & 3u) << 4u);
    return Block(half_at(off) * f32(i32(ls) - 32), 0.0, 0u, off + 8u + 16u * ib);
  }
  let with_min = FORMAT == 1u || FORMAT == 3u;
  let five = FORMAT >= 2u;
  let off = (row * num_blocks + b) * (18u + 2u * FORMAT);
  let d = half_at(off);
  let c = select(-select(8.0, 16.0, five) * d, half_at(off + 2u), with_min);
  let qh = select(0u, word_at(off + select(2u, 4u, with_min)), five);
  return Block(d, c, qh, off + select(2u, 4u, with_min) + select(0u, 4u, five));
}

// Values 4j .. 4j + 3 (shift 0, bits from 4j) or 4j + 16 .. 4j + 19 (shift 4, bits from 4j + 16).
fn quants(blk: Block, j: u32, shift: u32) -> vec4f {
  let q = word_at(blk.qs + 4u * j) >> shift;
  if (FORMAT >= 4u) {
    return blk.d * vec4f(
      IQ4_LEVELS[q & 15u],
      IQ4_LEVELS[(q >> 8u) & 15u],
      IQ4_LEVELS[(q >> 16u) & 15u],
      IQ4_LEVELS[(q >> 24u) & 15u],
    );
  }
  let h = blk.qh >> (4u * j + 4u * shift);
  let nib = vec4f(f32(q & 15u), f32((q >> 8u) & 15u), f32((q >> 16u) & 15u), f32((q >> 24u) & 15u));
  let fifth = vec4f(f32(h & 1u), f32((h >> 1u) & 1u), f32((h >> 2u) & 1u), f32((h >> 3u) & 1u));
  return blk.d * (nib + 16.0 * fifth) + blk.c;
}

fn x4(i: u32) -> vec4f {
  return vec4f(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

@compute @workgroup_size(WG_SIZE)
fn matmul(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let tpr = p.threads_per_row;
  let rows_per_wg = WG_SIZE / tpr;
  let group = wg.x + wg.y * nwg.x;
  if (group * rows_per_wg >= p.n) {
    return;
  }
  let t = lid % tpr;
  let r = group * rows_per_wg + lid / tpr;
  let m0 = wg.z * TILE_M;
  let num_m = min(TILE_M, p.num_rows - m0);
  var acc: array<f32, MAX_TILE_M>;
  if (r < p.n) {
    let num_blocks = p.k / 32u;
    for (var b = t; b < num_blocks; b += tpr) {
      let blk = block_at(r, b, num_blocks);
      for (var j = 0u; j < 4u; j++) {
        let lo = quants(blk, j, 0u); // values 4j .. 4j + 3
        let hi = quants(blk, j, 4u); // values 4j + 16 .. 4j + 19
        for (var m = 0u; m < num_m; m++) {
          let xi = p.x_offset + (m0 + m) * p.x_stride + b * 32u + 4u * j;
          acc[m] += dot(lo, x4(xi)) + dot(hi, x4(xi + 16u));
        }
      }
    }
  }
  for (var m = 0u; m < TILE_M; m++) {
    partial[m * WG_SIZE + lid] = acc[m];
  }
  workgroupBarrier();
  for (var s = tpr / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      for (var m = 0u; m < TILE_M; m++) {
        partial[m * WG_SIZE + lid] += partial[m * WG_SIZE + lid + s];
      }
    }
    workgroupBarrier();
  }
  if (t == 0u && r < p.n) {
    var bias = 0.0;
    if (p.has_bias != 0u) {
      bias = bitcast<f32>(aux[p.col0 + r]);
    }
    for (var m = 0u; m < num_m; m++) {
      out[p.out_offset + (m0 + m) * p.out_stride + p.col0 + r] = partial[m * WG_SIZE + lid] + bias;
    }
  }
}

@compute @workgroup_size(WG_SIZE)
fn embed(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let num_blocks = p.k / 32u;
  let id = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (id >= p.num_rows * num_blocks) {
    return;
  }
  let i = id / num_blocks;
  let b = id % num_blocks;
  let row = bitcast<i32>(aux[i]) - i32(p.col0);
  if (row < 0 || u32(row) >= p.n) {
    return;
  }
  let blk = block_at(u32(row), b, num_blocks);
  let o = p.out_offset + i * p.out_stride + b * 32u;
  for (var j = 0u; j < 4u; j++) {
    let lo = quants(blk, j, 0u);
    let hi = quants(blk, j, 4u);
    for (var e = 0u; e < 4u; e++) {
      out[o + 4u * j + e] = lo[e];
      out[o + 4u * j + 16u + e] = hi[e];
    }
  }
}
