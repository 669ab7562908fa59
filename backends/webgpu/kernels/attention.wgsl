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
