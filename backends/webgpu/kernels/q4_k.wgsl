// Q4_K weights, read in ggml's file layout: super-blocks of 256 values in 144 bytes — f16 d,
// f16 dmin, 12 bytes of packed 6-bit scales and mins (ggml's get_scale_min_k4), 128 bytes qs.
// Sub-block s (32 values, s = 0..7) uses scale sc[s] and min m[s]; its values are the low
// (s even) or high (s odd) nibbles of qs[32 · (s / 2) .. + 32]; value = d·sc·q − dmin·m.
// With override Q5K = 1, Q5_K: 176 bytes, 32 bytes qh after the scales, then qs; value l of
// sub-block s adds bit s of qh[l] as 16 to its nibble.
// Super-blocks are 4-byte aligned; the raw bytes are bound as u32 words.
//
// Entry `matmul`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw super-blocks of this row chunk), 2 x
//     f32 (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4
//     bias f32 (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks 32-value sub-blocks t, t + threadsPerRow, …, dequantizes each
//     once and uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry `embed`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
//   bindings: as matmul, with 4 = token ids (i32); x is not read.
//   dispatch: one thread per (token, sub-block): G = ceil(numRows · k / 32 / WG_SIZE)
//     workgroups, laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override TILE_M: u32 = 1u;
override Q5K: u32 = 0u;
const MAX_TILE_M: u32 = 8u;

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

fn byte_at(byte_off: u32) -> u32 {
  return (w[byte_off >> 2u] >> ((byte_off & 3u) * 8u)) & 255u;
}

fn x4(i: u32) -> vec4f {
  return vec4f(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

// One sub-block's decoding: value = a · q − b for q of `quants(sb, j)`.
struct SubBlock {
  a: f32, // d · sc
  b: f32, // dmin · m
  q_word: u32, // index of the first of its 8 qs words
  shift: u32, // 0 for low nibbles, 4 for high
  h_word: u32, // Q5_K: index of the first qh word
  h_bit: u32, // Q5_K: the sub-block's bit in qh
}

fn sub_block(row: u32, u: u32, num_blocks: u32) -> SubBlock {
  let s = u % 8u;
  let q5 = Q5K != 0u;
  let off = (row * num_blocks + u / 8u) * select(144u, 176u, q5);
  let dm = unpack2x16float(w[off >> 2u]);
  let sc_off = off + 4u;
  var sc: u32;
  var m: u32;
  if (s < 4u) {
    sc = byte_at(sc_off + s) & 63u;
    m = byte_at(sc_off + s + 4u) & 63u;
  } else {
    sc = (byte_at(sc_off + s + 4u) & 15u) | ((byte_at(sc_off + s - 4u) >> 6u) << 4u);
    m = (byte_at(sc_off + s + 4u) >> 4u) | ((byte_at(sc_off + s) >> 6u) << 4u);
  }
  let qs = off + select(16u, 48u, q5);
  return SubBlock(dm.x * f32(sc), dm.y * f32(m), (qs + 32u * (s / 2u)) >> 2u, 4u * (s & 1u), (off + 16u) >> 2u, s);
}

// Values 4j .. 4j + 3 of a sub-block: their nibbles (Q5_K: plus the qh bit as 16).
fn quants(sb: SubBlock, j: u32) -> vec4f {
  let q = w[sb.q_word + j] >> sb.shift;
  var v = vec4f(f32(q & 15u), f32((q >> 8u) & 15u), f32((q >> 16u) & 15u), f32((q >> 24u) & 15u));
  if (Q5K != 0u) {
    let h = w[sb.h_word + j] >> sb.h_bit;
    v += 16.0 * vec4f(f32(h & 1u), f32((h >> 8u) & 1u), f32((h >> 16u) & 1u), f32((h >> 24u) & 1u));
  }
  return v;
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
    let num_units = p.k / 32u;
    for (var u = t; u < num_units; u += tpr) {
      let sb = sub_block(r, u, p.k / 256u);
      // explicit initializers restart these at 0 every block (naga keeps a loop-body var
      // declared without one across iterations: gfx-rs/wgpu#9489)
      var qx = array<f32, MAX_TILE_M>(); // Σ q · x
      var sx = array<f32, MAX_TILE_M>(); // Σ x
      for (var j = 0u; j < 8u; j++) {
        let q = quants(sb, j);
        for (var m = 0u; m < num_m; m++) {
          let xv = x4(p.x_offset + (m0 + m) * p.x_stride + u * 32u + 4u * j);
          qx[m] += dot(q, xv);
          sx[m] += xv.x + xv.y + xv.z + xv.w;
        }
      }
      for (var m = 0u; m < num_m; m++) {
        acc[m] += sb.a * qx[m] - sb.b * sx[m];
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
  let num_units = p.k / 32u;
  let id = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (id >= p.num_rows * num_units) {
    return;
  }
  let i = id / num_units;
  let u = id % num_units;
  let row = bitcast<i32>(aux[i]) - i32(p.col0);
  if (row < 0 || u32(row) >= p.n) {
    return;
  }
  let sb = sub_block(u32(row), u, p.k / 256u);
  let o = p.out_offset + i * p.out_stride + u * 32u;
  for (var j = 0u; j < 8u; j++) {
    let v = sb.a * quants(sb, j) - sb.b;
    for (var e = 0u; e < 4u; e++) {
      out[o + 4u * j + e] = v[e];
    }
  }
}
