# Hand-written WebAssembly (relaxed SIMD) for the inner loops of Loom's Q4_0, Q8_0 and Q4_K
# GEMM (loom_q4_k_2x4 further down; batch-1 Q4_0 decode: loom_q4_0_4x1 at the end). First
# loom_q4_0_2x4 and loom_q8_0_2x4:
# two weight rows · four activation rows over the whole groups of 4 blocks (layouts in
# common.h; the C around them is tile2x4 and rows4_q4_0 in matmul_q8.c). Written in assembly because the
# order of the instructions is the point. clang's register stackifier nests each accumulator
# chain into one expression, which loads every activation vector of a step before its first
# dot product; V8 keeps the wasm order, then holds more vectors than x86's 16 registers and
# spills accumulators. Here each step decodes the two weight vectors and streams the four x
# rows through 8 or 16 dots with one x vector live: 8 accumulators, the raw and decoded
# weight vectors, the x vector and a mask, 14 registers or fewer.
#
# void loom_q4_0_2x4(q0, q1, d0, d1, x, xs, xd, k, rs, ng, out, mask)
# void loom_q8_0_2x4(q0, q1, d0, d1, x, xs, xd, k, rs, ng, out, bias)
#   q0, q1   the two weight rows' quant planes          d0, d1  their scale planes (f32)
#   x        row 0 of the int8 activations (rows k bytes apart)
#   xs, xd   row 0 of 8·Σx (i32) and the scales (f32) of each block, rows rs bytes apart
#   ng       whole groups of 4 blocks
#   out      8 f32x4 partial sums: row 0's against x rows 0..3, then row 1's
#   mask     0x0f (Q4_0);  bias  0x80 (Q8_0, which makes the weights unsigned bytes)
#            A runtime byte, not a constant, so that V8 keeps the splat in a register.
#            Bits 8 and up: the number of blocks after the whole groups (TAIL).
# The int32 lanes start at the offset correction of their block (Q4_0: −8·Σx for the nibbles'
# −8; Q8_0: −128·Σx for the bias); after a group lane b holds block b's sum, scaled by
# d_w · d_x into the f32 sums.
#
# Locals: 0 q0, 1 q1, 2 d0, 3 d1, 4 x0, 5 xs0, 6 xd0, 7 k, 8 rs, 9 ng, 10 out, 11 mask byte,
# 12–14 x1..x3, 15–17 xs1..xs3, 18–20 xd1..xd3 (i32); 21–24 row 0's int sums, 25–28 row 1's,
# 29–32 row 0's f32 sums, 33–36 row 1's, 37 mask, 38 p0, 39 p1, 40 u0, 41 u1, 42 x, 43 (Q4_K's Σx)
# (v128).

	.text

# x vector at \xp + \off against both decoded weight vectors: \a += x·u0, \b += x·u1
.macro DOT2 xp, off, a, b
	local.get	\xp
	v128.load	\off:p2align=0
	local.tee	42
	local.get	40
	local.get	\a
	i32x4.relaxed_dot_i8x16_i7x16_add_s
	local.set	\a
	local.get	42
	local.get	41
	local.get	\b
	i32x4.relaxed_dot_i8x16_i7x16_add_s
	local.set	\b
.endm

# the x vectors at \off of the four rows through both rows' dots
.macro DOTS off
	DOT2	4, \off, 21, 25
	DOT2	12, \off, 22, 26
	DOT2	13, \off, 23, 27
	DOT2	14, \off, 24, 28
.endm

# p0, p1 ← the weight vectors at \off
.macro LOADW off
	local.get	0
	v128.load	\off:p2align=0
	local.set	38
	local.get	1
	v128.load	\off:p2align=0
	local.set	39
.endm

# u0, u1 ← p0, p1 \op mask (Q4_0's low nibbles: v128.and; Q8_0's unsigned bytes: v128.xor)
.macro DECODE op
	local.get	38
	local.get	37
	\op
	local.set	40
	local.get	39
	local.get	37
	\op
	local.set	41
.endm

# u0, u1 ← the high nibbles of p0, p1
.macro DECODE_HI
	local.get	38
	i32.const	4
	i16x8.shr_u
	local.get	37
	v128.and
	local.set	40
	local.get	39
	i32.const	4
	i16x8.shr_u
	local.get	37
	v128.and
	local.set	41
.endm

# one of Q4_0's 4 steps of a group: weight vector \lo of both rows; x at \lo (the low
# nibbles' values) and \hi = \lo + 64 (the high nibbles')
.macro STEP_Q4 lo, hi
	LOADW	\lo
	DECODE	v128.and
	DOTS	\lo
	DECODE_HI
	DOTS	\hi
.endm

# one of Q8_0's 8 steps of a group: weight vector \off of both rows and x at \off
.macro STEP_Q8 off
	LOADW	\off
	DECODE	v128.xor
	DOTS	\off
.endm

# both rows' int sums against x row r start at −(xs_r << \shift): \a = \b
.macro INIT xs, a, b, shift
	local.get	\xs
	v128.load	0:p2align=0
	.if	\shift
	i32.const	\shift
	i32x4.shl
	.endif
	i32x4.neg
	local.tee	\a
	local.set	\b
.endm

# all four x rows' sums: INIT with \shift
.macro INITS shift
	INIT	5, 21, 25, \shift
	INIT	15, 22, 26, \shift
	INIT	16, 23, 27, \shift
	INIT	17, 24, 28, \shift
.endm

# \f0 += f32(\a) · d0 · xd_r, \f1 += f32(\b) · d1 · xd_r (d0, d1 in locals 38, 39; xd_r read
# by \ld: a group's 4 block scales, or one block's splatted)
.macro SCALE xd, a, b, f0, f1, ld=v128.load
	local.get	\xd
	\ld	0:p2align=0
	local.set	42
	local.get	\a
	f32x4.convert_i32x4_s
	local.get	38
	local.get	42
	f32x4.mul
	local.get	\f0
	f32x4.relaxed_madd
	local.set	\f0
	local.get	\b
	f32x4.convert_i32x4_s
	local.get	39
	local.get	42
	f32x4.mul
	local.get	\f1
	f32x4.relaxed_madd
	local.set	\f1
.endm

# local \p += \n
.macro ADVANCE p, n
	local.get	\p
	i32.const	\n
	i32.add
	local.set	\p
.endm

# locals \a..\h ← 0 (i32x4)
.macro ZERO8 a, b, c, d, e, f, g, h
	v128.const	0, 0, 0, 0
	local.tee	\a
	local.tee	\b
	local.tee	\c
	local.tee	\d
	local.tee	\e
	local.tee	\f
	local.tee	\g
	local.set	\h
.endm

# local \dst = local \src + local \step
.macro NEXTROW dst, src, step
	local.get	\src
	local.get	\step
	i32.add
	local.set	\dst
.endm

# out + \off ← local \v
.macro STORE off, v
	local.get	10
	local.get	\v
	v128.store	\off:p2align=0
.endm

# the mask splat, the row pointers; then `block; loop` around a group, ng > 0
.macro PROLOGUE
	.local	i32, i32, i32, i32, i32, i32, i32, i32, i32, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128
	local.get	11
	i8x16.splat
	local.set	37
	NEXTROW	12, 4, 7
	NEXTROW	13, 12, 7
	NEXTROW	14, 13, 7
	NEXTROW	15, 5, 8
	NEXTROW	16, 15, 8
	NEXTROW	17, 16, 8
	NEXTROW	18, 6, 8
	NEXTROW	19, 18, 8
	NEXTROW	20, 19, 8
	block
	local.get	9
	i32.eqz
	br_if	0
	loop
.endm

# the group's scaling into the f32 sums, the pointers to the next group (\qstep bytes of
# weights), the loop's end and the stores of the sums
.macro EPILOGUE qstep
	local.get	2
	v128.load	0:p2align=0
	local.set	38
	local.get	3
	v128.load	0:p2align=0
	local.set	39
	SCALE	6, 21, 25, 29, 33
	SCALE	18, 22, 26, 30, 34
	SCALE	19, 23, 27, 31, 35
	SCALE	20, 24, 28, 32, 36
	ADVANCE_2X4	\qstep, 16, 128, 16
	LOOP_CLOSE
.endm

# a plain block's steps: Q4_0's one (16 nibble bytes; x values 0–15, then 16–31), Q8_0's two
.macro TAIL_Q4
	STEP_Q4	0, 16
.endm

.macro TAIL_Q8
	STEP_Q8	0
	STEP_Q8	16
.endm

# both rows' int sums against x row r start at a quarter of the block's offset correction in
# each lane, as the C tail did: the block's xs_r splat, \op by 2 (Q8_0: i32x4.shl, 32·Σx;
# Q4_0: i32x4.shr_s, 2·Σx), negated
.macro INIT1 xs, a, b, op
	local.get	\xs
	v128.load32_splat	0:p2align=0
	i32.const	2
	\op
	i32x4.neg
	local.tee	\a
	local.set	\b
.endm

# the blocks after the whole groups (nt of them: mask param >> 8), stored plainly, one f32
# scale each: \steps is the block's steps, \qstep its weight bytes; all four lanes of a sum
# take the block's d_w · d_x
.macro TAIL op, qstep, steps
	block
	local.get	11
	i32.const	8
	i32.shr_u
	local.tee	11
	i32.eqz
	br_if	0
	loop
	INIT1	5, 21, 25, \op
	INIT1	15, 22, 26, \op
	INIT1	16, 23, 27, \op
	INIT1	17, 24, 28, \op
	\steps
	local.get	2
	v128.load32_splat	0:p2align=0
	local.set	38
	local.get	3
	v128.load32_splat	0:p2align=0
	local.set	39
	SCALE	6, 21, 25, 29, 33, v128.load32_splat
	SCALE	18, 22, 26, 30, 34, v128.load32_splat
	SCALE	19, 23, 27, 31, 35, v128.load32_splat
	SCALE	20, 24, 28, 32, 36, v128.load32_splat
	ADVANCE_2X4	\qstep, 4, 32, 4
	LOOP_CLOSE	11
.endm

# ng −= 1 and loop while groups are left; then the stores of the sums
.macro LOOP_END
	LOOP_CLOSE
	STORES
.endm

# counter local \n (default 9: ng) −= 1 and loop while it is not 0; then close the block
.macro LOOP_CLOSE n=9
	local.get	\n
	i32.const	-1
	i32.add
	local.tee	\n
	br_if	0
	end_loop
	end_block
.endm

# the 2 × 4 kernels' pointers past a step of the loop: the weight rows by \q, their scale
# rows by \d, the 4 x rows by \x, their xs and xd by \t
.macro ADVANCE_2X4 q, d, x, t
	ADVANCE	0, \q
	ADVANCE	1, \q
	ADVANCE	2, \d
	ADVANCE	3, \d
	ADVANCE	4, \x
	ADVANCE	12, \x
	ADVANCE	13, \x
	ADVANCE	14, \x
	ADVANCE	5, \t
	ADVANCE	15, \t
	ADVANCE	16, \t
	ADVANCE	17, \t
	ADVANCE	6, \t
	ADVANCE	18, \t
	ADVANCE	19, \t
	ADVANCE	20, \t
.endm

# the 4 × 1 kernels' likewise: the 4 weight rows by \q, their scale rows by \d, x by \x,
# xs and xd by \t
.macro ADVANCE_4X1 q, d, x, t
	ADVANCE	0, \q
	ADVANCE	10, \q
	ADVANCE	11, \q
	ADVANCE	12, \q
	ADVANCE	2, \d
	ADVANCE	13, \d
	ADVANCE	14, \d
	ADVANCE	15, \d
	ADVANCE	4, \x
	ADVANCE	5, \t
	ADVANCE	6, \t
.endm

# out ← the 8 f32 sums
.macro STORES
	STORE	0, 29
	STORE	16, 30
	STORE	32, 31
	STORE	48, 32
	STORE	64, 33
	STORE	80, 34
	STORE	96, 35
	STORE	112, 36
.endm

	.globl	loom_q4_0_2x4
	.type	loom_q4_0_2x4,@function
loom_q4_0_2x4:
	.functype	loom_q4_0_2x4 (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> ()
	PROLOGUE
	INITS	0
	STEP_Q4	0, 64
	STEP_Q4	16, 80
	STEP_Q4	32, 96
	STEP_Q4	48, 112
	EPILOGUE	64
	TAIL	i32x4.shr_s, 16, TAIL_Q4
	STORES
	end_function

	.globl	loom_q8_0_2x4
	.type	loom_q8_0_2x4,@function
loom_q8_0_2x4:
	.functype	loom_q8_0_2x4 (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> ()
	PROLOGUE
	INITS	4
	STEP_Q8	0
	STEP_Q8	16
	STEP_Q8	32
	STEP_Q8	48
	STEP_Q8	64
	STEP_Q8	80
	STEP_Q8	96
	STEP_Q8	112
	EPILOGUE	128
	TAIL	i32x4.shl, 32, TAIL_Q8
	STORES
	end_function


# ---------------------------------------------------------------------------------------
# void loom_q4_k_2x4(q0, q1, s0, s1, x, xs, xd, k, rs, nsb, out, mask)
#   Q4_K (repacked: Q4_0's nibble layout; per superblock of 256 values, 24 bytes at s0 / s1:
#   f32 d, f32 dmin, 8 scale bytes, 8 min bytes) · 4 activation rows over nsb superblocks of
#   2 groups each. The steps are Q4_0's with the sums starting at 0; a group's epilogue scales
#   lane b by d·sc_b · d_x and subtracts dmin·m_b · d_x · Σx_b (Σx = xs >> 3).

# one Q4_K step: weight vector at \w of both rows; x at \lo and \hi
.macro STEP_Q4K w, lo, hi
	LOADW	\w
	DECODE	v128.and
	DOTS	\lo
	DECODE_HI
	DOTS	\hi
.endm

# local \dst ← f32 at \p + \d (splat) · the 4 bytes at \p + \b as f32
.macro SCALE_BYTES p, d, b, dst
	local.get	\p
	v128.load32_splat	\d:p2align=0
	local.get	\p
	v128.load32_zero	\b:p2align=0
	i16x8.extend_low_i8x16_u
	i32x4.extend_low_i16x8_u
	f32x4.convert_i32x4_u
	f32x4.mul
	local.set	\dst
.endm

# local \dst ← Σx of the group's 4 blocks as f32, from local \xs at \o (which holds 8·Σx)
.macro XSUM xs, o, dst
	local.get	\xs
	v128.load	\o:p2align=0
	i32.const	3
	i32x4.shr_s
	f32x4.convert_i32x4_s
	local.set	\dst
.endm

# A Q4_K sum's scaling, \f ← −(Σx · dmin·m · d_x) + (f32(int sum) · d·sc · d_x + \f), as
# MIN_K \xsum, \dmn, \dx; then the caller pushes the f32 int sum; then MADD_K \dsc, \dx, \f
# (locals: Σx, dmin·m, d_x, d·sc).
.macro MIN_K xsum, dmn, dx
	local.get	\xsum
	local.get	\dmn
	local.get	\dx
	f32x4.mul
.endm

.macro MADD_K dsc, dx, f
	local.get	\dsc
	local.get	\dx
	f32x4.mul
	local.get	\f
	f32x4.relaxed_madd
	f32x4.relaxed_nmadd
	local.set	\f
.endm

# x row r's scaling at group offset \o (xs/xd): \f0 from \a, \f1 from \b; d·sc in locals
# 38 / 39, dmin·m in 40 / 41
.macro SCALE_K xs, xd, o, a, b, f0, f1
	local.get	\xd
	v128.load	\o:p2align=0
	local.set	42
	XSUM	\xs, \o, 43
	MIN_K	43, 40, 42
	local.get	\a
	f32x4.convert_i32x4_s
	MADD_K	38, 42, \f0
	MIN_K	43, 41, 42
	local.get	\b
	f32x4.convert_i32x4_s
	MADD_K	39, 42, \f1
.endm

# one group: weights at \w0.. (+16 per step), x at \x0 / \x0 + 64, scale bytes \sc / \mn,
# xs / xd at \o
.macro GROUP_K w0, w1, w2, w3, l0, l1, l2, l3, h0, h1, h2, h3, sc, mn, o
	ZERO8	21, 22, 23, 24, 25, 26, 27, 28
	STEP_Q4K	\w0, \l0, \h0
	STEP_Q4K	\w1, \l1, \h1
	STEP_Q4K	\w2, \l2, \h2
	STEP_Q4K	\w3, \l3, \h3
	SCALE_BYTES	2, 0, \sc, 38
	SCALE_BYTES	3, 0, \sc, 39
	SCALE_BYTES	2, 4, \mn, 40
	SCALE_BYTES	3, 4, \mn, 41
	SCALE_K	5, 6, \o, 21, 25, 29, 33
	SCALE_K	15, 18, \o, 22, 26, 30, 34
	SCALE_K	16, 19, \o, 23, 27, 31, 35
	SCALE_K	17, 20, \o, 24, 28, 32, 36
.endm

	.globl	loom_q4_k_2x4
	.type	loom_q4_k_2x4,@function
loom_q4_k_2x4:
	.functype	loom_q4_k_2x4 (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> ()
	PROLOGUE
	GROUP_K	0, 16, 32, 48, 0, 16, 32, 48, 64, 80, 96, 112, 8, 16, 0
	GROUP_K	64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 12, 20, 16
	ADVANCE_2X4	128, 24, 256, 32
	LOOP_END
	end_function

# ---------------------------------------------------------------------------------------
# void loom_q4_0_4x1(q0, qs, d0, ds, x, xs, xd, ng, out, mask)
#   Four Q4_0 weight rows · one activation row (batch-1 decode), over the whole groups:
#   rows q0, q0 + qs, q0 + 2qs, q0 + 3qs (far apart, so that each is a sequential stream for
#   the prefetcher) and their scale rows d0 + i·ds. Each step loads the x vectors of both
#   nibble halves once for the four rows; low and high halves accumulate apart (8 chains,
#   each waiting on one dot a step). out: 4 f32x4 partial sums.
# Locals: 0 q0, 1 qs, 2 d0, 3 ds, 4 x, 5 xs, 6 xd, 7 ng, 8 out, 9 mask byte, 10–12 q1..q3,
# 13–15 d1..d3 (i32); 16–19 low-half sums, 20–23 high-half sums, 24–27 f32 sums, 28 mask,
# 29 x low, 30 x high, 31 p, 32 x scale (v128).

# row \q's weight vector \off: \lo += xlo·(p & mask), \hi += xhi·(p >> 4 & mask)
.macro ROW1 q, off, lo, hi
	local.get	\q
	v128.load	\off:p2align=0
	local.set	31
	local.get	29
	local.get	31
	local.get	28
	v128.and
	local.get	\lo
	i32x4.relaxed_dot_i8x16_i7x16_add_s
	local.set	\lo
	local.get	30
	local.get	31
	i32.const	4
	i16x8.shr_u
	local.get	28
	v128.and
	local.get	\hi
	i32x4.relaxed_dot_i8x16_i7x16_add_s
	local.set	\hi
.endm

# step \lo of a group: x at \lo and \hi = \lo + 64, the four rows' weight vector \lo
.macro STEP_4X1 lo, hi
	local.get	4
	v128.load	\lo:p2align=0
	local.set	29
	local.get	4
	v128.load	\hi:p2align=0
	local.set	30
	ROW1	0, \lo, 16, 20
	ROW1	10, \lo, 17, 21
	ROW1	11, \lo, 18, 22
	ROW1	12, \lo, 19, 23
.endm

# \f += f32(\lo + \hi) · d_row · xd (x scale in local 32); the sums restart: \lo ← −8·Σx
# of the next group is set by INIT_4X1, \hi ← 0 here
.macro SCALE1 d, lo, hi, f
	local.get	\lo
	local.get	\hi
	i32x4.add
	f32x4.convert_i32x4_s
	local.get	\d
	v128.load	0:p2align=0
	local.get	32
	f32x4.mul
	local.get	\f
	f32x4.relaxed_madd
	local.set	\f
.endm

# the 4 × 1 kernels' start: the mask splat, the other rows' weight and scale pointers (\
# strides in locals 1 and 3); then `block; loop` around a group (superblock), count > 0
.macro PROLOGUE_4X1
	local.get	9
	i8x16.splat
	local.set	28
	NEXTROW	10, 0, 1
	NEXTROW	11, 10, 1
	NEXTROW	12, 11, 1
	NEXTROW	13, 2, 3
	NEXTROW	14, 13, 3
	NEXTROW	15, 14, 3
	block
	local.get	7
	i32.eqz
	br_if	0
	loop
.endm

# count −= 1 and loop while any is left; then out ← the 4 f32 sums
.macro EPILOGUE_4X1
	LOOP_CLOSE	7
	local.get	8
	local.get	24
	v128.store	0:p2align=0
	local.get	8
	local.get	25
	v128.store	16:p2align=0
	local.get	8
	local.get	26
	v128.store	32:p2align=0
	local.get	8
	local.get	27
	v128.store	48:p2align=0
.endm

	.globl	loom_q4_0_4x1
	.type	loom_q4_0_4x1,@function
loom_q4_0_4x1:
	.functype	loom_q4_0_4x1 (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> ()
	.local	i32, i32, i32, i32, i32, i32, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128
	PROLOGUE_4X1
	local.get	5
	v128.load	0:p2align=0
	i32x4.neg
	local.tee	16
	local.tee	17
	local.tee	18
	local.set	19
	v128.const	0, 0, 0, 0
	local.tee	20
	local.tee	21
	local.tee	22
	local.set	23
	STEP_4X1	0, 64
	STEP_4X1	16, 80
	STEP_4X1	32, 96
	STEP_4X1	48, 112
	local.get	6
	v128.load	0:p2align=0
	local.set	32
	SCALE1	2, 16, 20, 24
	SCALE1	13, 17, 21, 25
	SCALE1	14, 18, 22, 26
	SCALE1	15, 19, 23, 27
	ADVANCE_4X1	64, 16, 128, 16
	EPILOGUE_4X1
	end_function

# ---------------------------------------------------------------------------------------
# void loom_q4_k_4x1(q0, qs, s0, ss, x, xs, xd, nsb, out, mask)
#   Four Q4_K weight rows · one activation row (batch-1 decode), loom_q4_0_4x1's steps on
#   the repacked nibbles: rows q0 + i·qs and their scale rows s0 + i·ss (24 bytes a
#   superblock, as in loom_q4_k_2x4), nsb superblocks of two groups. The sums start at 0;
#   a group's epilogue scales each row's lane b by d·sc_b · d_x and subtracts
#   dmin·m_b · d_x · Σx_b. out: 4 f32x4 partial sums.
# Locals: 0 q0, 1 qs, 2 s0, 3 ss, 4 x, 5 xs, 6 xd, 7 nsb, 8 out, 9 mask byte, 10–12 q1..q3,
# 13–15 s1..s3 (i32); 16–19 low-half sums, 20–23 high-half sums, 24–27 f32 sums, 28 mask,
# 29 x low, 30 x high, 31 p, 32 x scales, 33 Σx (f32), 34 d·sc, 35 dmin·m (v128).

# step: the four rows' weight vector \w; x at \lo (low nibbles' values) and \hi
.macro STEP_4X1K w, lo, hi
	local.get	4
	v128.load	\lo:p2align=0
	local.set	29
	local.get	4
	v128.load	\hi:p2align=0
	local.set	30
	ROW1	0, \w, 16, 20
	ROW1	10, \w, 17, 21
	ROW1	11, \w, 18, 22
	ROW1	12, \w, 19, 23
.endm

# row with scale row \s: \f ← −(Σx · dmin·m · d_x) + (f32(\lo + \hi) · d·sc · d_x + \f), the
# group's scale bytes at \sc and min bytes at \mn
.macro SCALE1_K s, sc, mn, lo, hi, f
	SCALE_BYTES	\s, 0, \sc, 34
	SCALE_BYTES	\s, 4, \mn, 35
	MIN_K	33, 35, 32
	local.get	\lo
	local.get	\hi
	i32x4.add
	f32x4.convert_i32x4_s
	MADD_K	34, 32, \f
.endm

# one group: weights at \w0 (+16 a step), x at \x0 (+16 a step; high halves +64), scale
# bytes \sc / \mn, xs / xd at \o
.macro GROUP_4X1K w0, w1, w2, w3, l0, l1, l2, l3, h0, h1, h2, h3, sc, mn, o
	ZERO8	16, 17, 18, 19, 20, 21, 22, 23
	STEP_4X1K	\w0, \l0, \h0
	STEP_4X1K	\w1, \l1, \h1
	STEP_4X1K	\w2, \l2, \h2
	STEP_4X1K	\w3, \l3, \h3
	local.get	6
	v128.load	\o:p2align=0
	local.set	32
	XSUM	5, \o, 33
	SCALE1_K	2, \sc, \mn, 16, 20, 24
	SCALE1_K	13, \sc, \mn, 17, 21, 25
	SCALE1_K	14, \sc, \mn, 18, 22, 26
	SCALE1_K	15, \sc, \mn, 19, 23, 27
.endm

	.globl	loom_q4_k_4x1
	.type	loom_q4_k_4x1,@function
loom_q4_k_4x1:
	.functype	loom_q4_k_4x1 (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> ()
	.local	i32, i32, i32, i32, i32, i32, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128, v128
	PROLOGUE_4X1
	GROUP_4X1K	0, 16, 32, 48, 0, 16, 32, 48, 64, 80, 96, 112, 8, 16, 0
	GROUP_4X1K	64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 12, 20, 16
	ADVANCE_4X1	128, 24, 256, 32
	EPILOGUE_4X1
	end_function
