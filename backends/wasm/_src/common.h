/*
 * Shared helpers of Loom's WASM kernels: types, f16/bf16 conversions, expf, SIMD sums.
 *
 * Every kernel is `void k_name(const Args* a, int ith, int nth)` and computes chunk `ith` of
 * `nth` of its work; the threads of a split call (../_threads.ts) claim chunks over one
 * shared memory. Per-chunk scratch is indexed by `ith`. Arguments are a struct of 4-byte
 * fields the TypeScript side writes in order (../ops.ts); pointers are byte offsets into
 * the shared memory. Kernels keep no state between calls.
 */
#ifndef LOOM_COMMON_H
#define LOOM_COMMON_H

#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name), used))
#define INLINE static inline __attribute__((always_inline))

/* Weight dtypes, by their GGML type ids (core/dtype.ts). */
enum {
  DT_F32 = 0,
  DT_F16 = 1,
  DT_Q4_0 = 2,
  DT_Q4_1 = 3,
  DT_Q5_0 = 6,
  DT_Q5_1 = 7,
  DT_Q8_0 = 8,
  DT_Q2_K = 10,
  DT_Q3_K = 11,
  DT_Q4_K = 12,
  DT_Q5_K = 13,
  DT_Q6_K = 14,
  DT_IQ4_NL = 20,
  DT_IQ4_XS = 23,
  DT_BF16 = 30,
};

/*
 * A weight resident in memory. `data` holds rows of `k` values in the stored format, except
 * Q8_0, Q4_0, Q4_K, Q5_K and Q6_K, which are repacked at load into a quant plane (`data`:
 * Q8_0 int8 [n, k]; Q4_0 and Q4_K nibbles [n, k/2]; Q5_K [n, 5k/8]; Q6_K [n, 3k/4], see
 * below) and a scale plane (`scales`: f32 [n, k/32]; Q6_K f32 [n, k/16]; Q4_K and Q5_K 24
 * bytes per 256 values).
 *
 * Q4_0 and Q8_0 rows are interleaved in groups of 4 blocks (Q4_0: 64 bytes, Q8_0: 128):
 * 32-bit word m (Q4_0: 0..3, Q8_0: 0..7) of block k (0..3) sits at word 4m + k, so a 16-byte
 * vector holds the same 4 bytes of 4 blocks and an int8 dot product's lane k sums block k
 * alone (see matmul_q8.c). Blocks after the last whole group stay as they are.
 * quad_transpose converts either way.
 */
typedef struct {
  uint32_t dtype;
  uint32_t n;         /* rows (output features) */
  uint32_t k;         /* values per row */
  uint8_t* data;
  float* scales;      /* repacked dtypes only */
  uint32_t row_bytes; /* bytes of one row in `data` */
} WeightDesc;

/*
 * Q6_K rows are repacked at load too (repack_q6_k), into groups of 128 values that match
 * the interleaved activations: value vector v (0..7) of a group holds word v of its 4
 * blocks of 32 (byte 4i + t = value 32i + 4v + t, 6 bits, 0..63), so vectors 0..3 carry the
 * first 16-value sub-block of each block (lanes A) and 4..7 the second (lanes B). A group
 * is 96 bytes: 4 nibble vectors (vector m's low 4 bits in the low nibbles, vector m + 4's
 * in the high nibbles), then 2 vectors of the 2 high bits (byte j of the first: bits 2s,
 * 2s + 1 = vector s's, s = 0..3; the second: vectors 4..7). `scales` holds d·sc of each
 * sub-block, 8 f32 a group: the A lanes' 4, then the B lanes'.
 */
#define Q6K_GROUP_BYTES 96

/*
 * Q4_K rows are repacked (repack_q4_k) into Q4_0's interleaved nibble layout, one block of
 * 32 per sub-block, and 24 bytes a superblock of 256 in `scales`: f32 d, f32 dmin, the 8
 * 6-bit scales and the 8 mins as bytes.
 */
#define Q4K_SCALE_BYTES 24

/*
 * Q5_K rows are repacked (repack_q5_k) as Q4_K's low 4 bits and scales, followed in the same
 * row by a plane of the fifth bits, 16 bytes a group of 128 values: byte 4i + t holds, at bit
 * m, the fifth bit of the value in nibble vector m's low nibble at byte 4i + t (block i of
 * the group) and, at bit 4 + m, that of its high nibble. A row is 5k/8 bytes.
 */

/*
 * Q4_1, Q5_0 and Q5_1 rows are repacked (repack_q4_1, repack_q5_0, repack_q5_1) as affine
 * blocks of 32, value = a·q + b with q of 4 or 5 bits (Q5_0: a = d, b = −16·d): the nibbles as
 * Q4_0's (whole groups of 4 blocks interleaved, the blocks after them as stored); for 5 bits,
 * the fifth bits follow in the row, 16 bytes a whole group laid out as Q5_K's, then 32 bytes a
 * block after the groups (byte l: value l's fifth bit as 0 or 16). `scales` holds a row's nb
 * values a, then its nb values b (f32).
 */
INLINE uint32_t affine_row_bytes(uint32_t k, int five) {
  uint32_t nb = k / 32;
  return k / 2 + (five ? 16 * (nb / 4) + 32 * (nb % 4) : 0);
}

/* Where Q4_K weight row j's scale bytes start (k / 256 superblocks of Q4K_SCALE_BYTES). */
INLINE const uint8_t* q4k_scales_of(const WeightDesc* w, uint32_t j) {
  return (const uint8_t*)w->scales + (uint64_t)j * (w->k / 256) * Q4K_SCALE_BYTES;
}

/*
 * Vectors 4h..4h+3 (h = 0: lanes A, 1: lanes B) of the repacked Q6_K group at g, values
 * 0..63. m4 = splat(0x0f), m30 = splat(0x30) (passed in: V8 rebuilds constants in registers).
 */
INLINE void q6k_decode_half(const uint8_t* g, int h, v128_t m4, v128_t m30, v128_t u[4]) {
  v128_t hb = wasm_v128_load(g + 64 + 16 * h);
  /* bits 2s, 2s+1 of each byte moved to bits 4, 5 (16-bit shifts: the mask drops what
   * crossed a byte) */
  v128_t hi[4] = {wasm_v128_and(wasm_i16x8_shl(hb, 4), m30), wasm_v128_and(wasm_i16x8_shl(hb, 2), m30),
                  wasm_v128_and(hb, m30), wasm_v128_and(wasm_u16x8_shr(hb, 2), m30)};
  for (int m = 0; m < 4; m++) {
    v128_t p = wasm_v128_load(g + 16 * m);
    v128_t lo = h ? wasm_v128_and(wasm_u16x8_shr(p, 4), m4) : wasm_v128_and(p, m4);
    u[m] = wasm_v128_or(lo, hi[m]);
  }
}

/*
 * Q3_K rows are repacked (repack_q3_k) into groups of 128 values interleaved as Q6_K's (value
 * vector v of a group: byte 4i + t = value 32i + 4v + t; vectors 0..3 lanes A, 4..7 lanes B),
 * each value u = q + 4·hmask bit (0..7, the weight is d·sc·(u − 4)). A group is 48 bytes: 2
 * vectors of the low 2 bits (vector v's at bits 2(v % 4) of the first, v < 4, or the
 * second), then 1 vector of the third bits (vector v's at bit v). `scales` holds 20 bytes a
 * superblock of 256: f32 d, then each group's 8 int8 scales sc − 32, its A lanes' 4, then its
 * B lanes'.
 */
#define Q3K_GROUP_BYTES 48
#define Q3K_SCALE_BYTES 20

/*
 * Vectors 4h..4h+3 of the repacked Q3_K group at g, values 0..7. m3 = splat(0x03), m4b =
 * splat(0x04).
 */
INLINE void q3k_decode_half(const uint8_t* g, int h, v128_t m3, v128_t m4b, v128_t u[4]) {
  v128_t lo = wasm_v128_load(g + 16 * h), hb = wasm_v128_load(g + 32);
  /* third bit v = 4h + m to bit 2 (16-bit shifts: the masks drop what crossed a byte) */
  v128_t hi[4] = {
      h ? wasm_u16x8_shr(hb, 2) : wasm_i16x8_shl(hb, 2), h ? wasm_u16x8_shr(hb, 3) : wasm_i16x8_shl(hb, 1),
      h ? wasm_u16x8_shr(hb, 4) : hb, h ? wasm_u16x8_shr(hb, 5) : wasm_u16x8_shr(hb, 1)};
  u[0] = wasm_v128_or(wasm_v128_and(lo, m3), wasm_v128_and(hi[0], m4b));
  u[1] = wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(lo, 2), m3), wasm_v128_and(hi[1], m4b));
  u[2] = wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(lo, 4), m3), wasm_v128_and(hi[2], m4b));
  u[3] = wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(lo, 6), m3), wasm_v128_and(hi[3], m4b));
}

/*
 * Q2_K rows are repacked (repack_q2_k) as Q3_K's low-bit planes alone: 32 bytes a group of
 * 128 values (q = 0..3; the weight is d·(sc & 15)·q − dmin·(sc >> 4)). `scales` holds 24
 * bytes a superblock: f32 d, f32 dmin, then each group's 8 scale bytes (ggml's, 4-bit scale
 * and 4-bit min), its A lanes' 4, then its B lanes'.
 */
#define Q2K_GROUP_BYTES 32
#define Q2K_SCALE_BYTES 24

/* The 16 levels of IQ4_NL and IQ4_XS (GGML's table), indexed by a value's 4-bit index. */
static const int8_t k_iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* ---- bit casts ---- */

INLINE float as_f32(uint32_t u) {
  union { uint32_t u; float f; } v = {u};
  return v.f;
}
INLINE uint32_t as_u32(float f) {
  union { float f; uint32_t u; } v = {f};
  return v.u;
}

/* ---- f16 / bf16 ---- */

/* IEEE binary16 → f32, exact for every finite value (subnormals included). */
INLINE float f16_to_f32(uint16_t h) {
  uint32_t em = h & 0x7fffu;
  float f = as_f32(em << 13) * 0x1p112f;
  if (em >= 0x7c00u) f = as_f32(0x7f800000u | ((uint32_t)(h & 0x3ffu) << 13));
  return as_f32(as_u32(f) | ((uint32_t)(h & 0x8000u) << 16));
}

/* Four f16 values (low 16 bits of each u32 lane) → f32x4; finite values only. */
INLINE v128_t f16x4_to_f32x4(v128_t h32) {
  v128_t em = wasm_v128_and(h32, wasm_i32x4_splat(0x7fff));
  v128_t sign = wasm_i32x4_shl(wasm_v128_and(h32, wasm_i32x4_splat(0x8000)), 16);
  v128_t f = wasm_f32x4_mul(wasm_i32x4_shl(em, 13), wasm_f32x4_splat(0x1p112f));
  return wasm_v128_or(f, sign);
}

/* f32 → IEEE binary16, round to nearest even (as core/quant/f16.ts f32ToF16). */
INLINE uint16_t f32_to_f16(float value) {
  uint32_t x = as_u32(value);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = (int32_t)((x >> 23) & 0xffu);
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  int32_t e = exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t half = 1u << (shift - 1);
    uint32_t r = mant >> shift;
    uint32_t rest = mant & ((1u << shift) - 1);
    if (rest > half || (rest == half && (r & 1u))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = mant >> 13;
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (r & 1u))) {
    r++;
    if (r == 0x400u) {
      r = 0;
      e++;
      if (e >= 31) return (uint16_t)(sign | 0x7c00u);
    }
  }
  return (uint16_t)(sign | ((uint32_t)e << 10) | r);
}

INLINE float bf16_to_f32(uint16_t b) { return as_f32((uint32_t)b << 16); }

INLINE uint16_t rd_u16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
INLINE uint32_t rd_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
INLINE float rd_f16(const uint8_t* p) { return f16_to_f32(rd_u16(p)); }

/* 4×4 transpose of 32-bit lanes: (de)interleaves a group of 4 Q4_0 blocks. */
INLINE void quad_transpose(v128_t* p) {
  v128_t t0 = wasm_i32x4_shuffle(p[0], p[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(p[2], p[3], 0, 4, 1, 5);
  v128_t t2 = wasm_i32x4_shuffle(p[0], p[1], 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(p[2], p[3], 2, 6, 3, 7);
  p[0] = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), p[1] = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
  p[2] = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5), p[3] = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
}

/* ---- arithmetic ---- */

/* acc + a·b: fused on the relaxed-SIMD build, mul then add otherwise. */
#ifdef LOOM_RELAXED
#define MADD(a, b, acc) wasm_f32x4_relaxed_madd((a), (b), (acc))
#else
#define MADD(a, b, acc) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (acc))
#endif

INLINE float hsum(v128_t v) {
  v128_t s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

/* The largest of the 4 lanes (NaN if any lane is NaN). */
INLINE float hmax(v128_t v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

INLINE int32_t hsum_i32(v128_t v) {
  v128_t s = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_i32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_i32x4_extract_lane(s, 0);
}

/*
 * e^x for f32x4 (Cephes expf: range reduction by ln 2, degree-5 polynomial; about 1 ulp).
 * Inputs below -87.3 give 0, above 88.7 give +inf. The constants come in an ExpConsts:
 * exp_f32x4 splats them in place, exp_consts() loads them from memory once, for loops where
 * V8 would otherwise rebuild splat constants on every use. With the pmin/pmax clamp and the
 * exponent read without trunc_sat, k_silu_mul of 4 × 1536 values on one thread took 16.1 →
 * 9.5 µs.
 */
typedef struct {
  v128_t hi, lo, log2e, c1, c2, p0, p1, p2, p3, p4, p5, one, b127, inf, magic;
} ExpConsts;

/* The constants in ExpConsts order (b127 listed as 127.0f; both forms make it an i32 splat) */
#define EXP_CONSTS(X)                                                                        \
  X(88.72283905206835f) X(-87.33654475055310f) X(1.44269504088896341f) X(0.693359375f)       \
  X(-2.12194440e-4f) X(1.9875691500e-4f) X(1.3981999507e-3f) X(8.3334519073e-3f)             \
  X(4.1665795894e-2f) X(1.6666665459e-1f) X(5.0000001201e-1f) X(1.0f) X(127.0f)               \
  X(__builtin_inff()) X(12582912.0f)
#define EXP_AS_FLOAT(v) v,
#define EXP_AS_SPLAT(v) wasm_f32x4_splat(v),

static const volatile float k_exp_consts[15] = {EXP_CONSTS(EXP_AS_FLOAT)};

INLINE ExpConsts exp_consts(void) {
  ExpConsts k;
  v128_t* v = (v128_t*)&k;
  for (int i = 0; i < 15; i++) v[i] = wasm_f32x4_splat(k_exp_consts[i]);
  k.b127 = wasm_i32x4_splat((int32_t)k_exp_consts[12]);
  return k;
}

INLINE v128_t exp_f32x4_c(v128_t x, const ExpConsts* k) {
  v128_t over = wasm_f32x4_gt(x, k->hi);
  v128_t under = wasm_f32x4_lt(x, k->lo);
  /* pmin/pmax: one instruction each where min/max spell out NaN and ±0 rules (a NaN x
   * stays NaN either way) */
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, k->lo), k->hi);
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, k->log2e));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, k->c1));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, k->c2));
  v128_t p = k->p0;
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k->p1);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k->p2);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k->p3);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k->p4);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k->p5);
  v128_t y = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r);
  y = wasm_f32x4_add(y, k->one);
  /* 2^n: n in [-126, 128]; split the scaling in two so n = 128 does not overflow early.
   * n is a whole number: adding 1.5 · 2^23 puts it in the low mantissa bits, where an
   * integer subtract reads it (trunc_sat takes five instructions on x86) */
  v128_t ni = wasm_i32x4_sub(wasm_f32x4_add(n, k->magic), k->magic);
  v128_t n1 = wasm_i32x4_shr(ni, 1);
  v128_t n2 = wasm_i32x4_sub(ni, n1);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, k->b127), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, k->b127), 23);
  y = wasm_f32x4_mul(wasm_f32x4_mul(y, s1), s2);
  y = wasm_v128_andnot(y, under);
  return wasm_v128_bitselect(k->inf, y, over);
}

INLINE v128_t exp_f32x4(v128_t x) {
  ExpConsts k = {EXP_CONSTS(EXP_AS_SPLAT)};
  k.b127 = wasm_i32x4_splat(127);
  return exp_f32x4_c(x, &k);
}

INLINE float exp_f32(float x) { return wasm_f32x4_extract_lane(exp_f32x4(wasm_f32x4_splat(x)), 0); }

/* Splits `total` items into `nth` near-equal ranges; returns share `ith` as [*lo, *hi). */
INLINE void share_of(uint32_t total, int ith, int nth, uint32_t* lo, uint32_t* hi) {
  *lo = (uint32_t)(((uint64_t)total * (uint32_t)ith) / (uint32_t)nth);
  *hi = (uint32_t)(((uint64_t)total * (uint32_t)(ith + 1)) / (uint32_t)nth);
}

#endif
