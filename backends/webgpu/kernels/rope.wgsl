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
