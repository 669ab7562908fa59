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
