/*
 * Row dequantizers for every dtype, load-time repacking of every block dtype, and the
 * embedding lookup. Block layouts are GGML's (ggml-common.h); each loop mirrors ggml's
 * dequantize_row_* so the f32 values are the ones llama.cpp computes.
 */
#include "dequant.h"

/* 16 signed bytes → 16 f32 values · d, stored at dst. */
INLINE void put_i8x16(float* dst, v128_t q, v128_t d) {
  v128_t lo = wasm_i16x8_extend_low_i8x16(q), hi = wasm_i16x8_extend_high_i8x16(q);
  wasm_v128_store(dst + 0, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(lo)), d));
  wasm_v128_store(dst + 4, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(lo)), d));
  wasm_v128_store(dst + 8, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(hi)), d));
  wasm_v128_store(dst + 12, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(hi)), d));
}

/* K-quant 6-bit scale and min j of a 12-byte scales field (ggml get_scale_min_k4). */
INLINE void scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
  }
}

static void row_f16(const uint8_t* src, uint32_t k, float* y) {
  uint32_t i = 0;
  for (; i + 8 <= k; i += 8) {
    v128_t h = wasm_v128_load(src + 2 * i);
    wasm_v128_store(y + i, f16x4_to_f32x4(wasm_u32x4_extend_low_u16x8(h)));
    wasm_v128_store(y + i + 4, f16x4_to_f32x4(wasm_u32x4_extend_high_u16x8(h)));
  }
  for (; i < k; i++) y[i] = rd_f16(src + 2 * i);
}

static void row_bf16(const uint8_t* src, uint32_t k, float* y) {
  uint32_t i = 0;
  for (; i + 8 <= k; i += 8) {
    v128_t h = wasm_v128_load(src + 2 * i);
    wasm_v128_store(y + i, wasm_i32x4_shl(wasm_u32x4_extend_low_u16x8(h), 16));
    wasm_v128_store(y + i + 4, wasm_i32x4_shl(wasm_u32x4_extend_high_u16x8(h), 16));
  }
  for (; i < k; i++) y[i] = bf16_to_f32(rd_u16(src + 2 * i));
}

/* Repacked Q8_0: interleaved int8 plane (see common.h) + f32 scales. */
static void row_q8_0(const int8_t* qs, const float* sc, uint32_t k, float* y) {
  uint32_t nb = k / 32, b = 0;
  for (; b + 4 <= nb; b += 4, qs += 128, y += 128) {
    v128_t lo[4], hi[4];
    for (int i = 0; i < 4; i++) lo[i] = wasm_v128_load(qs + 16 * i), hi[i] = wasm_v128_load(qs + 64 + 16 * i);
    quad_transpose(lo);
    quad_transpose(hi);
    for (int i = 0; i < 4; i++) {
      v128_t d = wasm_f32x4_splat(sc[b + i]);
      put_i8x16(y + 32 * i, lo[i], d);
      put_i8x16(y + 32 * i + 16, hi[i], d);
    }
  }
  for (; b < nb; b++, qs += 32, y += 32) {
    v128_t d = wasm_f32x4_splat(sc[b]);
    put_i8x16(y, wasm_v128_load(qs), d);
    put_i8x16(y + 16, wasm_v128_load(qs + 16), d);
  }
}

/*
 * One block's 16 nibble bytes (low nibbles values 0..15, high 16..31) · d → 32 values: Q4_0's
 * nibble − 8, or IQ4's level of the nibble.
 */
INLINE void put_nibbles(float* y, v128_t q, float d, int iq4) {
  v128_t mask = wasm_i8x16_splat(0x0f), dv = wasm_f32x4_splat(d);
  v128_t lo = wasm_v128_and(q, mask), hi = wasm_u8x16_shr(q, 4);
  if (iq4) {
    v128_t levels = wasm_v128_load(k_iq4_levels);
    lo = wasm_i8x16_swizzle(levels, lo), hi = wasm_i8x16_swizzle(levels, hi);
  } else {
    v128_t eight = wasm_i8x16_splat(8);
    lo = wasm_i8x16_sub(lo, eight), hi = wasm_i8x16_sub(hi, eight);
  }
  put_i8x16(y, lo, dv);
  put_i8x16(y + 16, hi, dv);
}

/* Repacked Q4_0, IQ4_NL and IQ4_XS: interleaved nibble plane (see common.h) + f32 scales. */
static void row_nibbles(const uint8_t* qs, const float* sc, uint32_t k, float* y, int iq4) {
  uint32_t nb = k / 32, b = 0;
  for (; b + 4 <= nb; b += 4, qs += 64) {
    v128_t p[4] = {wasm_v128_load(qs), wasm_v128_load(qs + 16), wasm_v128_load(qs + 32),
                   wasm_v128_load(qs + 48)};
    quad_transpose(p);
    for (int i = 0; i < 4; i++) put_nibbles(y + 32 * (b + i), p[i], sc[b + i], iq4);
  }
  for (; b < nb; b++, qs += 16) put_nibbles(y + 32 * b, wasm_v128_load(qs), sc[b], iq4);
}

/*
 * Block blk's 32 values q (0..15 or 0..31) of a repacked Q4_1 / Q5_0 / Q5_1 row (common.h), as
 * bytes: word m holds values 4m..4m + 3 (low nibbles), word 4 + m values 16 + 4m.. (high).
 */
INLINE void affine_values(const uint8_t* q, const uint8_t* hq, uint32_t ng, uint32_t blk, int five,
                          uint32_t v[8]) {
  int grouped = blk < 4 * ng;
  uint32_t g = blk / 4, i = blk % 4, t = blk - 4 * ng;
  uint32_t hb = five && grouped ? rd_u32(hq + 16 * g + 4 * i) : 0;
  for (uint32_t m = 0; m < 4; m++) {
    uint32_t w = rd_u32(grouped ? q + 64 * g + 16 * m + 4 * i : q + 64 * ng + 16 * t + 4 * m);
    uint32_t lo = w & 0x0f0f0f0fu, hi = (w >> 4) & 0x0f0f0f0fu;
    if (five && grouped) {
      lo |= ((hb >> m) & 0x01010101u) << 4, hi |= ((hb >> (4 + m)) & 0x01010101u) << 4;
    } else if (five) {
      lo |= rd_u32(hq + 16 * ng + 32 * t + 4 * m), hi |= rd_u32(hq + 16 * ng + 32 * t + 16 + 4 * m);
    }
    v[m] = lo, v[4 + m] = hi;
  }
}

/* Repacked Q4_1 / Q5_0 / Q5_1: ggml's d·q + m, and (q − 16)·d for Q5_0. */
static void row_affine(const WeightDesc* w, uint32_t row, float* y) {
  uint32_t k = w->k, nb = k / 32;
  int five = w->dtype != DT_Q4_1, q5_0 = w->dtype == DT_Q5_0;
  const uint8_t* q = w->data + (uint64_t)row * w->row_bytes;
  const float* a = w->scales + (uint64_t)row * 2 * nb;
  v128_t c16 = wasm_f32x4_splat(16.0f);
  for (uint32_t blk = 0; blk < nb; blk++, y += 32) {
    uint32_t v[8];
    affine_values(q, q + k / 2, nb / 4, blk, five, v);
    v128_t av = wasm_f32x4_splat(a[blk]), bv = wasm_f32x4_splat(a[nb + blk]);
    for (int c = 0; c < 8; c++) {
      v128_t f = wasm_f32x4_convert_i32x4(
          wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_u32x4_splat(v[c]))));
      f = q5_0 ? wasm_f32x4_mul(wasm_f32x4_sub(f, c16), av) : wasm_f32x4_add(wasm_f32x4_mul(f, av), bv);
      wasm_v128_store(y + 4 * c, f);
    }
  }
}

/*
 * Vector 4h + m of a grouped block of 128 values (common.h: byte 4i + t is value 32i + 16h + 4m
 * + t), signed bytes q → y: q · scale[i] − min[i] (no min when `min` is null).
 */
INLINE void put_grouped(float* y, v128_t q, int h, int m, const float scale[4], const float* min) {
  v128_t lo = wasm_i16x8_extend_low_i8x16(q), hi = wasm_i16x8_extend_high_i8x16(q);
  v128_t w[4] = {wasm_i32x4_extend_low_i16x8(lo), wasm_i32x4_extend_high_i16x8(lo),
                 wasm_i32x4_extend_low_i16x8(hi), wasm_i32x4_extend_high_i16x8(hi)};
  for (int i = 0; i < 4; i++) {
    v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(w[i]), wasm_f32x4_splat(scale[i]));
    if (min) v = wasm_f32x4_sub(v, wasm_f32x4_splat(min[i]));
    wasm_v128_store(y + 32 * i + 16 * h + 4 * m, v);
  }
}

/* Repacked Q2_K (common.h): ggml's d·(sc & 15)·q − dmin·(sc >> 4) for each value. */
static void row_q2_k(const uint8_t* q, const uint8_t* sc, uint32_t k, float* y) {
  v128_t m3 = wasm_i8x16_splat(0x03);
  for (uint32_t g = 0; g < k / 128; g++, q += Q2K_GROUP_BYTES, y += 128) {
    const uint8_t* s = sc + Q2K_SCALE_BYTES * (g / 2);
    float d = as_f32(rd_u32(s)), dmin = as_f32(rd_u32(s + 4));
    const uint8_t* gs = s + 8 + 8 * (g % 2);
    for (int h = 0; h < 2; h++) {
      float dl[4], ml[4];
      for (int i = 0; i < 4; i++) dl[i] = d * (float)(gs[4 * h + i] & 0xF), ml[i] = dmin * (float)(gs[4 * h + i] >> 4);
      v128_t lo = wasm_v128_load(q + 16 * h);
      for (int m = 0; m < 4; m++) put_grouped(y, wasm_v128_and(wasm_u16x8_shr(lo, 2 * m), m3), h, m, dl, ml);
    }
  }
}

/* Repacked Q3_K (common.h): ggml's d·(sc − 32)·(q − 4 + 4·hmask bit) for each value. */
static void row_q3_k(const uint8_t* q, const uint8_t* sc, uint32_t k, float* y) {
  v128_t m3 = wasm_i8x16_splat(0x03), m4b = wasm_i8x16_splat(0x04), four = wasm_i8x16_splat(4);
  for (uint32_t g = 0; g < k / 128; g++, q += Q3K_GROUP_BYTES, y += 128) {
    const uint8_t* s = sc + Q3K_SCALE_BYTES * (g / 2);
    float d = as_f32(rd_u32(s));
    const int8_t* gs = (const int8_t*)(s + 4 + 8 * (g % 2));
    for (int h = 0; h < 2; h++) {
      float dl[4];
      for (int i = 0; i < 4; i++) dl[i] = d * (float)gs[4 * h + i];
      v128_t u[4];
      q3k_decode_half(q, h, m3, m4b, u);
      for (int m = 0; m < 4; m++) put_grouped(y, wasm_i8x16_sub(u[m], four), h, m, dl, 0);
    }
  }
}

/*
 * Repacked Q4_K and Q5_K (common.h): Q4_0-style interleaved nibbles, each value d·sc·q −
 * dmin·m of its block of 32 (ggml's form, d·sc and dmin·m rounded to f32 first); Q5_K adds each
 * value's fifth bit from the row's high-bit plane `hq` (null for Q4_K).
 */
static void row_k4(const uint8_t* q, const uint8_t* sc, uint32_t k, float* y, const uint8_t* hq) {
  for (uint32_t g = 0; g < k / 128; g++, q += 64, y += 128) {
    const uint8_t* s = sc + Q4K_SCALE_BYTES * (g / 2);
    float d = as_f32(rd_u32(s)), dmin = as_f32(rd_u32(s + 4));
    for (int i = 0; i < 4; i++) { /* block i of the group: sub-block 4·(g % 2) + i */
      int sb = 4 * (g % 2) + i;
      v128_t dv = wasm_f32x4_splat(d * (float)s[8 + sb]), mv = wasm_f32x4_splat(dmin * (float)s[16 + sb]);
      uint32_t hb = hq ? rd_u32(hq + 16 * g + 4 * i) : 0;
      for (int m = 0; m < 4; m++) { /* word m of block i: values 4m.., high nibbles 16 + 4m.. */
        uint32_t w = rd_u32(q + 16 * m + 4 * i);
        uint32_t lo = (w & 0x0f0f0f0fu) | (((hb >> m) & 0x01010101u) << 4);
        uint32_t hi = ((w >> 4) & 0x0f0f0f0fu) | (((hb >> (4 + m)) & 0x01010101u) << 4);
        v128_t u = wasm_u16x8_extend_low_u8x16(wasm_u32x4_make(lo, hi, 0, 0));
        v128_t fl = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(u));
        v128_t fh = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(u));
        wasm_v128_store(y + 32 * i + 4 * m, wasm_f32x4_sub(wasm_f32x4_mul(dv, fl), mv));
        wasm_v128_store(y + 32 * i + 16 + 4 * m, wasm_f32x4_sub(wasm_f32x4_mul(dv, fh), mv));
      }
    }
  }
}

/* Repacked Q6_K (common.h): each group's 8 value vectors, scaled by their sub-block's d·sc. */
static void row_q6_k(const uint8_t* q, const float* scales, uint32_t k, float* y) {
  v128_t m4 = wasm_i8x16_splat(0x0f), m30 = wasm_i8x16_splat(0x30), c32 = wasm_i8x16_splat(32);
  for (uint32_t g = 0; g < k / 128; g++, q += Q6K_GROUP_BYTES, scales += 8, y += 128) {
    for (int h = 0; h < 2; h++) {
      v128_t u[4];
      q6k_decode_half(q, h, m4, m30, u);
      for (int m = 0; m < 4; m++) put_grouped(y, wasm_i8x16_sub(u[m], c32), h, m, scales + 4 * h, 0);
    }
  }
}

void dequant_row(const WeightDesc* w, uint32_t row, float* dst) {
  const uint8_t* src = w->data + (uint64_t)row * w->row_bytes;
  uint32_t k = w->k;
  switch (w->dtype) {
    case DT_F32: {
      const float* s = (const float*)src;
      for (uint32_t i = 0; i < k; i++) dst[i] = s[i];
      return;
    }
    case DT_F16: row_f16(src, k, dst); return;
    case DT_BF16: row_bf16(src, k, dst); return;
    case DT_Q8_0: row_q8_0((const int8_t*)src, w->scales + row * (k / 32), k, dst); return;
    case DT_Q4_0: row_nibbles(src, w->scales + row * (k / 32), k, dst, 0); return;
    case DT_Q4_1:
    case DT_Q5_0:
    case DT_Q5_1: row_affine(w, row, dst); return;
    case DT_Q2_K: row_q2_k(src, (const uint8_t*)w->scales + (uint64_t)row * (k / 256) * Q2K_SCALE_BYTES, k, dst); return;
    case DT_Q3_K: row_q3_k(src, (const uint8_t*)w->scales + (uint64_t)row * (k / 256) * Q3K_SCALE_BYTES, k, dst); return;
    case DT_Q4_K: row_k4(src, q4k_scales_of(w, row), k, dst, 0); return;
    case DT_Q5_K: row_k4(src, q4k_scales_of(w, row), k, dst, src + k / 2); return;
    case DT_IQ4_NL:
    case DT_IQ4_XS: row_nibbles(src, w->scales + (uint64_t)row * (k / 32), k, dst, 1); return;
    case DT_Q6_K: row_q6_k(src, w->scales + (uint64_t)row * (k / 16), k, dst); return;
    default: __builtin_trap();
  }
}

/*
 * Repacks Q8_0 rows of `blocks_per_row` GGML blocks (34 bytes) from `src` into a quant plane
 * `qs`, interleaved in groups of 4 blocks (see common.h), and an f32 scale plane `scales`.
 * `src` must not overlap the planes.
 */
EXPORT(repack_q8_0)
void repack_q8_0(const uint8_t* src, uint32_t num_rows, uint32_t blocks_per_row, int8_t* qs,
                 float* scales) {
  for (uint32_t r = 0; r < num_rows; r++) {
    uint32_t b = 0;
    for (; b + 4 <= blocks_per_row; b += 4, src += 4 * 34, qs += 128, scales += 4) {
      v128_t lo[4], hi[4]; /* words 0..3 and 4..7 of the 4 blocks */
      for (int i = 0; i < 4; i++) {
        scales[i] = rd_f16(src + 34 * i);
        lo[i] = wasm_v128_load(src + 34 * i + 2);
        hi[i] = wasm_v128_load(src + 34 * i + 18);
      }
      quad_transpose(lo);
      quad_transpose(hi);
      for (int i = 0; i < 4; i++) {
        wasm_v128_store(qs + 16 * i, lo[i]);
        wasm_v128_store(qs + 64 + 16 * i, hi[i]);
      }
    }
    for (; b < blocks_per_row; b++, src += 34, qs += 32, scales++) {
      scales[0] = rd_f16(src);
      wasm_v128_store(qs, wasm_v128_load(src + 2));
      wasm_v128_store(qs + 16, wasm_v128_load(src + 18));
    }
  }
}

/* Q4_0 rows of `blocks_per_row` blocks, interleaved in groups of 4 (see common.h). */
EXPORT(repack_q4_0)
void repack_q4_0(const uint8_t* src, uint32_t num_rows, uint32_t blocks_per_row, uint8_t* qs,
                 float* scales) {
  for (uint32_t r = 0; r < num_rows; r++) {
    uint32_t b = 0;
    for (; b + 4 <= blocks_per_row; b += 4, src += 4 * 18, qs += 64, scales += 4) {
      v128_t p[4];
      for (int i = 0; i < 4; i++) {
        scales[i] = rd_f16(src + 18 * i);
        p[i] = wasm_v128_load(src + 18 * i + 2);
      }
      quad_transpose(p);
      for (int i = 0; i < 4; i++) wasm_v128_store(qs + 16 * i, p[i]);
    }
    for (; b < blocks_per_row; b++, src += 18, qs += 16, scales++) {
      scales[0] = rd_f16(src);
      wasm_v128_store(qs, wasm_v128_load(src + 2));
    }
  }
}

/*
 * Repacks Q6_K rows of `superblocks_per_row` GGML blocks (210 bytes: ql[128], qh[64], int8
 * sc[16], f16 d; value i of a half of 128 is ql's nibble | qh's 2 bits << 4, scaled by
 * d·sc[i / 16]) into the grouped layout of common.h: `qs` [rows, 3k/4], `scales` [rows, k/16].
 */
EXPORT(repack_q6_k)
void repack_q6_k(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                 float* scales) {
  uint32_t total = num_rows * superblocks_per_row;
  for (uint32_t sb = 0; sb < total; sb++, src += 210) {
    const int8_t* sc = (const int8_t*)(src + 192);
    float d = rd_f16(src + 208);
    for (int n = 0; n < 2; n++, qs += Q6K_GROUP_BYTES, scales += 8) {
      const uint8_t* ql = src + 64 * n;
      const uint8_t* qh = src + 128 + 32 * n;
      uint8_t q[128]; /* the half's values in order */
      for (int l = 0; l < 32; l++) {
        q[l] = (uint8_t)((ql[l] & 0xF) | ((qh[l] & 3) << 4));
        q[l + 32] = (uint8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
        q[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
        q[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
      }
      for (int j = 0; j < 16; j++) { /* byte j = 4i + t of each vector v: value 32i + 4v + t */
        uint32_t base = 32 * (j / 4) + j % 4;
        uint8_t hb0 = 0, hb1 = 0;
        for (int v = 0; v < 4; v++) {
          uint8_t a = q[base + 4 * v], b = q[base + 4 * (v + 4)];
          qs[16 * v + j] = (uint8_t)((a & 0xF) | ((b & 0xF) << 4));
          hb0 |= (uint8_t)((a >> 4) << (2 * v));
          hb1 |= (uint8_t)((b >> 4) << (2 * v));
        }
        qs[64 + j] = hb0;
        qs[80 + j] = hb1;
      }
      for (int i = 0; i < 4; i++) {
        scales[i] = d * (float)sc[8 * n + 2 * i];
        scales[4 + i] = d * (float)sc[8 * n + 2 * i + 1];
      }
    }
  }
}

/*
 * Repacks Q4_K rows of `superblocks_per_row` GGML blocks (144 bytes: f16 d, f16 dmin, 12
 * bytes of 6-bit scales and mins, 128 of nibbles: byte 32j + l holds value 64j + l low,
 * 64j + 32 + l high) into `qs` [rows, k/2], each block of 32 stored as a Q4_0 block (byte l:
 * value l low, l + 16 high) and interleaved in groups of 4 like Q4_0 (common.h), and 24
 * bytes a superblock at `scales`: f32 d, f32 dmin, the 8 scales, the 8 mins. Q5_K (176 bytes:
 * qh[32] before the nibbles, bits 2j and 2j + 1 of qh[l] the fifth bits of values 64j + l and
 * 64j + 32 + l) the same, with the fifth bits in a plane after each row's nibbles.
 */
static void repack_k4(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                      uint8_t* scales, int five) {
  uint32_t k = 256 * superblocks_per_row, bytes = five ? 176 : 144, nibbles = five ? 48 : 16;
  for (uint32_t r = 0; r < num_rows; r++) {
    uint8_t* q = qs + (uint64_t)r * (five ? k / 2 + k / 8 : k / 2);
    uint8_t* hq = q + k / 2;
    for (uint32_t s = 0; s < superblocks_per_row; s++, src += bytes, scales += Q4K_SCALE_BYTES) {
      uint32_t du = as_u32(rd_f16(src)), mu = as_u32(rd_f16(src + 2));
      for (int i = 0; i < 4; i++) scales[i] = (uint8_t)(du >> (8 * i)), scales[4 + i] = (uint8_t)(mu >> (8 * i));
      for (int b = 0; b < 8; b++) scale_min_k4(b, src + 4, &scales[8 + b], &scales[16 + b]);
      uint8_t v[256];
      for (int j = 0; j < 4; j++) {
        for (int l = 0; l < 32; l++) {
          uint8_t ql = src[nibbles + 32 * j + l], qh = five ? src[16 + l] : 0;
          v[64 * j + l] = (uint8_t)((ql & 0xF) | (((qh >> (2 * j)) & 1) << 4));
          v[64 * j + 32 + l] = (uint8_t)((ql >> 4) | (((qh >> (2 * j + 1)) & 1) << 4));
        }
      }
      for (int g = 0; g < 2; g++, q += 64, hq += 16) {
        if (five) for (int j = 0; j < 16; j++) hq[j] = 0;
        for (int i = 0; i < 4; i++) {
          const uint8_t* b = v + 32 * (4 * g + i);
          for (int l = 0; l < 16; l++) {
            int m = l / 4, at = 4 * i + l % 4;
            q[16 * m + at] = (uint8_t)((b[l] & 0xF) | ((b[l + 16] & 0xF) << 4));
            if (five) hq[at] |= (uint8_t)(((b[l] >> 4) << m) | ((b[l + 16] >> 4) << (4 + m)));
          }
        }
      }
    }
  }
}

EXPORT(repack_q4_k)
void repack_q4_k(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                 uint8_t* scales) {
  repack_k4(src, num_rows, superblocks_per_row, qs, scales, 0);
}

EXPORT(repack_q5_k)
void repack_q5_k(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                 uint8_t* scales) {
  repack_k4(src, num_rows, superblocks_per_row, qs, scales, 1);
}

/*
 * Repacks rows of `nb` Q4_1 (20 bytes: f16 d, f16 m, qs[16]), Q5_0 (22: f16 d, qh[4], qs[16])
 * or Q5_1 (24: f16 d, f16 m, qh[4], qs[16]) blocks into the affine layout of common.h. Value
 * l < 16 is qs[l]'s low nibble, value l + 16 its high one; for 5 bits, bit l of qh is value
 * l's fifth bit.
 */
static void repack_affine(const uint8_t* src, uint32_t num_rows, uint32_t nb, uint8_t* qs,
                          float* scales, uint32_t dtype) {
  uint32_t bytes = dtype == DT_Q4_1 ? 20 : dtype == DT_Q5_0 ? 22 : 24, ng = nb / 4, k = 32 * nb;
  int five = dtype != DT_Q4_1;
  uint32_t row_bytes = affine_row_bytes(k, five);
  for (uint32_t r = 0; r < num_rows; r++) {
    uint8_t* q = qs + (uint64_t)r * row_bytes;
    uint8_t* hq = q + k / 2;
    float* a = scales + (uint64_t)r * 2 * nb;
    for (uint32_t i = k / 2; i < row_bytes; i++) q[i] = 0;
    for (uint32_t blk = 0; blk < nb; blk++, src += bytes) {
      float d = rd_f16(src);
      a[blk] = d;
      a[nb + blk] = dtype == DT_Q5_0 ? -16.0f * d : rd_f16(src + 2);
      uint32_t qh = five ? rd_u32(src + (dtype == DT_Q5_0 ? 2 : 4)) : 0;
      const uint8_t* nib = src + bytes - 16;
      for (uint32_t l = 0; l < 16; l++) {
        uint8_t lo = (uint8_t)(((qh >> l) & 1) << 4), hi = (uint8_t)(((qh >> (l + 16)) & 1) << 4);
        if (blk < 4 * ng) {
          uint32_t g = blk / 4, m = l / 4, at = 4 * (blk % 4) + l % 4;
          q[64 * g + 16 * m + at] = nib[l];
          if (five) hq[16 * g + at] |= (uint8_t)(((lo >> 4) << m) | ((hi >> 4) << (4 + m)));
        } else {
          uint32_t t = blk - 4 * ng;
          q[64 * ng + 16 * t + l] = nib[l];
          if (five) hq[16 * ng + 32 * t + l] = lo, hq[16 * ng + 32 * t + 16 + l] = hi;
        }
      }
    }
  }
}

EXPORT(repack_q4_1)
void repack_q4_1(const uint8_t* src, uint32_t num_rows, uint32_t nb, uint8_t* qs, float* scales) {
  repack_affine(src, num_rows, nb, qs, scales, DT_Q4_1);
}

EXPORT(repack_q5_0)
void repack_q5_0(const uint8_t* src, uint32_t num_rows, uint32_t nb, uint8_t* qs, float* scales) {
  repack_affine(src, num_rows, nb, qs, scales, DT_Q5_0);
}

EXPORT(repack_q5_1)
void repack_q5_1(const uint8_t* src, uint32_t num_rows, uint32_t nb, uint8_t* qs, float* scales) {
  repack_affine(src, num_rows, nb, qs, scales, DT_Q5_1);
}

/*
 * Half h's 128 values u (0..3, or 0..7 with the hmask bit) of a Q2_K / Q3_K superblock in
 * ggml's order (value 32j + l: bits 2j.. of q[32h + l], plus 4 · bit 4h + j of hm[l]), packed
 * into the grouped planes of common.h: 2 vectors of low 2 bits, then (hm given) the third bits.
 */
static void pack_grouped_k(const uint8_t* q, const uint8_t* hm, int h, uint8_t* qs) {
  for (int j = 0; j < (hm ? Q3K_GROUP_BYTES : Q2K_GROUP_BYTES); j++) qs[j] = 0;
  for (int v = 0; v < 8; v++) {
    for (int j = 0; j < 16; j++) { /* byte j of vector v: value 32i + 4v + t of the half */
      int i = j / 4, l = 4 * v + j % 4;
      uint8_t x = (uint8_t)((q[32 * h + l] >> (2 * i)) & 3);
      qs[16 * (v / 4) + j] |= (uint8_t)(x << (2 * (v % 4)));
      if (hm) qs[32 + j] |= (uint8_t)(((hm[l] >> (4 * h + i)) & 1) << v);
    }
  }
}

/* Half h's 8 sub-block scale bytes of `sc` (ggml's order) as its A lanes' 4, then its B lanes'. */
static void put_ab_scales(uint8_t* dst, const uint8_t* sc, int h) {
  for (int i = 0; i < 4; i++) dst[i] = sc[8 * h + 2 * i], dst[4 + i] = sc[8 * h + 2 * i + 1];
}

/*
 * Repacks Q3_K rows of `superblocks_per_row` GGML blocks (110 bytes: hmask[32], qs[64], 12
 * bytes of 6-bit scales, f16 d; value 128h + 32j + l is bits 2j.. of qs[32h + l] plus 4 ·
 * bit 4h + j of hmask[l], scale 8h + 2j + l / 16) into the grouped layout of common.h.
 */
EXPORT(repack_q3_k)
void repack_q3_k(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                 uint8_t* scales) {
  uint32_t total = num_rows * superblocks_per_row;
  for (uint32_t sb = 0; sb < total; sb++, src += 110, scales += Q3K_SCALE_BYTES) {
    const uint8_t* s = src + 96;
    uint32_t du = as_u32(rd_f16(src + 108));
    for (int i = 0; i < 4; i++) scales[i] = (uint8_t)(du >> (8 * i));
    uint8_t sc[16]; /* ggml's unpacking of the 12 bytes: scale 4a + b, as int8 sc − 32 */
    for (int a = 0; a < 4; a++) {
      for (int b = 0; b < 4; b++) {
        int low = (s[4 * (a & 1) + b] >> (4 * (a >> 1))) & 15, high = (s[8 + b] >> (2 * a)) & 3;
        sc[4 * a + b] = (uint8_t)(int8_t)((low | (high << 4)) - 32);
      }
    }
    for (int h = 0; h < 2; h++, qs += Q3K_GROUP_BYTES) {
      pack_grouped_k(src + 32, src, h, qs);
      put_ab_scales(scales + 4 + 8 * h, sc, h);
    }
  }
}

/*
 * Repacks Q2_K rows of `superblocks_per_row` GGML blocks (84 bytes: scales[16] of 4-bit scale
 * and min, qs[64], f16 d, f16 dmin; value 128h + 32j + l is bits 2j.. of qs[32h + l], scale
 * 8h + 2j + l / 16) into the grouped layout of common.h.
 */
EXPORT(repack_q2_k)
void repack_q2_k(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                 uint8_t* scales) {
  uint32_t total = num_rows * superblocks_per_row;
  for (uint32_t sb = 0; sb < total; sb++, src += 84, scales += Q2K_SCALE_BYTES) {
    uint32_t du = as_u32(rd_f16(src + 80)), mu = as_u32(rd_f16(src + 82));
    for (int i = 0; i < 4; i++) scales[i] = (uint8_t)(du >> (8 * i)), scales[4 + i] = (uint8_t)(mu >> (8 * i));
    for (int h = 0; h < 2; h++, qs += Q2K_GROUP_BYTES) {
      pack_grouped_k(src + 16, 0, h, qs);
      put_ab_scales(scales + 8 + 8 * h, src, h);
    }
  }
}

/*
 * Repacks IQ4_XS rows of `superblocks_per_row` GGML blocks (136 bytes: f16 d, u16 scales_h,
 * scales_l[4], 128 index bytes) as IQ4_NL rows repacked by repack_q4_0: the index nibbles
 * interleaved in groups of 4 blocks, and each block's d·(ls − 32) as its f32 scale.
 */
EXPORT(repack_iq4_xs)
void repack_iq4_xs(const uint8_t* src, uint32_t num_rows, uint32_t superblocks_per_row, uint8_t* qs,
                   float* scales) {
  uint32_t total = num_rows * superblocks_per_row;
  for (uint32_t sb = 0; sb < total; sb++, src += 136) {
    float d = rd_f16(src);
    uint32_t sh = rd_u16(src + 2);
    for (uint32_t g = 0; g < 2; g++, qs += 64, scales += 4) {
      v128_t p[4];
      for (uint32_t i = 0; i < 4; i++) {
        uint32_t b = 4 * g + i;
        int ls = (int)(((src[4 + b / 2] >> (4 * (b % 2))) & 0xF) | (((sh >> (2 * b)) & 3) << 4));
        scales[i] = d * (float)(ls - 32);
        p[i] = wasm_v128_load(src + 8 + 16 * b);
      }
      quad_transpose(p);
      for (int i = 0; i < 4; i++) wasm_v128_store(qs + 16 * i, p[i]);
    }
  }
}

/* Dequantizes a whole 1-D or 2-D weight into dst (used for small vectors at load). */
EXPORT(dequant_rows)
void dequant_rows(const WeightDesc* w, uint32_t row0, uint32_t num_rows, float* dst) {
  for (uint32_t r = 0; r < num_rows; r++) dequant_row(w, row0 + r, dst + (uint64_t)r * w->k);
}

/* out [T, d] ← table [vocab, d][tokens] (token ids checked by the caller). */
typedef struct {
  float* out;
  uint32_t out_stride;
  const WeightDesc* table;
  const int32_t* tokens;
  uint32_t num_tokens;
} EmbedArgs;

EXPORT(k_embed)
void k_embed(const EmbedArgs* a, int ith, int nth) {
  uint32_t lo, hi;
  share_of(a->num_tokens, ith, nth, &lo, &hi);
  for (uint32_t i = lo; i < hi; i++) {
    dequant_row(a->table, (uint32_t)a->tokens[i], a->out + (uint64_t)i * a->out_stride);
  }
}
