/* qu8s8_gemm_amx.c - uint8 x int8 -> int32 GEMM over N16K4 weights with
 * AMX-INT8 (tdpbusd), same contract as qu8s8_gemm in kernels/kernels.h and
 * the same output, bit for bit, as tr_qu8s8_gemm_ukernel_6x64__avx512vnni.
 *
 * Why the layout fits: tdpbusd multiplies an A tile (rows x 64 bytes: 16 k-
 * groups of 4 u8 per row) by a B tile whose row r holds k-group r for 16
 * output channels (16 x 4 s8 = 64 bytes). N16K4 stores one 16-channel block
 * as its k-groups one after the other, 64 bytes each, so 16 consecutive
 * groups of a block are 1024 contiguous bytes: one B tile, stride 64, no
 * repacking. A tiles are 16 rows of Q (stride ldq) at a 64-byte k offset;
 * Q rows are zero-padded to round_up(K, 64), so a whole 64-byte row slice
 * is always inside the row and its bytes past K are zero.
 *
 * Tiles: tmm0..3 accumulate a 2x2 grid of 16x16 int32 blocks (32 rows x 32
 * channels), tmm4/5 are the A tiles of the two 16-row halves, tmm6/7 the B
 * tiles of the two 16-channel blocks: per 64 k, 4 tile loads for 4 tdpbusd.
 * Edges use the same code with one A or one B tile (constant MT/NT).
 *
 * Tails:
 * - K: a block has kgroups = round_up(K, 4) / 4 groups. When kgroups is not
 *   a multiple of 16 the last B tile would read past the block (past the
 *   weights for the last block), so that tile comes from a zero-padded stack
 *   copy, made once per 32-channel panel. Zero groups x zero Q bytes add 0.
 * - M: rows in whole 16-row blocks run with every tile 16 rows high; the
 *   last M % 16 rows run after a second ldtilecfg whose A and C tiles have
 *   exactly that many rows, so no tile load reads a row past Q. So at most
 *   two ldtilecfg per call, then tilerelease.
 * - N: B tiles of a partial 16-channel block are whole (N16K4 pads N to 16
 *   with zeros); the epilogue stores with a mask, so C columns >= N stay.
 *
 * Epilogue: each accumulator tile goes to a 1 KiB stack buffer (tilestored)
 * and is dequantized with AVX-512 (every AMX CPU has it), doing the
 * reference's float operations in its order, like the VNNI kernel.
 *
 * Testing without AMX: compiled a second time with TR_AMX_EMULATE, the AMX
 * instructions below become calls into a C model of them written from
 * Intel's documentation (tests/support/amx_emulate.h); tests/test_amx.c runs
 * that build against the reference on odd shapes on any AVX-512 CPU, and
 * the real build too when the CPU has AMX. */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"

#if defined(TR_AMX_EMULATE)
#include "support/amx_emulate.h"
#define AMX_LDTILECFG(cfg) tr_amx_emu_ldtilecfg(cfg)
#define AMX_TILEZERO(t) tr_amx_emu_tilezero(t)
#define AMX_TILELOADD(t, base, stride) tr_amx_emu_tileloadd(t, base, (long)(stride))
#define AMX_TILESTORED(t, base, stride) tr_amx_emu_tilestored(t, base, (long)(stride))
#define AMX_TDPBUSD(c, a, b) tr_amx_emu_tdpbusd(c, a, b)
#define AMX_TILERELEASE() tr_amx_emu_tilerelease()
#define AMX_KERNEL(name) name##_emulated
#else
#define AMX_LDTILECFG(cfg) _tile_loadconfig(cfg)
#define AMX_TILEZERO(t) _tile_zero(t)
#define AMX_TILELOADD(t, base, stride) _tile_loadd(t, base, stride)
#define AMX_TILESTORED(t, base, stride) _tile_stored(t, base, stride)
#define AMX_TDPBUSD(c, a, b) _tile_dpbusd(c, a, b)
#define AMX_TILERELEASE() _tile_release()
#define AMX_KERNEL(name) name
#endif

/* GCC 12's AMX intrinsics are asm statements that do not tell the compiler
 * which memory they read: _tile_loadconfig declares only the first 8 bytes
 * of the 64-byte config, _tile_loadd none at all. Without this barrier the
 * compiler may drop or delay stores to the config or to a stack copy that
 * only a tile load reads. */
#define AMX_MEMORY_BARRIER() __asm__ volatile("" ::: "memory")

/* Tile numbers are macros (not an enum) because the intrinsics paste them
 * into the instruction text after macro expansion. */
#define TC00 0 /* C rows 0-15,  channels 0-15 */
#define TC01 1 /* C rows 0-15,  channels 16-31 */
#define TC10 2 /* C rows 16-31, channels 0-15 */
#define TC11 3 /* C rows 16-31, channels 16-31 */
#define TA0 4  /* Q rows 0-15, 64 bytes of k */
#define TA1 5  /* Q rows 16-31 */
#define TB0 6  /* 16 k-groups of channel block 0 */
#define TB1 7  /* ... of channel block 1 */

#define TILE_BYTES 1024 /* 16 rows x 64 bytes */

/* The LDTILECFG operand, palette 1 (Intel SDM vol. 1, ch. 3 / the
 * intrinsics guide): bytes 16..47 colsb of tiles 0..15, 48..63 rows. */
typedef struct amx_tilecfg {
    uint8_t palette_id;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_tilecfg;
_Static_assert(sizeof(amx_tilecfg) == 64, "LDTILECFG reads 64 bytes");

/* All 8 tiles 64 bytes wide; A and C tiles `rows` high (M tail), B tiles
 * always 16 k-groups high (K = 64 bytes per tdpbusd). */
static void load_config(size_t rows)
{
    _Alignas(64) amx_tilecfg cfg;
    uint8_t *bytes = (uint8_t *)&cfg;
    for (size_t i = 0; i < sizeof cfg; i++)
        bytes[i] = 0;
    cfg.palette_id = 1;
    for (int t = 0; t < 8; t++) {
        cfg.colsb[t] = 64;
        cfg.rows[t] = (uint8_t)(t == TB0 || t == TB1 ? 16 : rows);
    }
    AMX_MEMORY_BARRIER();
    AMX_LDTILECFG(&cfg);
}

typedef struct gemm_args {
    size_t kgroups; /* round_up(K, 4) / 4: groups per 16-channel block */
    size_t kfull;   /* whole B tiles per block: kgroups / 16 */
    size_t ktail;   /* groups in the last, partial B tile (0: none) */
    size_t ldq, N, ldc;
    const uint8_t *Q;
    const float *a_scale;
    const int32_t *a_zp;
    const int8_t *W;
    const float *w_scale;
    const int32_t *w_sum;
    const float *bias;
    float *C;
} gemm_args;

/* C = (float)(ACC - zp * w_sum) * (a_scale * w_scale) + bias for `rows`
 * rows of one 16x16 accumulator block (the VNNI kernel's epilogue: the
 * reference's float operations in its order); masked for the N tail. */
static void store_block(const gemm_args *g, const int32_t acc[16 * 16], size_t m0, size_t rows,
                        size_t n)
{
    const size_t left = g->N - n;
    const __mmask16 mk = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
    const __m512i ws = _mm512_maskz_loadu_epi32(mk, g->w_sum + n);
    const __m512 wsc = _mm512_maskz_loadu_ps(mk, g->w_scale + n);
    const __m512 b = g->bias ? _mm512_maskz_loadu_ps(mk, g->bias + n) : _mm512_setzero_ps();
    for (size_t i = 0; i < rows; i++) {
        const size_t m = m0 + i;
        const __m512i c = _mm512_load_si512((const void *)(acc + i * 16));
        __m512i a = _mm512_sub_epi32(c, _mm512_mullo_epi32(_mm512_set1_epi32(g->a_zp[m]), ws));
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(a),
                                 _mm512_mul_ps(_mm512_set1_ps(g->a_scale[m]), wsc));
        if (g->bias)
            v = _mm512_add_ps(v, b);
        _mm512_mask_storeu_ps(g->C + m * g->ldc + n, mk, v);
    }
}

/* The last, partial B tile of a block: its ktail groups, then zero rows. */
static void copy_b_tail(const gemm_args *g, size_t block, int8_t dst[TILE_BYTES])
{
    const int8_t *src = g->W + block * g->kgroups * 64 + g->kfull * TILE_BYTES;
    for (size_t r = 0; r < 16; r++) {
        const __m512i v = r < g->ktail ? _mm512_loadu_si512((const void *)(src + r * 64))
                                       : _mm512_setzero_si512();
        _mm512_store_si512((void *)(dst + r * 64), v);
    }
}

/* One MT x NT grid of 16x16 blocks (MT, NT in {1, 2}, constants after
 * inlining): rows m0.., channel blocks jb.., A/C tiles `rows` high (16, or
 * the M tail with MT = 1). btail: the panel's partial B tiles (ktail > 0). */
static inline __attribute__((always_inline)) void tile_grid(const gemm_args *g, size_t m0,
                                                            size_t rows, size_t jb, const int MT,
                                                            const int NT,
                                                            int8_t btail[2][TILE_BYTES])
{
    const size_t blk = g->kgroups * 64;
    const uint8_t *a0 = g->Q + m0 * g->ldq, *a1 = a0 + 16 * g->ldq;
    const int8_t *b0 = g->W + jb * blk, *b1 = b0 + blk;
    AMX_TILEZERO(TC00);
    if (NT > 1)
        AMX_TILEZERO(TC01);
    if (MT > 1)
        AMX_TILEZERO(TC10);
    if (MT > 1 && NT > 1)
        AMX_TILEZERO(TC11);
    for (size_t kb = 0; kb < g->kfull; kb++) {
        AMX_TILELOADD(TA0, a0 + kb * 64, g->ldq);
        if (MT > 1)
            AMX_TILELOADD(TA1, a1 + kb * 64, g->ldq);
        AMX_TILELOADD(TB0, b0 + kb * TILE_BYTES, 64);
        if (NT > 1)
            AMX_TILELOADD(TB1, b1 + kb * TILE_BYTES, 64);
        AMX_TDPBUSD(TC00, TA0, TB0);
        if (NT > 1)
            AMX_TDPBUSD(TC01, TA0, TB1);
        if (MT > 1)
            AMX_TDPBUSD(TC10, TA1, TB0);
        if (MT > 1 && NT > 1)
            AMX_TDPBUSD(TC11, TA1, TB1);
    }
    if (g->ktail) {
        /* Q bytes up to round_up(K, 64) are in the row (and zero past K) */
        const size_t off = g->kfull * 64;
        AMX_TILELOADD(TA0, a0 + off, g->ldq);
        if (MT > 1)
            AMX_TILELOADD(TA1, a1 + off, g->ldq);
        AMX_TILELOADD(TB0, btail[0], 64);
        if (NT > 1)
            AMX_TILELOADD(TB1, btail[1], 64);
        AMX_TDPBUSD(TC00, TA0, TB0);
        if (NT > 1)
            AMX_TDPBUSD(TC01, TA0, TB1);
        if (MT > 1)
            AMX_TDPBUSD(TC10, TA1, TB0);
        if (MT > 1 && NT > 1)
            AMX_TDPBUSD(TC11, TA1, TB1);
    }
    _Alignas(64) int32_t acc[16 * 16];
    const size_t n0 = jb * 16;
    AMX_TILESTORED(TC00, acc, 64);
    AMX_MEMORY_BARRIER();
    store_block(g, acc, m0, rows, n0);
    if (NT > 1) {
        AMX_TILESTORED(TC01, acc, 64);
        AMX_MEMORY_BARRIER();
        store_block(g, acc, m0, rows, n0 + 16);
    }
    if (MT > 1) {
        AMX_TILESTORED(TC10, acc, 64);
        AMX_MEMORY_BARRIER();
        store_block(g, acc, m0 + 16, 16, n0);
    }
    if (MT > 1 && NT > 1) {
        AMX_TILESTORED(TC11, acc, 64);
        AMX_MEMORY_BARRIER();
        store_block(g, acc, m0 + 16, 16, n0 + 16);
    }
}

/* Rows [m_begin, m_end) under the loaded config (A/C tiles `rows` high:
 * 16 for whole blocks, m_end - m_begin < 16 for the tail), every channel,
 * in 32-channel panels so that a panel's weights are reused by all rows. */
static void run_rows(const gemm_args *g, size_t m_begin, size_t m_end, size_t rows)
{
    const size_t nblocks = (g->N + 15) / 16;
    _Alignas(64) int8_t btail[2][TILE_BYTES];
    for (size_t jb = 0; jb < nblocks; jb += 2) {
        const int nt = nblocks - jb >= 2 ? 2 : 1;
        if (g->ktail) {
            copy_b_tail(g, jb, btail[0]);
            if (nt > 1)
                copy_b_tail(g, jb + 1, btail[1]);
            AMX_MEMORY_BARRIER(); /* tile loads read the copies */
        }
        for (size_t m0 = m_begin; m0 < m_end;) {
            const int mt = rows == 16 && m_end - m0 >= 32 ? 2 : 1;
            if (mt == 2 && nt == 2)
                tile_grid(g, m0, rows, jb, 2, 2, btail);
            else if (mt == 2)
                tile_grid(g, m0, rows, jb, 2, 1, btail);
            else if (nt == 2)
                tile_grid(g, m0, rows, jb, 1, 2, btail);
            else
                tile_grid(g, m0, rows, jb, 1, 1, btail);
            m0 += (size_t)mt * rows;
        }
    }
}

void AMX_KERNEL(tr_qu8s8_gemm_ukernel_32x32__amx)(size_t M, size_t N, size_t K,
                                                  const uint8_t *Q, size_t ldq,
                                                  const float *a_scale, const int32_t *a_zp,
                                                  const int8_t *W, const float *w_scale,
                                                  const int32_t *w_sum, const float *bias,
                                                  float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    const size_t kgroups = tr_round_up(K, 4) / 4;
    const gemm_args g = {kgroups, kgroups / 16, kgroups % 16, ldq, N, ldc, Q, a_scale, a_zp,
                         W, w_scale, w_sum, bias, C};
    const size_t mfull = M / 16 * 16;
    if (mfull) {
        load_config(16);
        run_rows(&g, 0, mfull, 16);
    }
    if (M > mfull) {
        load_config(M - mfull);
        run_rows(&g, mfull, M, M - mfull);
    }
    AMX_TILERELEASE();
}

#if !defined(TR_AMX_EMULATE)
/* The "amx" set's entry. Below 16 rows an A tile is partly empty while each
 * B tile (1 KiB of weights per 16 channels x 64 k) must still be loaded:
 * like the VNNI kernel, the call is then bound by streaming the weights,
 * and the tile configuration, release and the 8 KiB of tile state that the
 * OS must now save on a context switch are pure overhead. So small M (a
 * decoder step, the last rows of a thread's share) goes to the VNNI kernel,
 * whose output is bit-identical. The threshold is reasoned, not measured
 * (no AMX machine so far): measure it with bench_gemm on one. */
#define AMX_MIN_ROWS 16

void tr_qu8s8_gemm__amx(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                        const float *a_scale, const int32_t *a_zp, const int8_t *W,
                        const float *w_scale, const int32_t *w_sum, const float *bias, float *C,
                        size_t ldc)
{
    if (M < AMX_MIN_ROWS)
        tr_qu8s8_gemm_ukernel_6x64__avx512vnni(M, N, K, Q, ldq, a_scale, a_zp, W, w_scale,
                                                w_sum, bias, C, ldc);
    else
        tr_qu8s8_gemm_ukernel_32x32__amx(M, N, K, Q, ldq, a_scale, a_zp, W, w_scale, w_sum,
                                         bias, C, ldc);
}
#endif
