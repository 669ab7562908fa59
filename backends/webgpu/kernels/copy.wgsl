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
