// @generated — do not edit. Built by build_kernels.ts from kernels/*.wgsl
// (`deno task build:kernels`).

/** Names of the WGSL kernels (file names in kernels/ without `.wgsl`). */
export type KernelName =
  | "add"
  | "attention"
  | "copy"
  | "f16"
  | "f32"
  | "gather_rows"
  | "kv_write"
  | "q4_0"
  | "q4_k"
  | "q6_k"
  | "q8_0"
  | "rms_norm"
  | "rope"
  | "silu_mul";

/** SHA-256 of the kernel sources this module was built from. */
export const KERNELS_HASH = "6db7bd11b9838a61b558cd802bdc1469e3ba018e54d9904790d5c41ccf26719c";

/** WGSL source of every kernel. */
export const KERNELS: Readonly<Record<KernelName, string>> = {
  add: `
// Residual add: out[e] = a[e] + b[e] for e < numRows · cols.
//
// bindings: 0 params (uniform, dynamic offset), 1 a f32, 2 b f32, 3 out f32. WebGPU cannot
//   bind one buffer as both read-only and writable, so ALIAS says which inputs are the output
//   buffer itself (bit 0: a, bit 1: b); those are read from out and their bindings are
//   placeholders.
// tiling: one thread per value.
// dispatch: G = ceil(count / WG_SIZE) workgroups laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override ALIAS: u32 = 0u;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let e = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (e >= p.count) {
    return;
  }
  var av = out[e];
  if ((ALIAS & 1u) == 0u) {
    av = a[e];
  }
  var bv = out[e];
  if ((ALIAS & 2u) == 0u) {
    bv = b[e];
  }
  out[e] = av + bv;
}
`,
  attention: `
// Paged causal attention with GQA over each token's sequence context (the step's own K/V are
// already in the pool, written by kv_write): for token i of sequence s at position pos and
// query head h, out[i, h] = softmax_j(q[i, h] · K[j] · scale) · V[j] over j ≤ pos, where key j
// lives in slot blockTables[s, j / blockSize] · blockSize + j % blockSize, KV head
// h / (numHeads / numKvHeads). The pool of one layer is [slots, slotSize] f32, or f16 packed
// two per u32 word when F16_KV.
//
// bindings: 0 params (uniform, dynamic offset), 1 positions i32 [T], 2 tokenSeqs i32 [T] (the
//   sequence of each token), 3 blockTables i32 [numSeqs, maxBlocksPerSeq], 4 q f32
//   [T, qStride], 5 kCache, 6 vCache (u32 words), 7 out f32 [T, outStride].
// tiling: one workgroup per (token, head). Keys go in tiles of WG_SIZE (one score per thread),
//   with an online softmax (running max and sum); thread t accumulates output dims t,
//   t + WG_SIZE, … over the tile's values. headDim ≤ MAX_HEAD_DIM.
// dispatch: G = T · numHeads workgroups laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override F16_KV: bool = false;
const MAX_HEAD_DIM: u32 = 256u;
const MAX_DIMS_PER_THREAD: u32 = 8u; // MAX_HEAD_DIM / smallest WG_SIZE (32)

struct Params {
  num_tokens: u32,
  num_heads: u32,
  group: u32, // query heads per KV head
  head_dim: u32,
  scale: f32,
  block_size: u32,
  max_blocks_per_seq: u32,
  q_stride: u32,
  out_stride: u32,
  slot_size: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> positions: array<i32>;
@group(0) @binding(2) var<storage, read> token_seqs: array<i32>;
@group(0) @binding(3) var<storage, read> block_tables: array<i32>;
@group(0) @binding(4) var<storage, read> q: array<f32>;
@group(0) @binding(5) var<storage, read> k_cache: array<u32>;
@group(0) @binding(6) var<storage, read> v_cache: array<u32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

var<workgroup> q_sh: array<f32, MAX_HEAD_DIM>;
var<workgroup> scores: array<f32, WG_SIZE>;
var<workgroup> slots_sh: array<u32, WG_SIZE>;
var<workgroup> red: array<f32, WG_SIZE>;
var<workgroup> num_ctx_sh: u32;

fn k_at(e: u32) -> f32 {
  if (F16_KV) {
    return unpack2x16float(k_cache[e >> 1u])[e & 1u];
  }
  return bitcast<f32>(k_cache[e]);
}

fn v_at(e: u32) -> f32 {
  if (F16_KV) {
    return unpack2x16float(v_cache[e >> 1u])[e & 1u];
  }
  return bitcast<f32>(v_cache[e]);
}

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = wg.x + wg.y * nwg.x;
  if (g >= p.num_tokens * p.num_heads) {
    return;
  }
  let i = g / p.num_heads;
  let h = g % p.num_heads;
  let kv_base = (h / p.group) * p.head_dim;
  for (var d = lid; d < p.head_dim; d += WG_SIZE) {
    q_sh[d] = q[i * p.q_stride + h * p.head_dim + d];
  }
  if (lid == 0u) {
    num_ctx_sh = u32(positions[i]) + 1u;
  }
  let num_ctx = workgroupUniformLoad(&num_ctx_sh);
  let table = u32(token_seqs[i]) * p.max_blocks_per_seq;
  var m = -1e30; // running max
  var l = 0.0; // running sum of exp(score - m)
  var acc: array<f32, MAX_DIMS_PER_THREAD>;
  for (var base = 0u; base < num_ctx; base += WG_SIZE) {
    // 1. one score per thread
    let j = base + lid;
    var s = -1e30;
    if (j < num_ctx) {
      let slot = u32(block_tables[table + j / p.block_size]) * p.block_size + j % p.block_size;
      slots_sh[lid] = slot;
      let k0 = slot * p.slot_size + kv_base;
      var dot = 0.0;
      for (var d = 0u; d < p.head_dim; d++) {
        dot += q_sh[d] * k_at(k0 + d);
      }
      s = dot * p.scale;
    }
    red[lid] = s;
    workgroupBarrier();
    // 2. tile max, new running max
    for (var w = WG_SIZE / 2u; w > 0u; w >>= 1u) {
      if (lid < w) {
        red[lid] = max(red[lid], red[lid + w]);
      }
      workgroupBarrier();
    }
    let m_new = max(m, red[0]);
    workgroupBarrier();
    // 3. probabilities and their sum
    var e = 0.0;
    if (j < num_ctx) {
      e = exp(s - m_new);
    }
    scores[lid] = e;
    red[lid] = e;
    workgroupBarrier();
    for (var w = WG_SIZE / 2u; w > 0u; w >>= 1u) {
      if (lid < w) {
        red[lid] += red[lid + w];
      }
      workgroupBarrier();
    }
    let alpha = exp(m - m_new);
    l = l * alpha + red[0];
    m = m_new;
    // 4. rescale the output and add this tile's values
    let count = min(WG_SIZE, num_ctx - base);
    for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) {
      let d = lid + r * WG_SIZE;
      if (d < p.head_dim) {
        var sum = acc[r] * alpha;
        for (var jj = 0u; jj < count; jj++) {
          sum += scores[jj] * v_at(slots_sh[jj] * p.slot_size + kv_base + d);
        }
        acc[r] = sum;
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < MAX_DIMS_PER_THREAD; r++) {
    let d = lid + r * WG_SIZE;
    if (d < p.head_dim) {
      out[i * p.out_stride + h * p.head_dim + d] = acc[r] / l;
    }
  }
}
`,
  copy: `
// Copies count vec4s: out[e] = src[e]. Not an op: the benchmark times it to measure the
// device's achievable memory bandwidth (bytes read + written per second).
//
// bindings: 0 params (uniform, dynamic offset), 1 src vec4<f32>, 2 out vec4<f32>.
// tiling: one thread per vec4.
// dispatch: G = ceil(count / WG_SIZE) workgroups laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 256u;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let e = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (e < p.count) {
    out[e] = src[e];
  }
}
`,
  f16: `
// F16 or BF16 weights (override BF16 = 1): 16-bit floats, two per u32 word (value e in the low
// half of word e / 2 when e is even). Converted to f32 on load (a BF16 value is the high half of
// an f32); arithmetic is f32.
//
// Entry \`matmul\`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (this row chunk), 2 x f32 (row m at
//     xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4 bias f32 (read
//     when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks words t, t + threadsPerRow, … (pairs of values; single values
//     when k is odd), coalesced across threads, and uses each for all TILE_M rows; partial sums
//     are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry \`embed\`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
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
`,
  f32: `
// F32 weights: plain little-endian f32 values, bound as u32 words.
//
// Entry \`matmul\`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (this row chunk), 2 x f32 (row m at
//     xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4 bias f32 (read
//     when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks values t, t + threadsPerRow, … (coalesced across threads) and
//     uses each for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry \`embed\`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
//   bindings: as matmul, with 4 = token ids (i32); x is not read.
//   dispatch: one thread per (token, value): G = ceil(numRows · k / WG_SIZE) workgroups, laid
//     out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override TILE_M: u32 = 1u;
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

fn weight(e: u32) -> f32 {
  return bitcast<f32>(w[e]);
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
`,
  gather_rows: `
// Gathers the rows that need logits: out[r, c] = x[rows[r], c] for r < numRows, c < cols.
//
// bindings: 0 params (uniform, dynamic offset), 1 rows i32 [numRows], 2 x f32 [*, xStride],
//   3 out f32 [numRows, outStride].
// tiling: one thread per value.
// dispatch: G = ceil(numRows · cols / WG_SIZE) workgroups laid out as
//   (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;

struct Params {
  num_rows: u32,
  cols: u32,
  x_stride: u32,
  out_stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rows: array<i32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let id = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (id >= p.num_rows * p.cols) {
    return;
  }
  let r = id / p.cols;
  let c = id % p.cols;
  out[r * p.out_stride + c] = x[u32(rows[r]) * p.x_stride + c];
}
`,
  kv_write: `
// Writes this step's keys and values into the paged KV pool through the slot mapping:
// kCache[slots[i], c] ← k[i, c], vCache[slots[i], c] ← v[i, c] for c < slotSize
// (= numKvHeads · headDim). The pool of one layer is [numBlocks · blockSize, slotSize], f32, or
// f16 packed two per u32 word when F16_KV.
//
// bindings: 0 params (uniform, dynamic offset), 1 slots i32 [T], 2 k f32 [T, kStride], 3 v f32
//   [T, vStride], 4 kCache, 5 vCache (u32 words).
// tiling: one thread per (token, value), or per (token, pair of values) when F16_KV.
// dispatch: G = ceil(T · slotSize / (F16_KV ? 2 : 1) / WG_SIZE) workgroups laid out as
//   (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override F16_KV: bool = false;

struct Params {
  num_tokens: u32,
  slot_size: u32,
  k_stride: u32,
  v_stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> slots: array<i32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let id = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  let per_token = select(p.slot_size, p.slot_size / 2u, F16_KV);
  if (id >= p.num_tokens * per_token) {
    return;
  }
  let i = id / per_token;
  let e = id % per_token;
  let slot = u32(slots[i]);
  if (F16_KV) {
    let c = 2u * e;
    let dst = (slot * p.slot_size + c) / 2u;
    k_cache[dst] = pack2x16float(vec2f(k[i * p.k_stride + c], k[i * p.k_stride + c + 1u]));
    v_cache[dst] = pack2x16float(vec2f(v[i * p.v_stride + c], v[i * p.v_stride + c + 1u]));
  } else {
    k_cache[slot * p.slot_size + e] = bitcast<u32>(k[i * p.k_stride + e]);
    v_cache[slot * p.slot_size + e] = bitcast<u32>(v[i * p.v_stride + e]);
  }
}
`,
  q4_0: `
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
// Entry \`matmul\`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw blocks of this row chunk), 2 x f32
//     (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4 bias f32
//     (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks blocks t, t + threadsPerRow, …, dequantizes each block once and
//     uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry \`embed\`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
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

// A block's decoding: value = d · q + c for q of \`quants\`.
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
`,
  q4_k: `
// Q4_K weights, read in ggml's file layout: super-blocks of 256 values in 144 bytes — f16 d,
// f16 dmin, 12 bytes of packed 6-bit scales and mins (ggml's get_scale_min_k4), 128 bytes qs.
// Sub-block s (32 values, s = 0..7) uses scale sc[s] and min m[s]; its values are the low
// (s even) or high (s odd) nibbles of qs[32 · (s / 2) .. + 32]; value = d·sc·q − dmin·m.
// With override Q5K = 1, Q5_K: 176 bytes, 32 bytes qh after the scales, then qs; value l of
// sub-block s adds bit s of qh[l] as 16 to its nibble.
// Super-blocks are 4-byte aligned; the raw bytes are bound as u32 words.
//
// Entry \`matmul\`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw super-blocks of this row chunk), 2 x
//     f32 (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4
//     bias f32 (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks 32-value sub-blocks t, t + threadsPerRow, …, dequantizes each
//     once and uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry \`embed\`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
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

// One sub-block's decoding: value = a · q − b for q of \`quants(sb, j)\`.
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
`,
  q6_k: `
// Q6_K weights, read in ggml's file layout: super-blocks of 256 values in 210 bytes — ql[128]
// (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d. Half h (128 values) has quarters
// c = 0..3; value 128h + 32c + l (l < 32) takes the low (c < 2) or high nibble of
// ql[64h + 32 (c % 2) + l], bits 2c..2c+1 of qh[32h + l], and scale scales[8h + 2c + l / 16]:
// value = d · scale · (q − 32). Override FORMAT picks the other K-quants of 16-value sub-blocks,
// whose quarter c of half h holds values 128h + 32c + l with 2 bits (bits 2c..2c+1 of
// qs[32h + l]) and sub-block scale 8h + 2c + l / 16:
//   1 Q3_K (110 bytes: hmask[32], qs[64], 12 bytes of 6-bit scales, f16 d): value = d · (sc −
//     32) · (q − 4 + 4 · bit 4h + c of hmask[l]), sc as ggml's dequantize_row_q3_K unpacks it;
//   2 Q2_K (84 bytes: scales[16] of 4-bit scale and min, qs[64], f16 d, f16 dmin): value =
//     d · (sc & 15) · q − dmin · (sc >> 4).
// Super-blocks start at even byte offsets; the raw bytes are bound as u32 words (padded by 4
// bytes so an unaligned read of the last word stays in bounds).
//
// Entry \`matmul\`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw super-blocks of this row chunk), 2 x
//     f32 (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4
//     bias f32 (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks 32-value quarters t, t + threadsPerRow, …, dequantizes each once
//     and uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry \`embed\`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
//   bindings: as matmul, with 4 = token ids (i32); x is not read.
//   dispatch: one thread per (token, quarter): G = ceil(numRows · k / 32 / WG_SIZE)
//     workgroups, laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override TILE_M: u32 = 1u;
override FORMAT: u32 = 0u;
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

// The 4 bytes at an even byte offset.
fn word_at(byte_off: u32) -> u32 {
  let i = byte_off >> 2u;
  if ((byte_off & 3u) == 0u) {
    return w[i];
  }
  return (w[i] >> 16u) | (w[i + 1u] << 16u);
}

fn byte_at(byte_off: u32) -> u32 {
  return (w[byte_off >> 2u] >> ((byte_off & 3u) * 8u)) & 255u;
}

fn int8_at(byte_off: u32) -> f32 {
  let word = bitcast<i32>(w[byte_off >> 2u]);
  return f32(extractBits(word, (byte_off & 3u) * 8u, 8u));
}

fn x4(i: u32) -> vec4f {
  return vec4f(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

// One quarter's decoding: values j·4 .. j·4 + 3 are \`quants(j)\` times scale lo (j < 4) or hi,
// minus min lo or hi (Q2_K).
struct Quarter {
  lo: f32, // d · scale of sub-block 8h + 2c
  hi: f32, // d · scale of sub-block 8h + 2c + 1
  lo_min: f32, // Q2_K: dmin · its min
  hi_min: f32,
  ql: u32, // byte offset of its 32 bytes of low bits
  ql_shift: u32,
  qh: u32, // byte offset of its 32 bytes of high bits (Q6_K qh, Q3_K hmask)
  qh_shift: u32,
}

// Q3_K's 6-bit scale i (0..15) of the 12 bytes at \`off\`, as ggml unpacks them, minus 32.
fn q3k_scale(off: u32, i: u32) -> f32 {
  let a = i / 4u;
  let b = i % 4u;
  let low = (byte_at(off + 4u * (a & 1u) + b) >> (4u * (a >> 1u))) & 15u;
  let high = (byte_at(off + 8u + b) >> (2u * a)) & 3u;
  return f32(low | (high << 4u)) - 32.0;
}

fn quarter(row: u32, u: u32, num_blocks: u32) -> Quarter {
  let h = (u % 8u) / 4u;
  let c = u % 4u;
  if (FORMAT == 1u) {
    let off = (row * num_blocks + u / 8u) * 110u;
    let d = unpack2x16float(word_at(off + 108u)).x;
    let s = 8u * h + 2u * c;
    return Quarter(
      d * q3k_scale(off + 96u, s),
      d * q3k_scale(off + 96u, s + 1u),
      0.0,
      0.0,
      off + 32u + 32u * h,
      2u * c,
      off,
      4u * h + c,
    );
  }
  if (FORMAT == 2u) {
    let off = (row * num_blocks + u / 8u) * 84u;
    let dm = unpack2x16float(w[(off + 80u) >> 2u]);
    let sc = off + 8u * h + 2u * c;
    return Quarter(
      dm.x * f32(byte_at(sc) & 15u),
      dm.x * f32(byte_at(sc + 1u) & 15u),
      dm.y * f32(byte_at(sc) >> 4u),
      dm.y * f32(byte_at(sc + 1u) >> 4u),
      off + 16u + 32u * h,
      2u * c,
      0u,
      0u,
    );
  }
  let off = (row * num_blocks + u / 8u) * 210u;
  let d = unpack2x16float(word_at(off + 208u)).x;
  let sc = off + 192u + 8u * h + 2u * c;
  return Quarter(
    d * int8_at(sc),
    d * int8_at(sc + 1u),
    0.0,
    0.0,
    off + 64u * h + 32u * (c & 1u),
    4u * (c >> 1u),
    off + 128u + 32u * h,
    2u * c,
  );
}

// Values 4j .. 4j + 3 of a quarter as integers: Q6_K q − 32, Q3_K q − 4 (+ 4 with the hmask
// bit), Q2_K q.
fn quants(qr: Quarter, j: u32) -> vec4f {
  let l = word_at(qr.ql + 4u * j) >> qr.ql_shift;
  var q: u32;
  var zero: f32;
  if (FORMAT == 1u) {
    let hm = (word_at(qr.qh + 4u * j) >> qr.qh_shift) & 0x01010101u;
    q = (l & 0x03030303u) + (hm << 2u);
    zero = 4.0;
  } else if (FORMAT == 2u) {
    q = l & 0x03030303u;
    zero = 0.0;
  } else {
    let h = word_at(qr.qh + 4u * j) >> qr.qh_shift;
    q = (l & 0x0f0f0f0fu) | ((h & 0x03030303u) << 4u);
    zero = 32.0;
  }
  return vec4f(f32(q & 255u), f32((q >> 8u) & 255u), f32((q >> 16u) & 255u), f32(q >> 24u)) - zero;
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
      let qr = quarter(r, u, p.k / 256u);
      // explicit initializers restart these at 0 every block (naga keeps a loop-body var
      // declared without one across iterations: gfx-rs/wgpu#9489)
      var lo = array<f32, MAX_TILE_M>(); // Σ q · x over values 0..15
      var hi = array<f32, MAX_TILE_M>(); // Σ q · x over values 16..31
      var slo = array<f32, MAX_TILE_M>(); // Q2_K: Σ x over values 0..15
      var shi = array<f32, MAX_TILE_M>(); // Q2_K: Σ x over values 16..31
      for (var j = 0u; j < 8u; j++) {
        let q = quants(qr, j);
        for (var m = 0u; m < num_m; m++) {
          let xv = x4(p.x_offset + (m0 + m) * p.x_stride + u * 32u + 4u * j);
          let v = dot(q, xv);
          let s = select(0.0, xv.x + xv.y + xv.z + xv.w, FORMAT == 2u);
          if (j < 4u) {
            lo[m] += v;
            slo[m] += s;
          } else {
            hi[m] += v;
            shi[m] += s;
          }
        }
      }
      for (var m = 0u; m < num_m; m++) {
        acc[m] += qr.lo * lo[m] + qr.hi * hi[m] - (qr.lo_min * slo[m] + qr.hi_min * shi[m]);
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
  let qr = quarter(u32(row), u, p.k / 256u);
  let o = p.out_offset + i * p.out_stride + u * 32u;
  for (var j = 0u; j < 8u; j++) {
    let v = select(qr.hi, qr.lo, j < 4u) * quants(qr, j) - select(qr.hi_min, qr.lo_min, j < 4u);
    for (var e = 0u; e < 4u; e++) {
      out[o + 4u * j + e] = v[e];
    }
  }
}
`,
  q8_0: `
// Q8_0 weights, read in ggml's file layout: blocks of 32 values in 34 bytes — an f16 scale d,
// then 32 int8 values qs; value = qs[j] · d. Blocks start at even byte offsets; the raw bytes
// are bound as u32 words (padded by 4 bytes so an unaligned read of the last word stays in
// bounds).
//
// Entry \`matmul\`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw blocks of this row chunk), 2 x f32
//     (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4 bias f32
//     (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks blocks t, t + threadsPerRow, …, dequantizes each block once and
//     uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry \`embed\`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
//   bindings: as matmul, with 4 = token ids (i32); x is not read.
//   dispatch: one thread per (token, block): G = ceil(numRows · k / 32 / WG_SIZE) workgroups,
//     laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override TILE_M: u32 = 1u;
const MAX_TILE_M: u32 = 8u;
const BLOCK_BYTES: u32 = 34u;

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

// Four int8 values of one word.
fn int8s(q: u32) -> vec4f {
  let s = bitcast<i32>(q);
  return vec4f(
    f32(extractBits(s, 0u, 8u)),
    f32(extractBits(s, 8u, 8u)),
    f32(extractBits(s, 16u, 8u)),
    f32(extractBits(s, 24u, 8u)),
  );
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
      let off = (r * num_blocks + b) * BLOCK_BYTES;
      let d = half_at(off);
      // explicit initializers restart these at 0 every block (naga keeps a loop-body var
      // declared without one across iterations: gfx-rs/wgpu#9489)
      var sums = array<f32, MAX_TILE_M>();
      for (var j = 0u; j < 8u; j++) {
        let q = int8s(word_at(off + 2u + 4u * j)); // values 4j .. 4j + 3
        for (var m = 0u; m < num_m; m++) {
          sums[m] += dot(q, x4(p.x_offset + (m0 + m) * p.x_stride + b * 32u + 4u * j));
        }
      }
      for (var m = 0u; m < num_m; m++) {
        acc[m] += d * sums[m];
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
  let off = (u32(row) * num_blocks + b) * BLOCK_BYTES;
  let d = half_at(off);
  let o = p.out_offset + i * p.out_stride + b * 32u;
  for (var j = 0u; j < 8u; j++) {
    let q = d * int8s(word_at(off + 2u + 4u * j));
    for (var e = 0u; e < 4u; e++) {
      out[o + 4u * j + e] = q[e];
    }
  }
}
`,
  rms_norm: `
// RMSNorm over rows of d values: out[r, i] = x[r, i] / sqrt(mean(x[r, :]²) + eps) · weight[i].
// \`x\` is viewed as [numRows, d], so a [T, heads · headDim] buffer normed per head passes
// numRows = T · heads and d = headDim.
//
// bindings: 0 params (uniform, dynamic offset), 1 x f32, 2 weight f32 [d], 3 out f32. With
//   IN_PLACE (out and x are the same buffer, which WebGPU cannot bind twice) x is read from out
//   and binding 1 is a placeholder.
// tiling: one workgroup per row; its WG_SIZE threads stride over the row, then reduce the sum
//   of squares in workgroup memory.
// dispatch: numRows workgroups laid out as (min(numRows, 65535), ceil(numRows / 65535), 1).

override WG_SIZE: u32 = 64u;
override IN_PLACE: bool = false;

struct Params {
  num_rows: u32,
  d: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG_SIZE>;

fn load(i: u32) -> f32 {
  if (IN_PLACE) {
    return out[i];
  }
  return x[i];
}

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= p.num_rows) {
    return;
  }
  let base = row * p.d;
  var ss = 0.0;
  for (var i = lid; i < p.d; i += WG_SIZE) {
    let v = load(base + i);
    ss += v * v;
  }
  red[lid] = ss;
  workgroupBarrier();
  for (var s = WG_SIZE / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red[lid] += red[lid + s];
    }
    workgroupBarrier();
  }
  let inv = 1.0 / sqrt(red[0] / f32(p.d) + p.eps);
  for (var i = lid; i < p.d; i += WG_SIZE) {
    out[base + i] = load(base + i) * inv * weight[i];
  }
}
`,
  rope: `
// Rotary position embedding, in place: for token i at position pos, head h and pair j < dim/2,
// (x[a], x[b]) ← (x[a]·cos − x[b]·sin, x[a]·sin + x[b]·cos) with cos, sin = table[pos, j] and
// a, b = 2j, 2j + 1 (normal) or j, j + dim/2 (NeoX), offsets within the head.
//
// bindings: 0 params (uniform, dynamic offset), 1 positions i32 [T], 2 table f32 (cos
//   [maxPositions, dim/2], then sin from sinOffset), 3 x f32 [T, xStride], rotated in place.
// tiling: one thread per (token, head, pair).
// dispatch: G = ceil(T · numHeads · dim/2 / WG_SIZE) workgroups laid out as
//   (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;

struct Params {
  num_tokens: u32,
  num_heads: u32,
  head_dim: u32,
  half_dim: u32, // rotated pairs per head (rope dim / 2)
  x_stride: u32,
  neox: u32,
  sin_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> positions: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let id = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (id >= p.num_tokens * p.num_heads * p.half_dim) {
    return;
  }
  let j = id % p.half_dim;
  let h = (id / p.half_dim) % p.num_heads;
  let i = id / (p.half_dim * p.num_heads);
  let t = u32(positions[i]) * p.half_dim + j;
  let c = table[t];
  let s = table[p.sin_offset + t];
  let base = i * p.x_stride + h * p.head_dim;
  var a = base + 2u * j;
  var b = a + 1u;
  if (p.neox != 0u) {
    a = base + j;
    b = a + p.half_dim;
  }
  let x0 = x[a];
  let x1 = x[b];
  x[a] = x0 * c - x1 * s;
  x[b] = x0 * s + x1 * c;
}
`,
  silu_mul: `
// SwiGLU gate: out[e] = silu(gate[e]) · up[e] = gate[e] / (1 + exp(−gate[e])) · up[e] for
// e < numRows · cols.
//
// bindings: 0 params (uniform, dynamic offset), 1 gate f32, 2 up f32, 3 out f32. WebGPU cannot
//   bind one buffer as both read-only and writable, so ALIAS says which inputs are the output
//   buffer itself (bit 0: gate, bit 1: up); those are read from out and their bindings are
//   placeholders.
// tiling: one thread per value.
// dispatch: G = ceil(count / WG_SIZE) workgroups laid out as (min(G, 65535), ceil(G / 65535), 1).

override WG_SIZE: u32 = 64u;
override ALIAS: u32 = 0u;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let e = (wg.x + wg.y * nwg.x) * WG_SIZE + lid;
  if (e >= p.count) {
    return;
  }
  var av = out[e];
  if ((ALIAS & 1u) == 0u) {
    av = a[e];
  }
  var bv = out[e];
  if ((ALIAS & 2u) == 0u) {
    bv = b[e];
  }
  out[e] = av / (1.0 + exp(-av)) * bv;
}
`,
};
