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
// Entry `matmul`: out[m, col0 + r] = Σ_k x[m, k] · W[r, k] (+ bias[col0 + r]), W [n, k].
//   bindings: 0 params (uniform, dynamic offset), 1 w (raw super-blocks of this row chunk), 2 x
//     f32 (row m at xOffset + m · xStride), 3 out f32 (row m at outOffset + m · outStride), 4
//     bias f32 (read when hasBias).
//   tiling: a workgroup owns WG_SIZE / threadsPerRow weight rows and TILE_M activation rows;
//     thread t of a row walks 32-value quarters t, t + threadsPerRow, …, dequantizes each once
//     and uses it for all TILE_M rows; partial sums are reduced in workgroup memory.
//   dispatch: G = ceil(n / (WG_SIZE / threadsPerRow)) workgroups laid out as
//     (min(G, 65535), ceil(G / 65535), ceil(numRows / TILE_M)).
// Entry `embed`: out[i, :] = W[tokens[i] - col0, :] for each token inside this chunk's rows.
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

// One quarter's decoding: values j·4 .. j·4 + 3 are `quants(j)` times scale lo (j < 4) or hi,
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

// Q3_K's 6-bit scale i (0..15) of the 12 bytes at `off`, as ggml unpacks them, minus 32.
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
