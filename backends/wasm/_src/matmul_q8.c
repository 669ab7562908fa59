/*
 * The int8 path of matmul (the backend's `activations: "q8"` mode), as llama.cpp computes:
 * activations are quantized per block of 32 to int8 with an f16-rounded scale (GGML's
 * Q8_0: d = max|x| / 127, q = round(x / d)), then Q4_0 and Q8_0 weights are multiplied in
 * integers per block and the block sums scaled by d_w · d_x in f32.
 *
 * k_quantize_q8: x [rows, K] f32 → xq int8 [rows, K], xd f32 [rows, K/32] (the f16-rounded
 *   scales), xs int32 [rows, K/32] (each block's 8·Σq, for Q4_0's −8 offset), xs16 int32
 *   [rows, K/16] (Σq of each 16 values, for Q6_K's −32 offset). Whole groups of 4 blocks are
 *   stored interleaved, as the repacked weights are (common.h), and their xs16 as the group's 4
 *   first halves, then its 4 second halves.
 * k_matmul_q8: out [rows, N] ← dequant(xq) · Wᵀ for every block dtype (K-quant
 *   sub-blocks of 32 and 16 values line up with the activation blocks of 32, so each
 *   sub-block's integer sum is scaled by its own d_w · sc and d_x). Chunks split the weight
 *   rows; each weight block is decoded once and dotted with up to 8 x rows on the relaxed
 *   build (4 on the plain one). The relaxed build multiplies with
 *   i32x4.relaxed_dot_i8x16_i7x16_add (one vpdpbusd with AVX-VNNI): Q4_0 nibbles and K-quant
 *   values are valid 7-bit operands, so results are exact everywhere; Q8_0 uses it on weights
 *   biased to unsigned bytes only where probe_u8dot finds that exact. Elsewhere int8 values
 *   are widened to int16 and multiplied with i32x4.dot_i16x8.
 */
#include "common.h"

typedef struct {
  const float* x;
  uint32_t x_stride;
  uint32_t rows;
  uint32_t k;
  int8_t* xq;
  float* xd;
  int32_t* xs;
  int32_t* xs16;
} QuantizeArgs;

EXPORT(k_quantize_q8)
void k_quantize_q8(const QuantizeArgs* a, int ith, int nth) {
  uint32_t nb = a->k / 32, lo, hi;
  share_of(a->rows * nb, ith, nth, &lo, &hi);
  for (uint32_t item = lo; item < hi; item++) {
    uint32_t r = item / nb, b = item % nb;
    const float* x = a->x + (uint64_t)r * a->x_stride + b * 32;
    v128_t v[8], amax = wasm_f32x4_splat(0);
    for (int i = 0; i < 8; i++) {
      v[i] = wasm_v128_load(x + 4 * i);
      amax = wasm_f32x4_max(amax, wasm_f32x4_abs(v[i]));
    }
    float d = hmax(amax) / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    v128_t idv = wasm_f32x4_splat(id);
    v128_t q32[8];
    for (int i = 0; i < 8; i++) {
      q32[i] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(v[i], idv)));
    }
    v128_t q16a = wasm_i16x8_narrow_i32x4(q32[0], q32[1]), q16b = wasm_i16x8_narrow_i32x4(q32[2], q32[3]);
    v128_t q16c = wasm_i16x8_narrow_i32x4(q32[4], q32[5]), q16d = wasm_i16x8_narrow_i32x4(q32[6], q32[7]);
    v128_t lo = wasm_i8x16_narrow_i16x8(q16a, q16b), hi = wasm_i8x16_narrow_i16x8(q16c, q16d);
    int8_t* q = a->xq + (uint64_t)r * a->k + b * 32;
    if (b / 4 * 4 + 4 <= nb) {
      /* word m of block b%4 goes to word 4m + b%4 of its group */
      int8_t* g = a->xq + (uint64_t)r * a->k + (b / 4) * 128 + 4 * (b % 4);
      wasm_v128_store32_lane(g + 0, lo, 0), wasm_v128_store32_lane(g + 16, lo, 1);
      wasm_v128_store32_lane(g + 32, lo, 2), wasm_v128_store32_lane(g + 48, lo, 3);
      wasm_v128_store32_lane(g + 64, hi, 0), wasm_v128_store32_lane(g + 80, hi, 1);
      wasm_v128_store32_lane(g + 96, hi, 2), wasm_v128_store32_lane(g + 112, hi, 3);
    } else {
      wasm_v128_store(q, lo);
      wasm_v128_store(q + 16, hi);
    }
    int32_t s0 = hsum_i32(wasm_i32x4_add(wasm_i32x4_add(q32[0], q32[1]), wasm_i32x4_add(q32[2], q32[3])));
    int32_t s1 = hsum_i32(wasm_i32x4_add(wasm_i32x4_add(q32[4], q32[5]), wasm_i32x4_add(q32[6], q32[7])));
    a->xs[(uint64_t)r * nb + b] = 8 * (s0 + s1);
    if (b / 4 * 4 + 4 <= nb) { /* a group's first halves, then its second */
      a->xs16[(uint64_t)r * 2 * nb + 8 * (b / 4) + b % 4] = s0;
      a->xs16[(uint64_t)r * 2 * nb + 8 * (b / 4) + 4 + b % 4] = s1;
    } else {
      a->xs16[(uint64_t)r * 2 * nb + 2 * b] = s0;
      a->xs16[(uint64_t)r * 2 * nb + 2 * b + 1] = s1;
    }
    a->xd[(uint64_t)r * nb + b] = f16_to_f32(f32_to_f16(d));
  }
}

typedef struct {
  float* out;
  uint32_t out_stride;
  const int8_t* xq;
  const float* xd;
  const int32_t* xs;
  const int32_t* xs16;
  uint32_t rows;
  const WeightDesc* w;
  const float* bias;
  uint32_t u8dot; /* probe_u8dot() said the relaxed dot is exact for unsigned bytes */
} MatmulQ8Args;

/* Σ over 16 lanes of a·b (int8 · int8) as i32x4 partial sums, added to acc. */
INLINE v128_t dot_i8_i8(v128_t a, v128_t b, v128_t acc) {
  acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(a), wasm_i16x8_extend_low_i8x16(b)));
  return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(a), wasm_i16x8_extend_high_i8x16(b)));
}

/*
 * Σ x·u over 32 bytes (x int8, u unsigned 0..15) as i32x4 partial sums (lane k: bytes
 * 4k..4k+3 of both halves). The relaxed build uses i32x4.relaxed_dot_i8x16_i7x16_add, one
 * instruction (vpdpbusd) where the CPU has AVX-VNNI; u < 128, so the result is exact on
 * every engine.
 */
INLINE v128_t dot2_u4(v128_t x0, v128_t u0, v128_t x1, v128_t u1) {
#ifdef LOOM_RELAXED
  return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(
      x1, u1, wasm_i32x4_relaxed_dot_i8x16_i7x16_add(x0, u0, wasm_i32x4_splat(0)));
#else
  return dot_i8_i8(x1, u1, dot_i8_i8(x0, u0, wasm_i32x4_splat(0)));
#endif
}

/*
 * Σ x·(u − 8) over one plainly stored Q4_0 block (a block after the last whole group) as i32x4
 * partial sums: x its 32 int8 activations, lo / hi its decoded nibbles, xs8 = 8·Σx.
 */
INLINE v128_t dot_q4_0_block(const int8_t* x, v128_t lo, v128_t hi, int32_t xs8) {
  v128_t s = dot2_u4(wasm_v128_load(x), lo, wasm_v128_load(x + 16), hi);
  return wasm_i32x4_sub(s, wasm_i32x4_splat(xs8 >> 2)); /* 8·Σx over 4 lanes */
}

/*
 * f[r] += float(acc[r]) · d_w · d_x[r] over the 4 blocks of group g (lanes = blocks) for R x
 * rows: dw the weight row's 4 block scales, xd the tile's first x row's block scales.
 */
INLINE void scale_group(v128_t* f, const v128_t* acc, v128_t dw, const float* xd, uint32_t nb, uint32_t g, int R) {
  for (int r = 0; r < R; r++) {
    f[r] = MADD(wasm_f32x4_convert_i32x4(acc[r]), wasm_f32x4_mul(dw, wasm_v128_load(xd + r * nb + 4 * g)), f[r]);
  }
}

/*
 * Lane-preserving int8 dot accumulation over interleaved groups: after all 8 vectors of a
 * group, lane k holds block k's Σ x·u (u 0..15). The relaxed build accumulates with the
 * 32-bit relaxed dot (see dot2_u4); the plain
 * build widens to int16 first, whose pairwise dot splits each 4-byte lane into two (low and
 * high halves kept apart, folded at the end).
 */
#ifdef LOOM_RELAXED
typedef struct { v128_t s; } Acc4;
INLINE Acc4 acc4_zero(void) { return (Acc4){wasm_i32x4_splat(0)}; }
INLINE Acc4 acc4_dot(Acc4 a, v128_t x, v128_t u) {
  return (Acc4){wasm_i32x4_relaxed_dot_i8x16_i7x16_add(x, u, a.s)};
}
INLINE v128_t acc4_lanes(Acc4 a) { return a.s; }
#else
typedef struct { v128_t lo, hi; } Acc4;
INLINE Acc4 acc4_zero(void) { return (Acc4){wasm_i32x4_splat(0), wasm_i32x4_splat(0)}; }
INLINE Acc4 acc4_dot(Acc4 a, v128_t x, v128_t u) {
  a.lo = wasm_i32x4_add(a.lo, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(x), wasm_i16x8_extend_low_i8x16(u)));
  a.hi = wasm_i32x4_add(a.hi, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(x), wasm_i16x8_extend_high_i8x16(u)));
  return a;
}
INLINE v128_t acc4_lanes(Acc4 a) {
  return wasm_i32x4_add(wasm_i32x4_shuffle(a.lo, a.hi, 0, 2, 4, 6), wasm_i32x4_shuffle(a.lo, a.hi, 1, 3, 5, 7));
}
#endif

/*
 * One weight row · R x rows: out[r] = Σ_b d_w[b] · d_x[r][b] · Σ_i (u_i − 8) q_ri. Whole
 * groups of 4 blocks are interleaved in both the weights and the activations (common.h), so
 * 8 dot products leave the 4 block sums in the 4 lanes: one offset correction, one convert
 * and one multiply-add per group and row. The weight group is decoded once for all R rows.
 */
INLINE void row_q4_0(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float* res) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, b = 0;
  const uint8_t* qs = w->data + (uint64_t)j * w->row_bytes;
  const float* dw = w->scales + (uint64_t)j * nb;
  v128_t mask = wasm_i8x16_splat(0x0f), zero = wasm_i32x4_splat(0);
  v128_t acc[4] = {zero, zero, zero, zero};
  for (; b + 4 <= nb; b += 4) {
    v128_t u[8];
    for (int m = 0; m < 4; m++) {
      v128_t p = wasm_v128_load(qs + 16 * b + 16 * m);
      u[m] = wasm_v128_and(p, mask), u[m + 4] = wasm_u8x16_shr(p, 4);
    }
    v128_t d4 = wasm_v128_load(dw + b);
    for (int r = 0; r < R; r++) {
      uint64_t xb = (uint64_t)(r0 + r) * nb + b;
      const int8_t* x = a->xq + xb * 32;
      Acc4 s = acc4_zero();
      for (int m = 0; m < 8; m++) s = acc4_dot(s, wasm_v128_load(x + 16 * m), u[m]);
      /* Σ x·(u − 8) = Σ x·u − 8·Σx */
      v128_t sums = wasm_i32x4_sub(acc4_lanes(s), wasm_v128_load(a->xs + xb));
      acc[r] = MADD(wasm_f32x4_convert_i32x4(sums), wasm_f32x4_mul(d4, wasm_v128_load(a->xd + xb)), acc[r]);
    }
  }
  for (; b < nb; b++) {
    v128_t q = wasm_v128_load(qs + 16 * b);
    v128_t lo = wasm_v128_and(q, mask), hi = wasm_u8x16_shr(q, 4);
    for (int r = 0; r < R; r++) {
      uint64_t xb = (uint64_t)(r0 + r) * nb + b;
      v128_t s = dot_q4_0_block(a->xq + xb * 32, lo, hi, a->xs[xb]);
      acc[r] = MADD(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(dw[b] * a->xd[xb]), acc[r]);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(acc[r]);
}

#ifdef LOOM_RELAXED
/*
 * 0x0f in memory: a mask splatted from a load stays in a register, where V8 would rebuild a
 * v128.const before every use (three instructions) once registers run short.
 */
static const volatile uint8_t k_nibble_mask = 0x0f;
/* 0x80, read the same way: the bias that makes Q8_0 weights unsigned bytes */
static const volatile uint8_t k_u8_bias = 0x80;
/* 0x30, read the same way: a repacked Q6_K value's 2 high bits */
static const volatile uint8_t k_high2_mask = 0x30;
/* 0x10, read the same way: a repacked Q5_K value's fifth bit */
static const volatile uint8_t k_bit4_mask = 0x10;
/* 0x03 and 0x04, read the same way: a repacked Q3_K value's low bits and third bit */
static const volatile uint8_t k_low2_mask = 0x03;
static const volatile uint8_t k_bit2_mask = 0x04;
#endif

#ifdef LOOM_RELAXED
/*
 * One Q4_0 weight row · R ≤ 8 x rows over whole groups of 4 blocks, then the tail, with
 * i32x4.relaxed_dot_i8x16_i7x16_add (one vpdpbusd where the CPU has AVX-VNNI): each decoded
 * weight vector serves all R rows, and each thread reads one weight stream (two or four rows
 * at a time measured slower: 2 × 4 rows 170, 1 × 8 rows 210 GFLOP/s with weights from DRAM).
 * The int32 lanes start at −8·Σx of their block (the −8 offset of the nibbles) and hold the
 * 4 block sums of the group after 8 dots.
 */
INLINE void tile1_q4_0(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, k = w->k;
  const uint8_t* q0 = w->data + (uint64_t)j * w->row_bytes;
  const float* d0 = w->scales + (uint64_t)j * nb;
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs = a->xs + (uint64_t)r0 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
  v128_t mask = wasm_i8x16_splat((int8_t)k_nibble_mask), zero = wasm_f32x4_splat(0);
  v128_t f0[8];
  for (int r = 0; r < R; r++) f0[r] = zero;
  for (uint32_t g = 0; g < ng; g++) {
    v128_t acc0[8];
    for (int r = 0; r < R; r++) acc0[r] = wasm_i32x4_neg(wasm_v128_load(xs + r * nb + 4 * g));
    const int8_t* xg = x + 128 * g;
#pragma clang loop unroll(disable)
    for (int m = 0; m < 4; m++) {
      v128_t p0 = wasm_v128_load(q0 + 64 * g + 16 * m);
      v128_t u0 = wasm_v128_and(p0, mask), h0 = wasm_v128_and(wasm_u16x8_shr(p0, 4), mask);
      for (int r = 0; r < R; r++) {
        acc0[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_v128_load(xg + r * k + 16 * m), u0, acc0[r]);
        acc0[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_v128_load(xg + r * k + 64 + 16 * m), h0, acc0[r]);
      }
    }
    scale_group(f0, acc0, wasm_v128_load(d0 + 4 * g), xd, nb, g, R);
  }
  for (uint32_t b = ng * 4; b < nb; b++) {
    v128_t p0 = wasm_v128_load(q0 + 16 * b);
    v128_t l0 = wasm_v128_and(p0, mask), h0 = wasm_v128_and(wasm_u16x8_shr(p0, 4), mask);
    for (int r = 0; r < R; r++) {
      v128_t s0 = dot_q4_0_block(x + r * k + 32 * b, l0, h0, xs[r * nb + b]);
      f0[r] = MADD(wasm_f32x4_convert_i32x4(s0), wasm_f32x4_splat(d0[b] * xd[r * nb + b]), f0[r]);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(f0[r]);
}
#endif

#ifdef LOOM_RELAXED
/*
 * Σ x·w over one plainly stored Q8_0 block (a block after the last whole group) as i32x4
 * partial sums: x its 32 int8 activations, ua / ub its weights biased to unsigned bytes,
 * xs8 = 8·Σx. Σ x·w = Σ x·(w + 128) − 128·Σx.
 */
INLINE v128_t dot_q8_0_block_u8(const int8_t* x, v128_t ua, v128_t ub, int32_t xs8) {
  v128_t off = wasm_i32x4_splat(-4 * xs8); /* −128·Σx over 4 lanes */
  return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(
      wasm_v128_load(x + 16), ub, wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_v128_load(x), ua, off));
}
#endif

#ifdef LOOM_RELAXED
/*
 * One Q8_0 weight row · R ≤ 8 x rows with one relaxed dot per 16 values: the weights are
 * biased to unsigned bytes (w ^ 0x80 = w + 128, decoded once for all R rows) and
 * Σ x·w = Σ x·(w + 128) − 128·Σx, the last term the accumulator's start. Whole groups are
 * interleaved like Q4_0 (lanes = blocks, one scale multiply per 4 blocks); the tail is
 * plain. Only run where probe_u8dot found the relaxed dot exact for unsigned bytes above 127
 * (x86 with AVX-VNNI: vpdpbusd): the relaxed-SIMD spec leaves them implementation-defined.
 */
INLINE void tile1_q8_0(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, k = w->k;
  const int8_t* q0 = (const int8_t*)w->data + (uint64_t)j * w->row_bytes;
  const float* d0 = w->scales + (uint64_t)j * nb;
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs = a->xs + (uint64_t)r0 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
  v128_t bias = wasm_i8x16_splat((int8_t)k_u8_bias), zero = wasm_f32x4_splat(0);
  v128_t f0[8];
  for (int r = 0; r < R; r++) f0[r] = zero;
  for (uint32_t g = 0; g < ng; g++) {
    v128_t acc0[8];
    for (int r = 0; r < R; r++) { /* −128·Σx of each block = −16·xs */
      acc0[r] = wasm_i32x4_neg(wasm_i32x4_shl(wasm_v128_load(xs + r * nb + 4 * g), 4));
    }
    const int8_t* xg = x + 128 * g;
#pragma clang loop unroll(disable)
    for (int m = 0; m < 8; m++) {
      v128_t u = wasm_v128_xor(wasm_v128_load(q0 + 128 * g + 16 * m), bias);
      for (int r = 0; r < R; r++) {
        acc0[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_v128_load(xg + r * k + 16 * m), u, acc0[r]);
      }
    }
    scale_group(f0, acc0, wasm_v128_load(d0 + 4 * g), xd, nb, g, R);
  }
  for (uint32_t b = ng * 4; b < nb; b++) {
    v128_t ua = wasm_v128_xor(wasm_v128_load(q0 + 32 * b), bias);
    v128_t ub = wasm_v128_xor(wasm_v128_load(q0 + 32 * b + 16), bias);
    for (int r = 0; r < R; r++) {
      v128_t s0 = dot_q8_0_block_u8(x + r * k + 32 * b, ua, ub, xs[r * nb + b]);
      f0[r] = MADD(wasm_f32x4_convert_i32x4(s0), wasm_f32x4_splat(d0[b] * xd[r * nb + b]), f0[r]);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(f0[r]);
}
#endif

#ifdef LOOM_RELAXED
/*
 * Two Q8_0 weight rows · R ≤ 4 x rows (decode of a few sequences): each x vector is loaded
 * once for both weight rows, and the 2R accumulator chains are independent, where a 1 × R
 * tile waits on R chains of dependent dots. Same arithmetic as tile1_q8_0 per (row, x row).
 */
INLINE void tile2_q8_0(const MatmulQ8Args* a, uint32_t j, uint32_t j1, uint32_t r0, int R, float res[8]) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, k = w->k;
  const int8_t* q0 = (const int8_t*)w->data + (uint64_t)j * w->row_bytes;
  const int8_t* q1 = (const int8_t*)w->data + (uint64_t)j1 * w->row_bytes;
  const float* d0 = w->scales + (uint64_t)j * nb;
  const float* d1 = w->scales + (uint64_t)j1 * nb;
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs = a->xs + (uint64_t)r0 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
  v128_t bias = wasm_i8x16_splat((int8_t)k_u8_bias), zero = wasm_f32x4_splat(0);
  v128_t f0[4], f1[4];
  for (int r = 0; r < R; r++) f0[r] = zero, f1[r] = zero;
  for (uint32_t g = 0; g < ng; g++) {
    v128_t acc0[4], acc1[4];
    for (int r = 0; r < R; r++) {
      acc0[r] = acc1[r] = wasm_i32x4_neg(wasm_i32x4_shl(wasm_v128_load(xs + r * nb + 4 * g), 4));
    }
    const int8_t* xg = x + 128 * g;
#pragma clang loop unroll(disable)
    for (int m = 0; m < 8; m++) {
      v128_t u0 = wasm_v128_xor(wasm_v128_load(q0 + 128 * g + 16 * m), bias);
      v128_t u1 = wasm_v128_xor(wasm_v128_load(q1 + 128 * g + 16 * m), bias);
      for (int r = 0; r < R; r++) {
        v128_t xv = wasm_v128_load(xg + r * k + 16 * m);
        acc0[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u0, acc0[r]);
        acc1[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u1, acc1[r]);
      }
    }
    scale_group(f0, acc0, wasm_v128_load(d0 + 4 * g), xd, nb, g, R);
    scale_group(f1, acc1, wasm_v128_load(d1 + 4 * g), xd, nb, g, R);
  }
  for (uint32_t b = ng * 4; b < nb; b++) {
    v128_t ua0 = wasm_v128_xor(wasm_v128_load(q0 + 32 * b), bias);
    v128_t ub0 = wasm_v128_xor(wasm_v128_load(q0 + 32 * b + 16), bias);
    v128_t ua1 = wasm_v128_xor(wasm_v128_load(q1 + 32 * b), bias);
    v128_t ub1 = wasm_v128_xor(wasm_v128_load(q1 + 32 * b + 16), bias);
    for (int r = 0; r < R; r++) {
      v128_t s0 = dot_q8_0_block_u8(x + r * k + 32 * b, ua0, ub0, xs[r * nb + b]);
      v128_t s1 = dot_q8_0_block_u8(x + r * k + 32 * b, ua1, ub1, xs[r * nb + b]);
      f0[r] = MADD(wasm_f32x4_convert_i32x4(s0), wasm_f32x4_splat(d0[b] * xd[r * nb + b]), f0[r]);
      f1[r] = MADD(wasm_f32x4_convert_i32x4(s1), wasm_f32x4_splat(d1[b] * xd[r * nb + b]), f1[r]);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(f0[r]), res[4 + r] = hsum(f1[r]);
}
#endif

#ifdef LOOM_RELAXED
/*
 * Two Q4_0 weight rows · R ≤ 4 x rows: tile2_q8_0's scheme on Q4_0 (tile1_q4_0's arithmetic
 * per (row, x row)).
 */
INLINE void tile2_q4_0(const MatmulQ8Args* a, uint32_t j, uint32_t j1, uint32_t r0, int R, float res[8]) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, k = w->k;
  const uint8_t* q0 = w->data + (uint64_t)j * w->row_bytes;
  const uint8_t* q1 = w->data + (uint64_t)j1 * w->row_bytes;
  const float* d0 = w->scales + (uint64_t)j * nb;
  const float* d1 = w->scales + (uint64_t)j1 * nb;
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs = a->xs + (uint64_t)r0 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
  v128_t mask = wasm_i8x16_splat((int8_t)k_nibble_mask), zero = wasm_f32x4_splat(0);
  v128_t f0[4], f1[4];
  for (int r = 0; r < R; r++) f0[r] = zero, f1[r] = zero;
  for (uint32_t g = 0; g < ng; g++) {
    v128_t acc0[4], acc1[4];
    for (int r = 0; r < R; r++) acc0[r] = acc1[r] = wasm_i32x4_neg(wasm_v128_load(xs + r * nb + 4 * g));
    const int8_t* xg = x + 128 * g;
#pragma clang loop unroll(disable)
    for (int m = 0; m < 4; m++) {
      v128_t p0 = wasm_v128_load(q0 + 64 * g + 16 * m), p1 = wasm_v128_load(q1 + 64 * g + 16 * m);
      v128_t u0 = wasm_v128_and(p0, mask), u1 = wasm_v128_and(p1, mask);
      for (int r = 0; r < R; r++) {
        v128_t xv = wasm_v128_load(xg + r * k + 16 * m);
        acc0[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u0, acc0[r]);
        acc1[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u1, acc1[r]);
      }
      u0 = wasm_v128_and(wasm_u16x8_shr(p0, 4), mask), u1 = wasm_v128_and(wasm_u16x8_shr(p1, 4), mask);
      for (int r = 0; r < R; r++) {
        v128_t xv = wasm_v128_load(xg + r * k + 64 + 16 * m);
        acc0[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u0, acc0[r]);
        acc1[r] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv, u1, acc1[r]);
      }
    }
    scale_group(f0, acc0, wasm_v128_load(d0 + 4 * g), xd, nb, g, R);
    scale_group(f1, acc1, wasm_v128_load(d1 + 4 * g), xd, nb, g, R);
  }
  for (uint32_t b = ng * 4; b < nb; b++) {
    v128_t p0 = wasm_v128_load(q0 + 16 * b), p1 = wasm_v128_load(q1 + 16 * b);
    v128_t l0 = wasm_v128_and(p0, mask), h0 = wasm_v128_and(wasm_u16x8_shr(p0, 4), mask);
    v128_t l1 = wasm_v128_and(p1, mask), h1 = wasm_v128_and(wasm_u16x8_shr(p1, 4), mask);
    for (int r = 0; r < R; r++) {
      v128_t s0 = dot_q4_0_block(x + r * k + 32 * b, l0, h0, xs[r * nb + b]);
      v128_t s1 = dot_q4_0_block(x + r * k + 32 * b, l1, h1, xs[r * nb + b]);
      f0[r] = MADD(wasm_f32x4_convert_i32x4(s0), wasm_f32x4_splat(d0[b] * xd[r * nb + b]), f0[r]);
      f1[r] = MADD(wasm_f32x4_convert_i32x4(s1), wasm_f32x4_splat(d1[b] * xd[r * nb + b]), f1[r]);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(f0[r]), res[4 + r] = hsum(f1[r]);
}
#endif

#ifdef LOOM_RELAXED
/* int8_tiles.relaxed.s: two weight rows · 4 x rows (arguments there) */
typedef void Tile2x4Groups(const void* q0, const void* q1, const float* d0, const float* d1,
                           const int8_t* x, const int32_t* xs, const float* xd, uint32_t k,
                           uint32_t rs, uint32_t ng, v128_t* out, uint32_t mask);
extern Tile2x4Groups loom_q4_0_2x4, loom_q8_0_2x4, loom_q4_k_2x4;

/*
 * Two weight rows · 4 x rows (Q4_0, Q8_0 or Q4_K, by the weight's dtype) in hand-written
 * wasm, the blocks after the whole groups too. 1.1B shapes against the C tile of 1 × 8 rows:
 * Q4_0 at 128 rows, one thread, 117–122 → 143–146 GFLOP/s; Q4_K, two threads, 183–188 →
 * 249–256. The blocks after the groups (K = 576: 2 of 18) ran in C here before and took a
 * third of the time of the 135M shapes' matmuls.
 */
INLINE void tile2x4(const MatmulQ8Args* a, uint32_t j, uint32_t j1, uint32_t r0, float res[8]) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, k = w->k;
  int q8 = w->dtype == DT_Q8_0;
  const uint8_t* q0 = w->data + (uint64_t)j * w->row_bytes;
  const uint8_t* q1 = w->data + (uint64_t)j1 * w->row_bytes;
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs = a->xs + (uint64_t)r0 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
  if (w->dtype == DT_Q4_K) { /* whole superblocks only: nothing after them */
    v128_t f[8];
    loom_q4_k_2x4(q0, q1, (const float*)q4k_scales_of(w, j), (const float*)q4k_scales_of(w, j1), x, xs,
                  xd, k, 4 * nb, k / 256, f, k_nibble_mask);
    for (int r = 0; r < 8; r++) res[r] = hsum(f[r]);
    return;
  }
  const float* d0 = w->scales + (uint64_t)j * nb;
  const float* d1 = w->scales + (uint64_t)j1 * nb;
  v128_t f[8];
  uint32_t nt = (nb - 4 * ng) << 8; /* the blocks after the whole groups, above the mask byte */
  if (q8) {
    loom_q8_0_2x4(q0, q1, d0, d1, x, xs, xd, k, 4 * nb, ng, f, k_u8_bias | nt);
  } else {
    loom_q4_0_2x4(q0, q1, d0, d1, x, xs, xd, k, 4 * nb, ng, f, k_nibble_mask | nt);
  }
  for (int r = 0; r < 8; r++) res[r] = hsum(f[r]);
}
#endif

/*
 * The int8 dot-product ceiling (bench:kernels, relaxed build): `iters` rounds of 12
 * independent relaxed dots of 16 bytes on registers only, no loads; out[ith] gets a checksum
 * so nothing is optimized away. The plain build has no single-instruction dot: it traps.
 */
typedef struct {
  uint32_t iters;
  int32_t* out;
} DotPeakArgs;

EXPORT(k_dot_peak)
void k_dot_peak(const DotPeakArgs* a, int ith, int nth) {
  (void)nth;
#ifdef LOOM_RELAXED
  v128_t x = wasm_i8x16_splat((int8_t)(ith + 3)), u = wasm_i8x16_splat((int8_t)(ith + 5));
  v128_t acc[12];
  for (int i = 0; i < 12; i++) acc[i] = wasm_i32x4_splat(i);
  for (uint32_t it = 0; it < a->iters; it++) {
#pragma clang loop unroll(full)
    for (int i = 0; i < 12; i++) acc[i] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(x, u, acc[i]);
  }
  v128_t s = acc[0];
  for (int i = 1; i < 12; i++) s = wasm_i32x4_add(s, acc[i]);
  a->out[ith] = hsum_i32(s);
#else
  (void)a, (void)ith;
  __builtin_trap();
#endif
}

/* 1 when the relaxed int8 dot multiplies bytes above 127 as unsigned and exactly. */
EXPORT(probe_u8dot)
int32_t probe_u8dot(void) {
#ifdef LOOM_RELAXED
  static volatile uint8_t u = 255;
  static volatile int8_t s = 127;
  v128_t r = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_i8x16_splat(s), wasm_i8x16_splat((int8_t)u),
                                                     wasm_i32x4_splat(0));
  return wasm_i32x4_extract_lane(r, 0) == 4 * 255 * 127 && wasm_i32x4_extract_lane(r, 3) == 4 * 255 * 127;
#else
  return 0;
#endif
}

/* Σ over 32 lanes of one Q8_0 weight block (pre-widened to int16: w[0..3]) · 32 int8 x. */
INLINE v128_t dot_q8_block(const v128_t* w, const int8_t* x) {
  v128_t x0 = wasm_v128_load(x), x1 = wasm_v128_load(x + 16);
  v128_t s = wasm_i32x4_dot_i16x8(w[0], wasm_i16x8_extend_low_i8x16(x0));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(w[1], wasm_i16x8_extend_high_i8x16(x0)));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(w[2], wasm_i16x8_extend_low_i8x16(x1)));
  return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(w[3], wasm_i16x8_extend_high_i8x16(x1)));
}

INLINE void widen_q8_block(const int8_t* q, v128_t* w) {
  v128_t q0 = wasm_v128_load(q), q1 = wasm_v128_load(q + 16);
  w[0] = wasm_i16x8_extend_low_i8x16(q0), w[1] = wasm_i16x8_extend_high_i8x16(q0);
  w[2] = wasm_i16x8_extend_low_i8x16(q1), w[3] = wasm_i16x8_extend_high_i8x16(q1);
}

INLINE void row_q8_0(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float* res) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, b;
  const int8_t* qs = (const int8_t*)w->data + (uint64_t)j * w->row_bytes;
  const float* dw = w->scales + (uint64_t)j * nb;
  v128_t zero = wasm_i32x4_splat(0);
  v128_t acc[4] = {zero, zero, zero, zero};
  for (uint32_t g = 0; g < ng; g++) {
    /* interleaved group: int16 dots split each block's lane in two (low bytes: blocks 0, 1;
     * high bytes: blocks 2, 3), folded after the 8 vectors */
    v128_t sl[4] = {zero, zero, zero, zero}, sh[4] = {zero, zero, zero, zero};
    for (int m = 0; m < 8; m++) {
      v128_t wv = wasm_v128_load(qs + 128 * g + 16 * m);
      v128_t wl = wasm_i16x8_extend_low_i8x16(wv), wh = wasm_i16x8_extend_high_i8x16(wv);
      for (int r = 0; r < R; r++) {
        v128_t xv = wasm_v128_load(a->xq + (uint64_t)(r0 + r) * w->k + 128 * g + 16 * m);
        sl[r] = wasm_i32x4_add(sl[r], wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(xv), wl));
        sh[r] = wasm_i32x4_add(sh[r], wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(xv), wh));
      }
    }
    v128_t d4 = wasm_v128_load(dw + 4 * g);
    for (int r = 0; r < R; r++) {
      uint64_t xb = (uint64_t)(r0 + r) * nb + 4 * g;
      v128_t lanes = wasm_i32x4_add(wasm_i32x4_shuffle(sl[r], sh[r], 0, 2, 4, 6),
                                    wasm_i32x4_shuffle(sl[r], sh[r], 1, 3, 5, 7));
      acc[r] = MADD(wasm_f32x4_convert_i32x4(lanes), wasm_f32x4_mul(d4, wasm_v128_load(a->xd + xb)), acc[r]);
    }
  }
  for (b = ng * 4; b < nb; b++) {
    v128_t w0[4];
    widen_q8_block(qs + 32 * b, w0);
    for (int r = 0; r < R; r++) {
      uint64_t xb = (uint64_t)(r0 + r) * nb + b;
      v128_t s = dot_q8_block(w0, a->xq + xb * 32);
      acc[r] = MADD(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(dw[b] * a->xd[xb]), acc[r]);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(acc[r]);
}


/* bytes 0..3 at p (unsigned) → f32x4 */
INLINE v128_t u8x4_f32(const uint8_t* p) {
  v128_t v = wasm_v128_load32_zero(p);
  return wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(v)));
}

/* The nibble-group dtypes of tile1_nib, and the sub-block dtypes of tile1_sub16. */
enum { NIB_Q4_K, NIB_Q5_K, NIB_AFFINE4, NIB_AFFINE5, NIB_IQ4, SUB_Q6_K, SUB_Q3_K, SUB_Q2_K };


/*
 * One weight row whose whole groups hold Q4_0's interleaved nibbles (common.h: Q4_K, Q5_K and
 * the affine Q4_1 / Q5_0 / Q5_1) · R ≤ 8 x rows. 8 lane-wise dots per group leave its 4 blocks'
 * Σ x·q in the 4 lanes (5-bit kinds OR each decoded vector's fifth bits in first, values 0..31,
 * still valid 7-bit operands); a block's sum is d_x · (a · Σ x·q + b · Σ x), with a = d·sc, b =
 * −dmin·m for the K-quants (decoded once per group for all R rows) and the planes' a, b for the
 * affine kinds, whose blocks after the whole groups are stored as they are (their fifth bits
 * already 0 or 16). IQ4 (IQ4_NL and IQ4_XS, repacked as Q4_0 with an f32 scale a block) maps
 * each nibble to its level + 128 with one swizzle, so only where the relaxed dot is exact for
 * unsigned bytes (u8dot); Σ x·level = Σ x·(level + 128) − 128·Σx.
 */
INLINE void tile1_nib(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8], int kind) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4, k = w->k;
  int five = kind == NIB_Q5_K || kind == NIB_AFFINE5, affine = kind == NIB_AFFINE4 || kind == NIB_AFFINE5;
  int iq4 = kind == NIB_IQ4;
  /* the IQ4 levels + 128 (1..241; int8 + 128 is the byte ^ 0x80), unsigned bytes for the dot */
  v128_t levels = wasm_v128_xor(wasm_v128_load(k_iq4_levels), wasm_i8x16_splat((int8_t)0x80));
  const uint8_t* q0 = w->data + (uint64_t)j * w->row_bytes;
  const uint8_t* hq = q0 + k / 2;
  const uint8_t* s0 = q4k_scales_of(w, j);
  const float* sa = w->scales + (uint64_t)j * (affine ? 2 : 1) * nb; /* a (and b) per block */
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs = a->xs + (uint64_t)r0 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
#ifdef LOOM_RELAXED
  v128_t mask = wasm_i8x16_splat((int8_t)k_nibble_mask), bit4 = wasm_i8x16_splat((int8_t)k_bit4_mask);
#else
  v128_t mask = wasm_i8x16_splat(0x0f), bit4 = wasm_i8x16_splat(0x10);
#endif
  v128_t zero = wasm_f32x4_splat(0);
  v128_t f0[8];
  float tail[8];
  for (int r = 0; r < R; r++) f0[r] = zero, tail[r] = 0.0f;
  for (uint32_t g = 0; g < ng; g++) {
    v128_t av, bv = zero;
    if (affine || iq4) {
      av = wasm_v128_load(sa + 4 * g);
      if (affine) bv = wasm_v128_load(sa + nb + 4 * g);
    } else {
      const uint8_t* sp = s0 + (g / 2) * Q4K_SCALE_BYTES;
      av = wasm_f32x4_mul(wasm_v128_load32_splat(sp), u8x4_f32(sp + 8 + 4 * (g % 2)));
      bv = wasm_f32x4_neg(wasm_f32x4_mul(wasm_v128_load32_splat(sp + 4), u8x4_f32(sp + 16 + 4 * (g % 2))));
    }
    v128_t hb = five ? wasm_v128_load(hq + 16 * g) : zero;
    Acc4 acc0[8];
    for (int r = 0; r < R; r++) acc0[r] = acc4_zero();
    const int8_t* xg = x + 128 * g;
#pragma clang loop unroll(disable)
    for (int m = 0; m < 4; m++) {
      v128_t p0 = wasm_v128_load(q0 + 64 * g + 16 * m);
      v128_t u0 = wasm_v128_and(p0, mask), h0 = wasm_v128_and(wasm_u16x8_shr(p0, 4), mask);
      if (iq4) u0 = wasm_i8x16_swizzle(levels, u0), h0 = wasm_i8x16_swizzle(levels, h0);
      if (five) {
        u0 = wasm_v128_or(u0, wasm_v128_and(wasm_i16x8_shl(hb, 4 - m), bit4));
        h0 = wasm_v128_or(h0, wasm_v128_and(wasm_u16x8_shr(hb, m), bit4));
      }
      for (int r = 0; r < R; r++) {
        acc0[r] = acc4_dot(acc0[r], wasm_v128_load(xg + r * k + 16 * m), u0);
        acc0[r] = acc4_dot(acc0[r], wasm_v128_load(xg + r * k + 64 + 16 * m), h0);
      }
    }
    for (int r = 0; r < R; r++) {
      v128_t dx = wasm_v128_load(xd + r * nb + 4 * g);
      v128_t xs8 = wasm_v128_load(xs + r * nb + 4 * g); /* 8·Σx of each block */
      v128_t sums = acc4_lanes(acc0[r]);
      if (iq4) sums = wasm_i32x4_sub(sums, wasm_i32x4_shl(xs8, 4)); /* − 128·Σx */
      f0[r] = MADD(wasm_f32x4_convert_i32x4(sums), wasm_f32x4_mul(av, dx), f0[r]);
      if (!iq4) f0[r] = MADD(wasm_f32x4_convert_i32x4(wasm_i32x4_shr(xs8, 3)), wasm_f32x4_mul(bv, dx), f0[r]);
    }
  }
  /* blocks after the whole groups (affine kinds and IQ4; K-quant rows have none) */
  for (uint32_t b = 4 * ng; (affine || iq4) && b < nb; b++) {
    uint32_t t = b - 4 * ng;
    v128_t p0 = wasm_v128_load(q0 + 16 * b);
    v128_t lo = wasm_v128_and(p0, mask), hi = wasm_v128_and(wasm_u16x8_shr(p0, 4), mask);
    if (iq4) lo = wasm_i8x16_swizzle(levels, lo), hi = wasm_i8x16_swizzle(levels, hi);
    if (five) {
      lo = wasm_v128_or(lo, wasm_v128_load(hq + 16 * ng + 32 * t));
      hi = wasm_v128_or(hi, wasm_v128_load(hq + 16 * ng + 32 * t + 16));
    }
    for (int r = 0; r < R; r++) {
      const int8_t* xb = x + r * k + 32 * b;
      v128_t s = dot2_u4(wasm_v128_load(xb), lo, wasm_v128_load(xb + 16), hi);
      if (iq4) s = wasm_i32x4_sub(s, wasm_i32x4_splat(xs[r * nb + b] << 2)); /* 128·Σx over 4 lanes */
      float dx = xd[r * nb + b];
      f0[r] = MADD(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(sa[b] * dx), f0[r]);
      if (affine) tail[r] += sa[nb + b] * dx * (float)(xs[r * nb + b] >> 3);
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(f0[r]) + tail[r];
}

INLINE void tile1_q4_k(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_nib(a, j, r0, R, res, NIB_Q4_K);
}
INLINE void tile1_q5_k(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_nib(a, j, r0, R, res, NIB_Q5_K);
}
INLINE void tile1_q4_1(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_nib(a, j, r0, R, res, NIB_AFFINE4);
}
INLINE void tile1_q5_x(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_nib(a, j, r0, R, res, NIB_AFFINE5);
}
INLINE void tile1_iq4(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_nib(a, j, r0, R, res, NIB_IQ4);
}

/*
 * One repacked Q6_K, Q3_K or Q2_K weight row (common.h) · R ≤ 8 x rows: per group of 128
 * values, the 4 vectors of lanes A (first 16-value sub-block of each block of 32), then the 4
 * of lanes B, each decoded once for all R rows; 4 dots leave the 4 sub-block sums Σ x·u in the
 * 4 lanes. Q6_K and Q3_K subtract their offset (32 or 4) times Σx (xs16, in the same A/B
 * order), then one convert and one multiply-add by the sub-block scale · d_x per half-group
 * and row; Q2_K instead adds −dmin·m · Σx. The plain build widens to int16 (Acc4).
 */
INLINE void tile1_sub16(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8], int kind) {
  const WeightDesc* w = a->w;
  uint32_t ng = w->k / 128, nb = w->k / 32, k = w->k;
  const uint8_t* q0 = w->data + (uint64_t)j * w->row_bytes;
  uint32_t group_bytes = kind == SUB_Q6_K ? Q6K_GROUP_BYTES : kind == SUB_Q3_K ? Q3K_GROUP_BYTES : Q2K_GROUP_BYTES;
  uint32_t scale_bytes = kind == SUB_Q3_K ? Q3K_SCALE_BYTES : Q2K_SCALE_BYTES;
  const float* s6 = w->scales + (uint64_t)j * (k / 16);
  const uint8_t* s0 = (const uint8_t*)w->scales + (uint64_t)j * (k / 256) * scale_bytes;
  const int8_t* x = a->xq + (uint64_t)r0 * k;
  const int32_t* xs16 = a->xs16 + (uint64_t)r0 * 2 * nb;
  const float* xd = a->xd + (uint64_t)r0 * nb;
#ifdef LOOM_RELAXED
  v128_t m4 = wasm_i8x16_splat((int8_t)k_nibble_mask), m30 = wasm_i8x16_splat((int8_t)k_high2_mask);
  v128_t m3 = wasm_i8x16_splat((int8_t)k_low2_mask), m4b = wasm_i8x16_splat((int8_t)k_bit2_mask);
#else
  v128_t m4 = wasm_i8x16_splat(0x0f), m30 = wasm_i8x16_splat(0x30);
  v128_t m3 = wasm_i8x16_splat(0x03), m4b = wasm_i8x16_splat(0x04);
#endif
  v128_t zero = wasm_f32x4_splat(0);
  v128_t f0[8];
  for (int r = 0; r < R; r++) f0[r] = zero;
  for (uint32_t g = 0; g < ng; g++) {
    const int8_t* xg = x + 128 * g;
    const uint8_t* qg = q0 + group_bytes * g;
    const uint8_t* sp = s0 + (g / 2) * scale_bytes;
#pragma clang loop unroll(disable)
    for (int h = 0; h < 2; h++) {
      v128_t u[4], sw, mw = zero;
      if (kind == SUB_Q6_K) {
        q6k_decode_half(qg, h, m4, m30, u);
        sw = wasm_v128_load(s6 + 8 * g + 4 * h);
      } else if (kind == SUB_Q3_K) {
        q3k_decode_half(qg, h, m3, m4b, u);
        v128_t sc8 = wasm_v128_load32_zero(sp + 4 + 8 * (g % 2) + 4 * h);
        sw = wasm_f32x4_mul(wasm_v128_load32_splat(sp), wasm_f32x4_convert_i32x4(
            wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(sc8))));
      } else {
        v128_t lo = wasm_v128_load(qg + 16 * h);
        for (int m = 0; m < 4; m++) u[m] = wasm_v128_and(wasm_u16x8_shr(lo, 2 * m), m3);
        v128_t b4 = wasm_u32x4_extend_low_u16x8(
            wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(sp + 8 + 8 * (g % 2) + 4 * h)));
        sw = wasm_f32x4_mul(wasm_v128_load32_splat(sp),
                            wasm_f32x4_convert_i32x4(wasm_v128_and(b4, wasm_i32x4_splat(15))));
        mw = wasm_f32x4_neg(wasm_f32x4_mul(wasm_v128_load32_splat(sp + 4),
                                           wasm_f32x4_convert_i32x4(wasm_u32x4_shr(b4, 4))));
      }
      for (int r = 0; r < R; r++) {
        Acc4 acc = acc4_zero();
        for (int m = 0; m < 4; m++) acc = acc4_dot(acc, wasm_v128_load(xg + r * k + 64 * h + 16 * m), u[m]);
        v128_t x16 = wasm_v128_load(xs16 + r * 2 * nb + 8 * g + 4 * h);
        v128_t dx = wasm_v128_load(xd + r * nb + 4 * g);
        v128_t sums = acc4_lanes(acc);
        if (kind != SUB_Q2_K) sums = wasm_i32x4_sub(sums, wasm_i32x4_shl(x16, kind == SUB_Q6_K ? 5 : 2));
        f0[r] = MADD(wasm_f32x4_convert_i32x4(sums), wasm_f32x4_mul(sw, dx), f0[r]);
        if (kind == SUB_Q2_K) f0[r] = MADD(wasm_f32x4_convert_i32x4(x16), wasm_f32x4_mul(mw, dx), f0[r]);
      }
    }
  }
  for (int r = 0; r < R; r++) res[r] = hsum(f0[r]);
}

INLINE void tile1_q6_k(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_sub16(a, j, r0, R, res, SUB_Q6_K);
}
INLINE void tile1_q3_k(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_sub16(a, j, r0, R, res, SUB_Q3_K);
}
INLINE void tile1_q2_k(const MatmulQ8Args* a, uint32_t j, uint32_t r0, int R, float res[8]) {
  tile1_sub16(a, j, r0, R, res, SUB_Q2_K);
}

#define TILE(fn)                                                   \
  do {                                                             \
    uint32_t r0 = 0;                                               \
    for (; r0 + 4 <= rows; r0 += 4) {                             \
      fn(a, j, r0, 4, res);                                        \
      for (int r = 0; r < 4; r++) a->out[(r0 + r) * a->out_stride + j] = res[r]; \
    }                                                              \
    switch (rows - r0) {                                           \
      case 3: fn(a, j, r0, 3, res); break;                         \
      case 2: fn(a, j, r0, 2, res); break;                         \
      case 1: fn(a, j, r0, 1, res); break;                         \
      default: break;                                              \
    }                                                              \
    for (uint32_t r = r0; r < rows; r++) a->out[r * a->out_stride + j] = res[r - r0]; \
  } while (0)

#ifdef LOOM_RELAXED
/*
 * One Q4_0 weight row · one x row (batch-1 decode): each whole group's 8 x vectors
 * are loaded first, then the 4 weight vectors stream through 8 dots. Measured 10–15 % faster
 * than row_q4_0 here; two weight rows at a time (x vectors shared) ran at half the speed with
 * weights from DRAM, so each thread keeps one weight stream.
 */
INLINE float row1_q4_0(const MatmulQ8Args* a, uint32_t j) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4;
  const uint8_t* q = w->data + (uint64_t)j * w->row_bytes;
  const float* d = w->scales + (uint64_t)j * nb;
  v128_t mask = wasm_i8x16_splat((int8_t)k_nibble_mask), f = wasm_f32x4_splat(0);
  for (uint32_t g = 0; g < ng; g++) {
    v128_t xv[8];
    for (int m = 0; m < 8; m++) xv[m] = wasm_v128_load(a->xq + 128 * g + 16 * m);
    v128_t acc = wasm_i32x4_neg(wasm_v128_load(a->xs + 4 * g));
    for (int m = 0; m < 4; m++) {
      v128_t p = wasm_v128_load(q + 64 * g + 16 * m);
      acc = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv[m], wasm_v128_and(p, mask), acc);
      acc = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(xv[m + 4], wasm_v128_and(wasm_u16x8_shr(p, 4), mask), acc);
    }
    f = MADD(wasm_f32x4_convert_i32x4(acc), wasm_f32x4_mul(wasm_v128_load(d + 4 * g), wasm_v128_load(a->xd + 4 * g)), f);
  }
  for (uint32_t b = ng * 4; b < nb; b++) { /* blocks after the last whole group, stored plainly */
    v128_t p = wasm_v128_load(q + 16 * b);
    v128_t s = dot_q4_0_block(a->xq + 32 * b, wasm_v128_and(p, mask),
                              wasm_v128_and(wasm_u16x8_shr(p, 4), mask), a->xs[b]);
    f = MADD(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(d[b] * a->xd[b]), f);
  }
  return hsum(f);
}
#endif

#ifdef LOOM_RELAXED
/* int8_tiles.relaxed.s: four Q4_0 weight rows · one x row over the whole groups */
extern void loom_q4_0_4x1(const uint8_t* q0, uint32_t qs, const float* d0, uint32_t ds, const int8_t* x,
                          const int32_t* xs, const float* xd, uint32_t ng, v128_t* out, uint32_t mask);

/*
 * Q4_0 weight rows j, j + q, j + 2q, j + 3q · the one x row (batch-1 decode): the whole
 * groups in loom_q4_0_4x1, the blocks after them here, like row1_q4_0.
 */
INLINE void rows4_q4_0(const MatmulQ8Args* a, uint32_t j, uint32_t q, float res[4]) {
  const WeightDesc* w = a->w;
  uint32_t nb = w->k / 32, ng = nb / 4;
  const uint8_t* q0 = w->data + (uint64_t)j * w->row_bytes;
  const float* d0 = w->scales + (uint64_t)j * nb;
  v128_t f[4];
  loom_q4_0_4x1(q0, q * w->row_bytes, d0, q * nb * 4, a->xq, a->xs, a->xd, ng, f, k_nibble_mask);
  v128_t mask = wasm_i8x16_splat((int8_t)k_nibble_mask);
  for (int i = 0; i < 4; i++) {
    const uint8_t* qi = q0 + (uint64_t)i * q * w->row_bytes;
    const float* di = d0 + (uint64_t)i * q * nb;
    for (uint32_t b = ng * 4; b < nb; b++) { /* blocks after the last whole group */
      v128_t p = wasm_v128_load(qi + 16 * b);
      v128_t s = dot_q4_0_block(a->xq + 32 * b, wasm_v128_and(p, mask),
                                wasm_v128_and(wasm_u16x8_shr(p, 4), mask), a->xs[b]);
      f[i] = MADD(wasm_f32x4_convert_i32x4(s), wasm_f32x4_splat(di[b] * a->xd[b]), f[i]);
    }
    res[i] = hsum(f[i]);
  }
}
#endif

/* fn(a, row, r0, R, res8) with R a compile-time constant, so the row loops unroll */
#define TILE8(fn, row, R)                         \
  switch (R) {                                    \
    case 8: fn(a, row, r0, 8, res8); break;       \
    case 7: fn(a, row, r0, 7, res8); break;       \
    case 6: fn(a, row, r0, 6, res8); break;       \
    case 5: fn(a, row, r0, 5, res8); break;       \
    case 4: fn(a, row, r0, 4, res8); break;       \
    case 3: fn(a, row, r0, 3, res8); break;       \
    case 2: fn(a, row, r0, 2, res8); break;       \
    default: fn(a, row, r0, 1, res8); break;      \
  }

#ifndef JB
#define JB 32
#endif

/* fn(a, jj, j1, s0, R, res8) for weight rows jj and j1 with R ≤ 4 a compile-time constant */
#define TILE2(fn, R, s0)                          \
  switch (R) {                                    \
    case 4: fn(a, jj, j1, s0, 4, res8); break;    \
    case 3: fn(a, jj, j1, s0, 3, res8); break;    \
    case 2: fn(a, jj, j1, s0, 2, res8); break;    \
    default: fn(a, jj, j1, s0, 1, res8); break;   \
  }

#ifdef LOOM_RELAXED
extern void loom_q4_k_4x1(const uint8_t* q0, uint32_t qs, const uint8_t* s0, uint32_t ss, const int8_t* x,
                          const int32_t* xs, const float* xd, uint32_t nsb, v128_t* out, uint32_t mask);

/*
 * Q4_K weight rows j, j + q, j + 2q, j + 3q · the one x row (batch-1 decode) in
 * loom_q4_k_4x1 (K is whole superblocks). 1.1B FFN shape, 2 threads: the C 1 × R tile ran
 * 98 GFLOP/s with the weights in cache, 92 from DRAM: compute-bound.
 */
INLINE void rows4_q4_k(const MatmulQ8Args* a, uint32_t j, uint32_t q, float res[4]) {
  const WeightDesc* w = a->w;
  uint32_t nsb = w->k / 256;
  v128_t f[4];
  loom_q4_k_4x1(w->data + (uint64_t)j * w->row_bytes, q * w->row_bytes, q4k_scales_of(w, j),
                q * nsb * Q4K_SCALE_BYTES, a->xq, a->xs, a->xd, nsb, f, k_nibble_mask);
  for (int i = 0; i < 4; i++) res[i] = hsum(f[i]);
}
#endif

/* out[r0 + r][col] ← res[r] (+ bias[col]) for the R x rows of a tile */
INLINE void store_column(const MatmulQ8Args* a, uint32_t r0, int R, uint32_t col, const float* res) {
  float b = a->bias ? a->bias[col] : 0.0f;
  for (int r = 0; r < R; r++) a->out[(r0 + r) * a->out_stride + col] = res[r] + b;
}

EXPORT(k_matmul_q8)
void k_matmul_q8(const MatmulQ8Args* a, int ith, int nth) {
  uint32_t n = a->w->n, rows = a->rows, lo, hi;
  share_of((n + 3) / 4, ith, nth, &lo, &hi);
  uint32_t j_lo = lo * 4, j_hi = hi * 4 < n ? hi * 4 : n;
  float res[4], res8[8];
  uint32_t j = j_lo;
#ifdef LOOM_RELAXED
  if (rows == 1 && (a->w->dtype == DT_Q4_0 || a->w->dtype == DT_Q4_K)) {
    /* four weight streams a quarter of the share apart; the rows left over: Q4_0 one at a
     * time here, Q4_K in the 1 × R tile below */
    int k4 = a->w->dtype == DT_Q4_K;
    uint32_t q = (j_hi - j) / 4;
    for (uint32_t i = 0; i < q; i++) {
      if (k4) {
        rows4_q4_k(a, j + i, q, res);
      } else {
        rows4_q4_0(a, j + i, q, res);
      }
      for (int r = 0; r < 4; r++) store_column(a, 0, 1, j + i + r * q, res + r);
    }
    j += 4 * q;
    for (; !k4 && j < j_hi; j++) a->out[j] = row1_q4_0(a, j) + (a->bias ? a->bias[j] : 0.0f);
  }
  int q4 = a->w->dtype == DT_Q4_0 && rows >= 2, q8 = a->w->dtype == DT_Q8_0 && a->u8dot;
  int q6 = a->w->dtype == DT_Q6_K, qk = a->w->dtype == DT_Q4_K, q5 = a->w->dtype == DT_Q5_K;
  int qa = a->w->dtype == DT_Q4_1 || a->w->dtype == DT_Q5_0 || a->w->dtype == DT_Q5_1;
  int q3 = a->w->dtype == DT_Q3_K, q2 = a->w->dtype == DT_Q2_K;
  int qi = (a->w->dtype == DT_IQ4_NL || a->w->dtype == DT_IQ4_XS) && a->u8dot;
  if (q4 || q8 || q6 || qk || q5 || qa || q3 || q2 || qi) {
    /* one weight row × up to 8 x rows at a time; weight rows in blocks of JB, so a block's
     * weights stay in cache while every chunk of 8 x rows passes (x of a 128-token prefill
     * is up to 720 KB: walking all of it for each weight row ran out of L2). Up to 8 x rows
     * pass once, so the block is the whole share: the two weight streams of the 2 × 4 tile
     * below then run the share's length instead of restarting every 16 rows (135M Q8_0
     * shapes, K = 576, weights from DRAM, 2 threads, 4 rows: 86 → 156 GFLOP/s) */
    uint32_t jb = rows <= 8 ? j_hi - j : JB;
    for (; j < j_hi; j += jb) {
      uint32_t jb_end = j + jb < j_hi ? j + jb : j_hi;
      for (uint32_t r0 = 0; r0 < rows; r0 += 8) {
        int R = rows - r0 < 8 ? (int)(rows - r0) : 8;
        uint32_t jj = j;
        if (q4 || q8 || (qk && R >= 4)) { /* (Q4_K with fewer rows: the 1 × R tile below) */
          /* two weight rows · 4 x rows at a time (tile2x4; fewer x rows: tile2_*), each x
           * vector serving both weight rows. Rows jj and jj + half: each weight stream stays
           * sequential (rows jj and jj + 1 read together ran 4× slower from DRAM on the
           * 1.1B shapes: the prefetcher lost them). An odd last row takes the 1 × R tile. */
          uint32_t half = (jb_end - j) / 2;
          for (; jj < j + half; jj++) {
            uint32_t j1 = jj + half;
            for (uint32_t s0 = r0; s0 < r0 + (uint32_t)R; s0 += 4) {
              int S = r0 + R - s0 < 4 ? (int)(r0 + R - s0) : 4;
              if (S == 4) {
                tile2x4(a, jj, j1, s0, res8);
              } else if (q4) {
                TILE2(tile2_q4_0, S, s0);
              } else if (q8) {
                TILE2(tile2_q8_0, S, s0);
              } else { /* Q4_K: the 1 × R tile for each of the two rows */
                uint32_t r0 = s0;
                float res1[8];
                TILE8(tile1_q4_k, jj, S);
                for (int r = 0; r < S; r++) res1[r] = res8[r];
                TILE8(tile1_q4_k, j1, S);
                for (int r = 0; r < S; r++) res8[4 + r] = res8[r], res8[r] = res1[r];
              }
              store_column(a, s0, S, jj, res8);
              store_column(a, s0, S, j1, res8 + 4);
            }
          }
          jj += half;
        }
        for (; jj < jb_end; jj++) {
          if (q4) {
            TILE8(tile1_q4_0, jj, R);
          } else if (q6) {
            TILE8(tile1_q6_k, jj, R);
          } else if (q5) {
            TILE8(tile1_q5_k, jj, R);
          } else if (q3) {
            TILE8(tile1_q3_k, jj, R);
          } else if (q2) {
            TILE8(tile1_q2_k, jj, R);
          } else if (qi) {
            TILE8(tile1_iq4, jj, R);
          } else if (qa && a->w->dtype == DT_Q4_1) {
            TILE8(tile1_q4_1, jj, R);
          } else if (qa) {
            TILE8(tile1_q5_x, jj, R);
          } else if (qk) {
            TILE8(tile1_q4_k, jj, R);
          } else {
            TILE8(tile1_q8_0, jj, R);
          }
          store_column(a, r0, R, jj, res8);
        }
      }
    }
  }
#endif
  for (; j < j_hi; j++) {
    switch (a->w->dtype) {
      case DT_Q4_0: TILE(row_q4_0); break;
      case DT_Q8_0: TILE(row_q8_0); break;
      case DT_Q4_K: /* K-quants and affine blocks: one weight row decoded once for up to 8 x rows */
      case DT_Q5_K:
      case DT_Q6_K:
      case DT_Q4_1:
      case DT_Q5_0:
      case DT_Q5_1:
      case DT_Q3_K:
      case DT_Q2_K:
        for (uint32_t r0 = 0; r0 < rows; r0 += 8) {
          int R = rows - r0 < 8 ? (int)(rows - r0) : 8;
          if (a->w->dtype == DT_Q4_K) {
            TILE8(tile1_q4_k, j, R);
          } else if (a->w->dtype == DT_Q5_K) {
            TILE8(tile1_q5_k, j, R);
          } else if (a->w->dtype == DT_Q4_1) {
            TILE8(tile1_q4_1, j, R);
          } else if (a->w->dtype == DT_Q3_K) {
            TILE8(tile1_q3_k, j, R);
          } else if (a->w->dtype == DT_Q2_K) {
            TILE8(tile1_q2_k, j, R);
          } else if (a->w->dtype != DT_Q6_K) {
            TILE8(tile1_q5_x, j, R);
          } else {
            TILE8(tile1_q6_k, j, R);
          }
          for (int r = 0; r < R; r++) a->out[(r0 + r) * a->out_stride + j] = res8[r];
        }
        break;
      default: __builtin_trap();
    }
    if (a->bias) {
      for (uint32_t r = 0; r < rows; r++) a->out[r * a->out_stride + j] += a->bias[j];
    }
  }
}
