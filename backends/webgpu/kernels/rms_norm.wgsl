// RMSNorm over rows of d values: out[r, i] = x[r, i] / sqrt(mean(x[r, :]²) + eps) · weight[i].
// `x` is viewed as [numRows, d], so a [T, heads · headDim] buffer normed per head passes
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
