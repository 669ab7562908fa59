/*
 * Paged attention over the KV pool, prefill chunks and decode alike.
 *
 * Pool layout per layer: K and V are each [numBlocks · blockSize, numKvHeads · headDim] in
 * f32 or f16; token j of a sequence lives in slot blockTable[j / blockSize] · blockSize +
 * j % blockSize.
 *
 * k_kv_write stores this step's K/V through the slot mapping (run before k_attention).
 * k_attention splits work items (KV head, token), KV-head-major, over threads; one item serves
 * the whole GQA group of query heads sharing that KV head, so each K/V row is read once per
 * group. With f16 pools, items of a chunk that walk one sequence's tokens (a prefill chunk)
 * share K/V rows converted to f32 once (up to CACHE_POS positions). The
 * causal context of token i is positions 0 ..= positions[i], walked in chunks of CHUNK
 * positions with an online softmax, so per-chunk scratch is bounded: G·CHUNK scores,
 * G·headDim accumulators, 2·G running max/sum, 4 K rows and (f16 pools) CHUNK V rows in f32.
 * Scores and the weighted sum of V take two query heads at a time (4 positions × 2 heads,
 * 16 dims × 2 heads): 8 independent multiply-add chains, each K or V vector loaded once for
 * both, where one head at a time left 4 chains waiting on the multiply-add latency (decode at
 * 1024 positions: 30 → 52 GFLOP/s on 2 threads).
 */
#include "common.h"

#define CHUNK 256
/* where the touch pass of k_attention leaves its loads' xor, so they are not optimized away */
static volatile uint32_t k_touch_sink;
/* f16 pools: K/V rows of up to this many positions are kept converted to f32 per (sequence,
 * KV head) while a chunk of work items walks that sequence's tokens (a prefill chunk then
 * converts each row once instead of once per query token) */
#define CACHE_POS 1024

typedef struct {
  const float* k;
  uint32_t k_stride;
  const float* v;
  uint32_t v_stride;
  uint8_t* k_cache;
  uint8_t* v_cache;
  uint32_t kv_f16;
  uint32_t kv_dim;
  const int32_t* slots;
  uint32_t num_tokens;
} KvWriteArgs;

/*
 * Four f32 → f16 bit patterns (in the low 16 bits of each lane), rounded to nearest even as
 * f32_to_f16 (common.h) does: normal results add the exponent rebias and a rounding increment
 * (0xfff plus the kept mantissa's low bit) before the shift; |x| < 2^-14 (f16 subnormals) is
 * rounded by the f32 adder itself, as |x| + 0.5 whose last 10 mantissa bits are then the f16
 * mantissa; |x| ≥ 2^16 is infinity, NaN stays a quiet NaN.
 */
INLINE v128_t f32x4_to_f16x4(v128_t f) {
  v128_t sign = wasm_v128_and(wasm_u32x4_shr(f, 16), wasm_i32x4_splat(0x8000));
  v128_t a = wasm_v128_and(f, wasm_i32x4_splat(0x7fffffff));
  v128_t odd = wasm_v128_and(wasm_u32x4_shr(a, 13), wasm_i32x4_splat(1));
  v128_t norm = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(a, wasm_i32x4_splat((int32_t)0xc8000fffu)), odd), 13);
  v128_t sub = wasm_i32x4_sub(wasm_f32x4_add(a, wasm_f32x4_splat(0.5f)), wasm_i32x4_splat(0x3f000000));
  v128_t big = wasm_v128_bitselect(wasm_i32x4_splat(0x7e00), wasm_i32x4_splat(0x7c00),
                                   wasm_i32x4_gt(a, wasm_i32x4_splat(0x7f800000)));
  v128_t r = wasm_v128_bitselect(sub, norm, wasm_i32x4_lt(a, wasm_i32x4_splat(0x38800000)));
  r = wasm_v128_bitselect(big, r, wasm_i32x4_ge(a, wasm_i32x4_splat(0x47800000)));
  return wasm_v128_or(r, sign);
}

INLINE void store_row(uint8_t* dst, const float* src, uint32_t n, uint32_t f16) {
  if (f16) {
    uint16_t* d = (uint16_t*)dst;
    uint32_t c = 0;
    for (; c + 8 <= n; c += 8) {
      v128_t lo = f32x4_to_f16x4(wasm_v128_load(src + c));
      v128_t hi = f32x4_to_f16x4(wasm_v128_load(src + c + 4));
      wasm_v128_store(d + c, wasm_u16x8_narrow_i32x4(lo, hi));
    }
    for (; c < n; c++) d[c] = f32_to_f16(src[c]);
  } else {
    float* d = (float*)dst;
    for (uint32_t c = 0; c < n; c++) d[c] = src[c];
  }
}

EXPORT(k_kv_write)
void k_kv_write(const KvWriteArgs* a, int ith, int nth) {
  uint32_t lo, hi;
  share_of(a->num_tokens, ith, nth, &lo, &hi);
  uint32_t row_bytes = a->kv_dim * (a->kv_f16 ? 2 : 4);
  for (uint32_t i = lo; i < hi; i++) {
    uint64_t off = (uint64_t)(uint32_t)a->slots[i] * row_bytes;
    store_row(a->k_cache + off, a->k + (uint64_t)i * a->k_stride, a->kv_dim, a->kv_f16);
    store_row(a->v_cache + off, a->v + (uint64_t)i * a->v_stride, a->kv_dim, a->kv_f16);
  }
}

typedef struct {
  float* out;
  uint32_t out_stride;
  const float* q;
  uint32_t q_stride;
  const uint8_t* k_cache;
  const uint8_t* v_cache;
  uint32_t kv_f16;
  uint32_t num_heads;
  uint32_t num_kv_heads;
  uint32_t head_dim;
  float scale;
  const int32_t* positions;
  const int32_t* tok_seq;      /* sequence of each token */
  const int32_t* block_tables; /* [numSeqs, maxBlocksPerSeq] */
  uint32_t max_blocks_per_seq;
  uint32_t block_size;
  uint32_t num_tokens;
  float* scratch;
  uint32_t scratch_stride;
} AttnArgs;

/*
 * The f16 → f32 constants, read from memory: splatted from loads they stay in registers,
 * where V8 would rebuild each v128.const before every use once registers run short.
 */
static const volatile uint32_t k_f16_consts[3] = {0x7fff, 0x8000, 0x77800000 /* 2^112 */};
typedef struct { v128_t em, sign, scale; } F16Consts;

/* Four f16 values (low 16 bits of each u32 lane) → f32x4; as f16x4_to_f32x4 (common.h). */
INLINE v128_t f16x4_to_f32x4_c(v128_t h32, const F16Consts* k) {
  v128_t f = wasm_f32x4_mul(wasm_i32x4_shl(wasm_v128_and(h32, k->em), 13), k->scale);
  return wasm_v128_or(f, wasm_i32x4_shl(wasm_v128_and(h32, k->sign), 16));
}

/* Row `slot`'s head-slice of a cache as f32: a pointer into f32 caches, else converted into buf. */
INLINE const float* cache_row(const uint8_t* cache, uint64_t elem, uint32_t hd, uint32_t f16,
                              float* buf, const F16Consts* k) {
  if (!f16) return (const float*)cache + elem;
  const uint16_t* h = (const uint16_t*)cache + elem;
  uint32_t c = 0;
  for (; c + 8 <= hd; c += 8) {
    v128_t v = wasm_v128_load(h + c);
    wasm_v128_store(buf + c, f16x4_to_f32x4_c(wasm_u32x4_extend_low_u16x8(v), k));
    wasm_v128_store(buf + c + 4, f16x4_to_f32x4_c(wasm_u32x4_extend_high_u16x8(v), k));
  }
  for (; c < hd; c++) buf[c] = f16_to_f32(h[c]);
  return buf;
}

INLINE float dot(const float* a, const float* b, uint32_t n) {
  v128_t acc = wasm_f32x4_splat(0);
  uint32_t c = 0;
  for (; c + 4 <= n; c += 4) acc = MADD(wasm_v128_load(a + c), wasm_v128_load(b + c), acc);
  float s = hsum(acc);
  for (; c < n; c++) s += a[c] * b[c];
  return s;
}

/* [Σ lanes of a0, Σ a1, Σ a2, Σ a3] */
INLINE v128_t hsum4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t a = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t b = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 1, 4, 5), wasm_i32x4_shuffle(a, b, 2, 3, 6, 7));
}

EXPORT(k_attention)
void k_attention(const AttnArgs* a, int ith, int nth) {
  uint32_t hd = a->head_dim, G = a->num_heads / a->num_kv_heads, bs = a->block_size;
  uint32_t kv_dim = a->num_kv_heads * hd, f16 = a->kv_f16;
  int vec = hd % 4 == 0; /* SIMD paths need whole vectors per head */
  float* scores = a->scratch + (uint64_t)ith * a->scratch_stride; /* [G, CHUNK] */
  float* acc = scores + G * CHUNK;                                 /* [G, hd] */
  float* mx = acc + G * hd;                                        /* [G] running max */
  float* sum = mx + G;                                             /* [G] running sum */
  float* kbuf = sum + G;                                           /* [4, hd] */
  float* vbuf = kbuf + 4 * hd;                                     /* [CHUNK, hd] (f16 pools) */
  float* kconv = vbuf + CHUNK * hd;                                /* [CACHE_POS, hd] (f16) */
  float* vconv = kconv + CACHE_POS * hd;                           /* [CACHE_POS, hd] (f16) */
  int32_t conv_seq = -1; /* rows [0, conv_n) of (conv_seq, conv_kvh) are in kconv / vconv */
  uint32_t conv_kvh = 0, conv_n = 0;
  int32_t prev_seq = -1; /* the sequence and KV head of this thread's previous item */
  uint32_t prev_kvh = 0;
  F16Consts kc = {wasm_i32x4_splat((int32_t)k_f16_consts[0]),
                  wasm_i32x4_splat((int32_t)k_f16_consts[1]),
                  wasm_i32x4_splat((int32_t)k_f16_consts[2])};
  uint32_t lo, hi;
  share_of(a->num_tokens * a->num_kv_heads, ith, nth, &lo, &hi);
  for (uint32_t item = lo; item < hi; item++) {
    /* KV-head-major: a chunk's items are consecutive tokens of one head (prefill: one sequence) */
    uint32_t kvh = item / a->num_tokens, i = item % a->num_tokens;
    uint32_t ctx = (uint32_t)a->positions[i] + 1;
    int32_t seq = a->tok_seq[i];
    const int32_t* table = a->block_tables + (uint64_t)seq * a->max_blocks_per_seq;
    /* worth it only when a neighbouring item of this chunk shares the rows (not in decode) */
    int shared = seq == conv_seq && kvh == conv_kvh;
    if (!shared && item + 1 < hi) {
      uint32_t next = item + 1;
      shared = next / a->num_tokens == kvh && a->tok_seq[next % a->num_tokens] == seq;
    }
    int conv = f16 && vec && ctx <= CACHE_POS && shared;
    /* the previous item of this thread walked the same rows (a prefill chunk's next token) */
    int walked = item > lo && seq == prev_seq && kvh == prev_kvh;
    prev_seq = seq, prev_kvh = kvh;
    if (conv) {
      if (seq != conv_seq || kvh != conv_kvh) conv_seq = seq, conv_kvh = kvh, conv_n = 0;
      uint32_t blk = conv_n / bs, off = conv_n % bs;
      for (uint32_t t = conv_n; t < ctx; t++) {
        uint32_t row = ((uint32_t)table[blk] * bs + off) * kv_dim + kvh * hd;
        cache_row(a->k_cache, row, hd, 1, kconv + (uint64_t)t * hd, &kc);
        cache_row(a->v_cache, row, hd, 1, vconv + (uint64_t)t * hd, &kc);
        if (++off == bs) off = 0, blk++;
      }
      if (ctx > conv_n) conv_n = ctx;
    }
    const float* q = a->q + (uint64_t)i * a->q_stride + kvh * G * hd;
    for (uint32_t g = 0; g < G; g++) {
      mx[g] = -__builtin_inff();
      sum[g] = 0;
      for (uint32_t c = 0; c < hd; c++) acc[g * hd + c] = 0;
    }
    for (uint32_t c0 = 0; c0 < ctx; c0 += CHUNK) {
      uint32_t cn = ctx - c0 < CHUNK ? ctx - c0 : CHUNK;
      /* element offsets of this chunk's rows (one division per chunk, not per row) */
      uint32_t rows[CHUNK];
      if (!conv) {
        uint32_t blk = c0 / bs, off = c0 % bs;
        for (uint32_t t = 0; t < cn; t++) {
          rows[t] = ((uint32_t)table[blk] * bs + off) * kv_dim + kvh * hd;
          if (++off == bs) off = 0, blk++;
        }
      }
      /* 0. rows this thread has not just walked (decode: every item) come from DRAM: touch
       * each of their cache lines first. Independent loads keep many misses in flight, where
       * the compute passes below wait on each in turn (135M shapes, 4 sequences at 140
       * positions, KV from DRAM: 100–129 → 61–88 µs a layer). */
      if (!conv && !walked) {
        uint32_t sink = 0, elem = f16 ? 2 : 4;
        for (uint32_t t = 0; t < cn; t++) {
          const uint8_t* kr = a->k_cache + (uint64_t)rows[t] * elem;
          const uint8_t* vr = a->v_cache + (uint64_t)rows[t] * elem;
          for (uint32_t b = 0; b < hd * elem; b += 64) sink ^= kr[b] ^ vr[b];
        }
        k_touch_sink = sink;
      }
      /* 1. scores s[g][j] = q_g · k_j · scale, four positions at a time */
      uint32_t jj = 0;
      if (vec) {
        for (; jj + 4 <= cn; jj += 4) {
          const float* k[4];
          for (int t = 0; t < 4; t++) {
            k[t] = conv ? kconv + (uint64_t)(c0 + jj + t) * hd
                        : cache_row(a->k_cache, rows[jj + t], hd, f16, kbuf + t * hd, &kc);
          }
          /* two query heads at a time: 8 independent accumulator chains, each K vector
           * loaded once for both heads */
          uint32_t g = 0;
          for (; g + 2 <= G; g += 2) {
            const float* q0 = q + g * hd;
            const float* q1 = q0 + hd;
            v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            v128_t t0 = s0, t1 = s0, t2 = s0, t3 = s0;
            for (uint32_t c = 0; c < hd; c += 4) {
              v128_t qa = wasm_v128_load(q0 + c), qb = wasm_v128_load(q1 + c);
              v128_t kv = wasm_v128_load(k[0] + c);
              s0 = MADD(qa, kv, s0), t0 = MADD(qb, kv, t0);
              kv = wasm_v128_load(k[1] + c);
              s1 = MADD(qa, kv, s1), t1 = MADD(qb, kv, t1);
              kv = wasm_v128_load(k[2] + c);
              s2 = MADD(qa, kv, s2), t2 = MADD(qb, kv, t2);
              kv = wasm_v128_load(k[3] + c);
              s3 = MADD(qa, kv, s3), t3 = MADD(qb, kv, t3);
            }
            v128_t sc = wasm_f32x4_splat(a->scale);
            wasm_v128_store(scores + g * CHUNK + jj, wasm_f32x4_mul(hsum4(s0, s1, s2, s3), sc));
            wasm_v128_store(scores + (g + 1) * CHUNK + jj, wasm_f32x4_mul(hsum4(t0, t1, t2, t3), sc));
          }
          for (; g < G; g++) {
            const float* qg = q + g * hd;
            v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            for (uint32_t c = 0; c < hd; c += 4) {
              v128_t qv = wasm_v128_load(qg + c);
              s0 = MADD(qv, wasm_v128_load(k[0] + c), s0);
              s1 = MADD(qv, wasm_v128_load(k[1] + c), s1);
              s2 = MADD(qv, wasm_v128_load(k[2] + c), s2);
              s3 = MADD(qv, wasm_v128_load(k[3] + c), s3);
            }
            wasm_v128_store(scores + g * CHUNK + jj,
                            wasm_f32x4_mul(hsum4(s0, s1, s2, s3), wasm_f32x4_splat(a->scale)));
          }
        }
      }
      for (; jj < cn; jj++) {
        const float* k = conv ? kconv + (uint64_t)(c0 + jj) * hd
                              : cache_row(a->k_cache, rows[jj], hd, f16, kbuf, &kc);
        for (uint32_t g = 0; g < G; g++) scores[g * CHUNK + jj] = dot(q + g * hd, k, hd) * a->scale;
      }
      /* 2. online softmax: p = e^(s − max), rescaling what came before to the new max */
      for (uint32_t g = 0; g < G; g++) {
        float* s = scores + g * CHUNK;
        float m = mx[g];
        jj = 0;
        if (cn >= 4) {
          v128_t mv4 = wasm_v128_load(s);
          for (jj = 4; jj + 4 <= cn; jj += 4) mv4 = wasm_f32x4_pmax(mv4, wasm_v128_load(s + jj));
          float m4 = hmax(mv4);
          m = m4 > m ? m4 : m;
        }
        for (; jj < cn; jj++) m = s[jj] > m ? s[jj] : m;
        float corr = mx[g] == -__builtin_inff() ? 0.0f : exp_f32(mx[g] - m);
        v128_t mv = wasm_f32x4_splat(m), part = wasm_f32x4_splat(0);
        for (jj = 0; jj + 4 <= cn; jj += 4) {
          v128_t e = exp_f32x4(wasm_f32x4_sub(wasm_v128_load(s + jj), mv));
          wasm_v128_store(s + jj, e);
          part = wasm_f32x4_add(part, e);
        }
        float total = hsum(part);
        for (; jj < cn; jj++) total += s[jj] = exp_f32(s[jj] - m);
        sum[g] = sum[g] * corr + total;
        mx[g] = m;
        if (corr != 1.0f) {
          for (uint32_t c = 0; c < hd; c++) acc[g * hd + c] *= corr;
        }
      }
      /* 3. acc_g += Σ_j p[g][j] · v_j: V rows as f32 (converted once per tile), then per
       * head and 16-dim slice the sum over j runs in registers */
      const float* vrow[CHUNK];
      for (jj = 0; jj < cn; jj++) {
        vrow[jj] = conv ? vconv + (uint64_t)(c0 + jj) * hd
                        : cache_row(a->v_cache, rows[jj], hd, f16, vbuf + jj * hd, &kc);
      }
      uint32_t g = 0;
      if (vec && hd % 16 == 0) {
        /* two heads × 16 dims at a time: 8 accumulator chains, each V vector loaded once
         * for both heads */
        for (; g + 2 <= G; g += 2) {
          const float* p0 = scores + g * CHUNK;
          const float* p1 = p0 + CHUNK;
          float* out0 = acc + g * hd;
          float* out1 = out0 + hd;
          for (uint32_t c = 0; c < hd; c += 16) {
            v128_t o0 = wasm_v128_load(out0 + c), o1 = wasm_v128_load(out0 + c + 4);
            v128_t o2 = wasm_v128_load(out0 + c + 8), o3 = wasm_v128_load(out0 + c + 12);
            v128_t e0 = wasm_v128_load(out1 + c), e1 = wasm_v128_load(out1 + c + 4);
            v128_t e2 = wasm_v128_load(out1 + c + 8), e3 = wasm_v128_load(out1 + c + 12);
            for (jj = 0; jj < cn; jj++) {
              v128_t pa = wasm_v128_load32_splat(p0 + jj), pb = wasm_v128_load32_splat(p1 + jj);
              const float* v = vrow[jj] + c;
              v128_t vv = wasm_v128_load(v);
              o0 = MADD(pa, vv, o0), e0 = MADD(pb, vv, e0);
              vv = wasm_v128_load(v + 4);
              o1 = MADD(pa, vv, o1), e1 = MADD(pb, vv, e1);
              vv = wasm_v128_load(v + 8);
              o2 = MADD(pa, vv, o2), e2 = MADD(pb, vv, e2);
              vv = wasm_v128_load(v + 12);
              o3 = MADD(pa, vv, o3), e3 = MADD(pb, vv, e3);
            }
            wasm_v128_store(out0 + c, o0), wasm_v128_store(out0 + c + 4, o1);
            wasm_v128_store(out0 + c + 8, o2), wasm_v128_store(out0 + c + 12, o3);
            wasm_v128_store(out1 + c, e0), wasm_v128_store(out1 + c + 4, e1);
            wasm_v128_store(out1 + c + 8, e2), wasm_v128_store(out1 + c + 12, e3);
          }
        }
      }
      for (; g < G; g++) {
        const float* p = scores + g * CHUNK;
        float* out = acc + g * hd;
        uint32_t c = 0;
        if (vec) {
          for (; c + 16 <= hd; c += 16) {
            v128_t o0 = wasm_v128_load(out + c), o1 = wasm_v128_load(out + c + 4);
            v128_t o2 = wasm_v128_load(out + c + 8), o3 = wasm_v128_load(out + c + 12);
            for (jj = 0; jj < cn; jj++) {
              v128_t pv = wasm_f32x4_splat(p[jj]);
              const float* v = vrow[jj] + c;
              o0 = MADD(pv, wasm_v128_load(v), o0);
              o1 = MADD(pv, wasm_v128_load(v + 4), o1);
              o2 = MADD(pv, wasm_v128_load(v + 8), o2);
              o3 = MADD(pv, wasm_v128_load(v + 12), o3);
            }
            wasm_v128_store(out + c, o0), wasm_v128_store(out + c + 4, o1);
            wasm_v128_store(out + c + 8, o2), wasm_v128_store(out + c + 12, o3);
          }
          for (; c < hd; c += 4) {
            v128_t o0 = wasm_v128_load(out + c);
            for (jj = 0; jj < cn; jj++) o0 = MADD(wasm_f32x4_splat(p[jj]), wasm_v128_load(vrow[jj] + c), o0);
            wasm_v128_store(out + c, o0);
          }
        } else {
          for (jj = 0; jj < cn; jj++) {
            for (c = 0; c < hd; c++) out[c] += p[jj] * vrow[jj][c];
          }
        }
      }
    }
    for (uint32_t g = 0; g < G; g++) {
      float* o = a->out + (uint64_t)i * a->out_stride + (kvh * G + g) * hd;
      float inv = 1.0f / sum[g];
      for (uint32_t c = 0; c < hd; c++) o[c] = acc[g * hd + c] * inv;
    }
  }
}
