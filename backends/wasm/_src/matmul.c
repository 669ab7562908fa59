/*
 * matmul: out [rows, N] ← x [rows, K] · Wᵀ (+ bias [N]) for W [N, K] in any dtype, in f32.
 *
 * Work is split over panels of 4 weight rows (thread `ith` takes panels
 * [P·ith/nth, P·(ith+1)/nth)). For each panel:
 *   - rows == 1 and a fused kernel exists (F32, F16, Q8_0, Q4_0): each weight row is read
 *     once and dequantized in registers (decode, memory-bound);
 *   - otherwise the panel is dequantized once into this thread's scratch ([4, K] f32) and
 *     multiplied with every x row by a 4×2 register-blocked f32 kernel, so each weight byte
 *     is read and decoded once per call however many rows there are (prefill, batched decode).
 */
#include "dequant.h"

typedef struct {
  float* out;
  uint32_t out_stride;
  const float* x;
  uint32_t x_stride;
  const WeightDesc* w;
  uint32_t rows;
  const float* bias;      /* f32 [N] or 0 */
  float* scratch;         /* per-thread [4, K] f32 panels */
  uint32_t scratch_stride; /* floats between threads' scratch */
} MatmulArgs;

/* ---- f32 micro-kernels over dequantized (or f32) weight rows ---- */

/* o[i] = w_i · x for 4 weight rows and one x row. */
INLINE void dot_4x1(const float* const* w, const float* x, uint32_t k, float* o) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  uint32_t i = 0;
  for (; i + 4 <= k; i += 4) {
    v128_t xv = wasm_v128_load(x + i);
    a0 = MADD(wasm_v128_load(w[0] + i), xv, a0);
    a1 = MADD(wasm_v128_load(w[1] + i), xv, a1);
    a2 = MADD(wasm_v128_load(w[2] + i), xv, a2);
    a3 = MADD(wasm_v128_load(w[3] + i), xv, a3);
  }
  float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  for (; i < k; i++) {
    s0 += w[0][i] * x[i];
    s1 += w[1][i] * x[i];
    s2 += w[2][i] * x[i];
    s3 += w[3][i] * x[i];
  }
  o[0] = s0, o[1] = s1, o[2] = s2, o[3] = s3;
}

/* The same for two x rows: 8 accumulators, 6 loads per 8 multiply-adds. */
INLINE void dot_4x2(const float* const* w, const float* x0, const float* x1, uint32_t k,
                    float* o0, float* o1) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  uint32_t i = 0;
  for (; i + 4 <= k; i += 4) {
    v128_t xa = wasm_v128_load(x0 + i), xb = wasm_v128_load(x1 + i);
    v128_t w0 = wasm_v128_load(w[0] + i), w1 = wasm_v128_load(w[1] + i);
    v128_t w2 = wasm_v128_load(w[2] + i), w3 = wasm_v128_load(w[3] + i);
    a0 = MADD(w0, xa, a0), b0 = MADD(w0, xb, b0);
    a1 = MADD(w1, xa, a1), b1 = MADD(w1, xb, b1);
    a2 = MADD(w2, xa, a2), b2 = MADD(w2, xb, b2);
    a3 = MADD(w3, xa, a3), b3 = MADD(w3, xb, b3);
  }
  float s[8] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3), hsum(b0), hsum(b1), hsum(b2), hsum(b3)};
  for (; i < k; i++) {
    for (int j = 0; j < 4; j++) {
      s[j] += w[j][i] * x0[i];
      s[4 + j] += w[j][i] * x1[i];
    }
  }
  for (int j = 0; j < 4; j++) o0[j] = s[j], o1[j] = s[4 + j];
}

INLINE float dot_1x1(const float* w, const float* x, uint32_t k) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0;
  uint32_t i = 0;
  for (; i + 8 <= k; i += 8) {
    a0 = MADD(wasm_v128_load(w + i), wasm_v128_load(x + i), a0);
    a1 = MADD(wasm_v128_load(w + i + 4), wasm_v128_load(x + i + 4), a1);
  }
  for (; i + 4 <= k; i += 4) a0 = MADD(wasm_v128_load(w + i), wasm_v128_load(x + i), a0);
  float s = hsum(wasm_f32x4_add(a0, a1));
  for (; i < k; i++) s += w[i] * x[i];
  return s;
}

/* out[r, j0 .. j0+nw) for every x row, from nw (≤ 4) f32 weight rows. */
static void panel_f32(const MatmulArgs* a, const float* const* w, uint32_t j0, uint32_t nw) {
  uint32_t k = a->w->k, rows = a->rows;
  float o0[4], o1[4];
  if (nw == 4) {
    uint32_t r = 0;
    for (; r + 2 <= rows; r += 2) {
      dot_4x2(w, a->x + r * a->x_stride, a->x + (r + 1) * a->x_stride, k, o0, o1);
      float* d0 = a->out + r * a->out_stride + j0;
      float* d1 = d0 + a->out_stride;
      for (int j = 0; j < 4; j++) d0[j] = o0[j], d1[j] = o1[j];
    }
    if (r < rows) {
      dot_4x1(w, a->x + r * a->x_stride, k, o0);
      float* d0 = a->out + r * a->out_stride + j0;
      for (int j = 0; j < 4; j++) d0[j] = o0[j];
    }
  } else {
    for (uint32_t r = 0; r < rows; r++) {
      for (uint32_t j = 0; j < nw; j++) {
        a->out[r * a->out_stride + j0 + j] = dot_1x1(w[j], a->x + r * a->x_stride, k);
      }
    }
  }
}

/* ---- fused matvec (one x row), weights decoded in registers ---- */

INLINE v128_t madd_i8x16(v128_t q, const float* x, v128_t acc) {
  v128_t lo = wasm_i16x8_extend_low_i8x16(q), hi = wasm_i16x8_extend_high_i8x16(q);
  acc = MADD(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo)), wasm_v128_load(x), acc);
  acc = MADD(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo)), wasm_v128_load(x + 4), acc);
  acc = MADD(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi)), wasm_v128_load(x + 8), acc);
  acc = MADD(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi)), wasm_v128_load(x + 12), acc);
  return acc;
}

/* Repacked Q8_0 rows are interleaved in groups of 4 blocks (common.h). */
static float vec_q8_0(const WeightDesc* w, uint32_t row, const float* x) {
  const int8_t* qs = (const int8_t*)w->data + (uint64_t)row * w->row_bytes;
  const float* sc = w->scales + row * (w->k / 32);
  uint32_t nb = w->k / 32, b = 0;
  v128_t acc = wasm_f32x4_splat(0);
  for (; b + 4 <= nb; b += 4, qs += 128, x += 128) {
    v128_t lo[4], hi[4];
    for (int i = 0; i < 4; i++) lo[i] = wasm_v128_load(qs + 16 * i), hi[i] = wasm_v128_load(qs + 64 + 16 * i);
    quad_transpose(lo);
    quad_transpose(hi);
    for (int i = 0; i < 4; i++) {
      v128_t s = madd_i8x16(hi[i], x + 32 * i + 16, madd_i8x16(lo[i], x + 32 * i, wasm_f32x4_splat(0)));
      acc = MADD(s, wasm_f32x4_splat(sc[b + i]), acc);
    }
  }
  for (; b < nb; b++, qs += 32, x += 32) {
    v128_t s = wasm_f32x4_splat(0);
    s = madd_i8x16(wasm_v128_load(qs), x, s);
    s = madd_i8x16(wasm_v128_load(qs + 16), x + 16, s);
    acc = MADD(s, wasm_f32x4_splat(sc[b]), acc);
  }
  return hsum(acc);
}

/* One Q4_0 block (16 bytes of nibbles) · 32 x values, times d, added to acc. */
INLINE v128_t madd_q4_0(v128_t q, const float* x, float d, v128_t acc) {
  v128_t mask = wasm_i8x16_splat(0x0f), eight = wasm_i8x16_splat(8);
  v128_t s = madd_i8x16(wasm_i8x16_sub(wasm_v128_and(q, mask), eight), x, wasm_f32x4_splat(0));
  s = madd_i8x16(wasm_i8x16_sub(wasm_u8x16_shr(q, 4), eight), x + 16, s);
  return MADD(s, wasm_f32x4_splat(d), acc);
}

/* Repacked Q4_0 rows are interleaved in groups of 4 blocks (common.h). */
static float vec_q4_0(const WeightDesc* w, uint32_t row, const float* x) {
  const uint8_t* qs = w->data + (uint64_t)row * w->row_bytes;
  const float* sc = w->scales + row * (w->k / 32);
  uint32_t nb = w->k / 32, b = 0;
  v128_t acc = wasm_f32x4_splat(0);
  for (; b + 4 <= nb; b += 4, qs += 64) {
    v128_t p[4] = {wasm_v128_load(qs), wasm_v128_load(qs + 16), wasm_v128_load(qs + 32),
                   wasm_v128_load(qs + 48)};
    quad_transpose(p);
    for (int i = 0; i < 4; i++) acc = madd_q4_0(p[i], x + 32 * (b + i), sc[b + i], acc);
  }
  for (; b < nb; b++, qs += 16) acc = madd_q4_0(wasm_v128_load(qs), x + 32 * b, sc[b], acc);
  return hsum(acc);
}

static float vec_f16(const WeightDesc* w, uint32_t row, const float* x) {
  const uint8_t* src = w->data + (uint64_t)row * w->row_bytes;
  uint32_t k = w->k, i = 0;
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0;
  for (; i + 8 <= k; i += 8) {
    v128_t h = wasm_v128_load(src + 2 * i);
    a0 = MADD(f16x4_to_f32x4(wasm_u32x4_extend_low_u16x8(h)), wasm_v128_load(x + i), a0);
    a1 = MADD(f16x4_to_f32x4(wasm_u32x4_extend_high_u16x8(h)), wasm_v128_load(x + i + 4), a1);
  }
  float s = hsum(wasm_f32x4_add(a0, a1));
  for (; i < k; i++) s += rd_f16(src + 2 * i) * x[i];
  return s;
}

static float vec_f32(const WeightDesc* w, uint32_t row, const float* x) {
  return dot_1x1((const float*)(w->data + (uint64_t)row * w->row_bytes), x, w->k);
}

typedef float (*VecFn)(const WeightDesc*, uint32_t, const float*);

static VecFn fused_for(uint32_t dtype) {
  switch (dtype) {
    case DT_F32: return vec_f32;
    case DT_F16: return vec_f16;
    case DT_Q8_0: return vec_q8_0;
    case DT_Q4_0: return vec_q4_0;
    default: return 0;
  }
}

EXPORT(k_matmul)
void k_matmul(const MatmulArgs* a, int ith, int nth) {
  const WeightDesc* w = a->w;
  uint32_t n = w->n, k = w->k;
  uint32_t lo, hi;
  share_of((n + 3) / 4, ith, nth, &lo, &hi);
  uint32_t j_lo = lo * 4, j_hi = hi * 4 < n ? hi * 4 : n;
  VecFn fused = a->rows == 1 ? fused_for(w->dtype) : 0;
  if (fused) {
    for (uint32_t j = j_lo; j < j_hi; j++) a->out[j] = fused(w, j, a->x);
  } else {
    float* scratch = a->scratch + (uint64_t)ith * a->scratch_stride;
    for (uint32_t j0 = j_lo; j0 < j_hi; j0 += 4) {
      uint32_t nw = j_hi - j0 < 4 ? j_hi - j0 : 4;
      const float* rows[4];
      for (uint32_t j = 0; j < nw; j++) {
        if (w->dtype == DT_F32) {
          rows[j] = (const float*)(w->data + (uint64_t)(j0 + j) * w->row_bytes);
        } else {
          dequant_row(w, j0 + j, scratch + j * k);
          rows[j] = scratch + j * k;
        }
      }
      panel_f32(a, rows, j0, nw);
    }
  }
  if (a->bias) {
    for (uint32_t r = 0; r < a->rows; r++) {
      float* o = a->out + r * a->out_stride;
      for (uint32_t j = j_lo; j < j_hi; j++) o[j] += a->bias[j];
    }
  }
}
