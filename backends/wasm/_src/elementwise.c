/*
 * Row-wise kernels: RMSNorm, RoPE, SiLU-multiply, add. Each splits its rows (or elements)
 * evenly over the threads of the call.
 */
#include "common.h"

/* out [n, d] ← x [n, d] / sqrt(mean(x²) + eps) ⊙ w [d]   (rows of d contiguous values) */
typedef struct {
  float* out;
  const float* x;
  const float* w;
  uint32_t d;
  uint32_t num_rows;
  float eps;
} RmsNormArgs;

EXPORT(k_rms_norm)
void k_rms_norm(const RmsNormArgs* a, int ith, int nth) {
  uint32_t lo, hi, d = a->d;
  share_of(a->num_rows, ith, nth, &lo, &hi);
  for (uint32_t r = lo; r < hi; r++) {
    const float* x = a->x + (uint64_t)r * d;
    float* o = a->out + (uint64_t)r * d;
    v128_t acc = wasm_f32x4_splat(0);
    uint32_t i = 0;
    for (; i + 4 <= d; i += 4) {
      v128_t v = wasm_v128_load(x + i);
      acc = MADD(v, v, acc);
    }
    float ss = hsum(acc);
    for (; i < d; i++) ss += x[i] * x[i];
    float inv = 1.0f / __builtin_sqrtf(ss / (float)d + a->eps);
    v128_t vi = wasm_f32x4_splat(inv);
    for (i = 0; i + 4 <= d; i += 4) {
      wasm_v128_store(o + i, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(x + i), vi),
                                            wasm_v128_load(a->w + i)));
    }
    for (; i < d; i++) o[i] = x[i] * inv * a->w[i];
  }
}

/*
 * Rotates x [T, numHeads·headDim] in place. Pair j of a head rotates by the table's angle for
 * (position, j): normal style pairs (2j, 2j+1), NeoX style pairs (j, j + half); only the
 * first 2·half dimensions of each head rotate.
 */
typedef struct {
  float* x;
  uint32_t stride;
  uint32_t num_tokens;
  uint32_t num_heads;
  uint32_t head_dim;
  uint32_t half;
  uint32_t neox;
  const int32_t* positions;
  const float* cos;  /* [maxPositions, half] */
  const float* sin;
} RopeArgs;

EXPORT(k_rope)
void k_rope(const RopeArgs* a, int ith, int nth) {
  uint32_t lo, hi, half = a->half;
  share_of(a->num_tokens * a->num_heads, ith, nth, &lo, &hi);
  for (uint32_t item = lo; item < hi; item++) {
    uint32_t i = item / a->num_heads, h = item % a->num_heads;
    float* x = a->x + (uint64_t)i * a->stride + h * a->head_dim;
    const float* c = a->cos + (uint64_t)a->positions[i] * half;
    const float* s = a->sin + (uint64_t)a->positions[i] * half;
    if (a->neox) {
      uint32_t j = 0;
      for (; j + 4 <= half; j += 4) {
        v128_t x0 = wasm_v128_load(x + j), x1 = wasm_v128_load(x + j + half);
        v128_t cv = wasm_v128_load(c + j), sv = wasm_v128_load(s + j);
        wasm_v128_store(x + j, wasm_f32x4_sub(wasm_f32x4_mul(x0, cv), wasm_f32x4_mul(x1, sv)));
        wasm_v128_store(x + j + half, wasm_f32x4_add(wasm_f32x4_mul(x0, sv), wasm_f32x4_mul(x1, cv)));
      }
      for (; j < half; j++) {
        float x0 = x[j], x1 = x[j + half];
        x[j] = x0 * c[j] - x1 * s[j];
        x[j + half] = x0 * s[j] + x1 * c[j];
      }
    } else {
      for (uint32_t j = 0; j < half; j++) {
        float x0 = x[2 * j], x1 = x[2 * j + 1];
        x[2 * j] = x0 * c[j] - x1 * s[j];
        x[2 * j + 1] = x0 * s[j] + x1 * c[j];
      }
    }
  }
}

/* out ← a ⊙ b-style binary ops over `count` contiguous values. */
typedef struct {
  float* out;
  const float* a;
  const float* b;
  uint32_t count;
} BinaryArgs;

/* out ← silu(a) ⊙ b, silu(g) = g / (1 + e^-g). */
EXPORT(k_silu_mul)
void k_silu_mul(const BinaryArgs* p, int ith, int nth) {
  uint32_t lo, hi;
  share_of(p->count / 4, ith, nth, &lo, &hi);
  const ExpConsts k = exp_consts();
  const float *ga = p->a, *ub = p->b; /* locals: stores through out may not alias them */
  float* out = p->out;
  for (uint32_t i = lo * 4; i < hi * 4; i += 4) {
    v128_t g = wasm_v128_load(ga + i);
    v128_t e = exp_f32x4_c(wasm_f32x4_neg(g), &k);
    v128_t silu = wasm_f32x4_div(g, wasm_f32x4_add(k.one, e));
    wasm_v128_store(out + i, wasm_f32x4_mul(silu, wasm_v128_load(ub + i)));
  }
  if (ith == nth - 1) {
    for (uint32_t i = p->count / 4 * 4; i < p->count; i++) {
      float g = p->a[i];
      p->out[i] = g / (1.0f + exp_f32(-g)) * p->b[i];
    }
  }
}

/* out ← a + b. */
EXPORT(k_add)
void k_add(const BinaryArgs* p, int ith, int nth) {
  uint32_t lo, hi;
  share_of(p->count / 4, ith, nth, &lo, &hi);
  for (uint32_t i = lo * 4; i < hi * 4; i += 4) {
    wasm_v128_store(p->out + i, wasm_f32x4_add(wasm_v128_load(p->a + i), wasm_v128_load(p->b + i)));
  }
  if (ith == nth - 1) {
    for (uint32_t i = p->count / 4 * 4; i < p->count; i++) p->out[i] = p->a[i] + p->b[i];
  }
}

/* Reads `count` bytes (a multiple of 64) and stores a checksum: the memory-bandwidth probe
 * of the kernel benchmark (bench/kernels.ts). */
typedef struct {
  const uint8_t* src;
  uint32_t count;
  uint32_t* sums; /* [numChunks] */
} ReadArgs;

EXPORT(k_read)
void k_read(const ReadArgs* a, int ith, int nth) {
  uint32_t lo, hi;
  share_of(a->count / 64, ith, nth, &lo, &hi);
  v128_t s0 = wasm_i32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
  for (const uint8_t* p = a->src + lo * 64; p < a->src + hi * 64; p += 64) {
    s0 = wasm_i32x4_add(s0, wasm_v128_load(p));
    s1 = wasm_i32x4_add(s1, wasm_v128_load(p + 16));
    s2 = wasm_i32x4_add(s2, wasm_v128_load(p + 32));
    s3 = wasm_i32x4_add(s3, wasm_v128_load(p + 48));
  }
  a->sums[ith] = (uint32_t)hsum_i32(wasm_i32x4_add(wasm_i32x4_add(s0, s1), wasm_i32x4_add(s2, s3)));
}
