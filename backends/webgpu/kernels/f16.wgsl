// F16 or BF16 weights (override BF16 = 1): 16-bit floats, two per u32 word (value e in the low
// half of word e / 2 when e is even). Converted to f32 on load (a BF16 value is the high half of
// an f32); arithmetic is f32.
//
// Entry `matmul`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (this row chunk), 2 x f32 (row m at
//     xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4 bias f32 (read
//     when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks words t, t + threadsPerRow, … (pairs of values; single values
//     when k is odd), coalesced across threads, and uses each for all TILE_M rows; partial sums
//     are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry `embed`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
//   bindings: as matmul, with 4 = token ids (i32); x is not read.
//   dispatch: one thread per (token, value): G = ceil(numRows · k / WG_SIZE) workgroups, laid
//     out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override TILE_M: u32 = 1u;
override BF16: u32 = 0u;
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

/* the two values of a word, low half first */
fn pair(word: u32) -> vec2f {
  if (BF16 != 0u) {
    return vec2f(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u));
  }
  return unpack2x16float(word);
}

fn weight(e: u32) -> f32 {
  return pair(w[e >> 1u])[e & 1u];
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
  if (r < p.n && p.k % 2u == 0u) {
    // even rows start on a word: walk pairs of values
    let row = r * p.k / 2u;
    for (var k2 = t; k2 < p.k / 2u; k2 += tpr) {
      let v = pair(w[row + k2]);
      for (var m = 0u; m < num_m; m++) {
        let xi = p.x_offset + (m0 + m) * p.x_stride + 2u * k2;
        acc[m] += v.x * x[xi] + v.y * x[xi + 1u];
      }
    }
  } else if (r < p.n) {
    for (var k = t; k < p.k; k += tpr) {
      let v = weight(r * p.k + k);
      for (var m = 0u; m < num_m; m++) {
        acc[m] += v * x[p.x_offset + (m0 + m) * p.x_stride + k];
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
  let id = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (id >= p.num_rows * p.k) {
    return;
  }
  let i = id / p.k;
  let e = id % p.k;
  let row = bitcast<i32>(aux[i]) - i32(p.col0);
  if (row < 0 || u32(row) >= p.n) {
    return;
  }
  out[p.out_offset + i * p.out_stride + e] = weight(u32(row) * p.k + e);
}
