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
