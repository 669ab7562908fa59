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
