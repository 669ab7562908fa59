/*
 * Row dequantizers: one weight row of `k` values in its resident layout → f32. They follow
 * ggml's dequantize_row_* (ggml-quants.c) operation for operation, in f32, so values match
 * llama.cpp's F32-dequantized copies bit for bit.
 */
#ifndef LOOM_DEQUANT_H
#define LOOM_DEQUANT_H

#include "common.h"

/* Dequantizes row `row` of `w` into `dst` [w->k]. */
void dequant_row(const WeightDesc* w, uint32_t row, float* dst);

#endif
