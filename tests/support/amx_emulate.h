/* amx_emulate.h - a C model of the AMX instructions that
 * runtime/kernels/x86/qu8s8_gemm_amx.c uses (LDTILECFG, TILEZERO,
 * TILELOADD, TILESTORED, TDPBUSD, TILERELEASE), so that the kernel's tiling
 * and tail logic can be tested on CPUs without AMX: tests/CMakeLists.txt
 * compiles the kernel a second time with TR_AMX_EMULATE, which turns each
 * instruction into a call here, and tests/test_amx.c compares that build
 * with the reference kernel.
 *
 * Written from Intel's descriptions (SDM vol. 1 ch. 3 "Intel AMX", the
 * intrinsics guide's Operation sections): palette 1 = 8 tiles of at most 16
 * rows x 64 bytes; a tile load reads rows x colsb bytes at base + r * stride
 * and zeroes the rest of the tile; TDPBUSD: for m < dst.rows, k < src1.colsb
 * / 4, n < dst.colsb / 4: dst[m].dword[n] += sum of 4 zero-extended bytes of
 * src1[m].dword[k] times the sign-extended bytes of src2[k].dword[n]
 * (wrapping int32), then the row's bytes past colsb and the rows past
 * dst.rows are zeroed.
 *
 * It is stricter than needed where the hardware would fault (#GP on a bad
 * config, #UD on a shape mismatch, a tile that is not configured, or
 * registers that are not distinct): each such case calls the fault handler,
 * so a kernel bug that real hardware would trap is a test failure here.
 * What it does not model: timing, the start_row restart after a page fault
 * (the kernel always sets 0, so a non-zero one is a fault here), the
 * tileloaddt1 hint, and that state is per thread (one global state: the
 * emulated kernel must run on one thread at a time). Memory is read and
 * written with exactly the bytes the instruction touches, so AddressSanitizer
 * sees an out-of-bounds tile load as the over-read it would be. */
#ifndef TR_AMX_EMULATE_H
#define TR_AMX_EMULATE_H

#include <stddef.h>
#include <stdint.h>

void tr_amx_emu_ldtilecfg(const void *config);
void tr_amx_emu_tilezero(int tile);
void tr_amx_emu_tileloadd(int tile, const void *base, long stride);
void tr_amx_emu_tilestored(int tile, void *base, long stride);
void tr_amx_emu_tdpbusd(int dst, int src1, int src2);
void tr_amx_emu_tilerelease(void);

/* What the hardware would raise (#GP, #UD), with a sentence saying why. The
 * default handler prints it and aborts; a test installs its own (which must
 * not return: the instruction is not carried out). */
typedef void (*tr_amx_emu_fault_fn)(const char *why);
void tr_amx_emu_set_fault_handler(tr_amx_emu_fault_fn fn);

/* How many of each instruction ran (a test checks that a shape really
 * went through the tiles), and whether tiles are configured now (after the
 * kernel returns they must not be: it ends with TILERELEASE). */
typedef struct tr_amx_emu_counts {
    unsigned long ldtilecfg, tilezero, tileloadd, tilestored, tdpbusd, tilerelease;
} tr_amx_emu_counts;
extern tr_amx_emu_counts tr_amx_emu_count;
int tr_amx_emu_configured(void);

/* The AMX kernel built against this model (qu8s8_gemm_amx.c with
 * TR_AMX_EMULATE): the same code as tr_qu8s8_gemm_ukernel_32x32__amx. */
void tr_qu8s8_gemm_ukernel_32x32__amx_emulated(size_t M, size_t N, size_t K, const uint8_t *Q,
                                               size_t ldq, const float *a_scale,
                                               const int32_t *a_zp, const int8_t *W,
                                               const float *w_scale, const int32_t *w_sum,
                                               const float *bias, float *C, size_t ldc);

/* ------------------------------------------------------------------------
 * The model itself: compiled once, in the file that defines
 * TR_AMX_EMULATE_IMPLEMENTATION before including this header. */
#if defined(TR_AMX_EMULATE_IMPLEMENTATION)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TR_AMX_TILES 8
#define TR_AMX_MAX_ROWS 16
#define TR_AMX_MAX_COLSB 64

static struct {
    int configured; /* palette 1 loaded (0: init state) */
    uint16_t colsb[TR_AMX_TILES];
    uint8_t rows[TR_AMX_TILES];
    uint8_t data[TR_AMX_TILES][TR_AMX_MAX_ROWS][TR_AMX_MAX_COLSB];
} tr_amx_emu;

tr_amx_emu_counts tr_amx_emu_count;

static void tr_amx_emu_default_fault(const char *why)
{
    fprintf(stderr, "AMX model: the hardware would fault here: %s\n", why);
    abort();
}

static tr_amx_emu_fault_fn tr_amx_emu_fault_handler = tr_amx_emu_default_fault;

void tr_amx_emu_set_fault_handler(tr_amx_emu_fault_fn fn)
{
    tr_amx_emu_fault_handler = fn ? fn : tr_amx_emu_default_fault;
}

static void tr_amx_emu_fault(const char *why)
{
    tr_amx_emu_fault_handler(why);
    /* a handler must not return; if it does, stop anyway */
    tr_amx_emu_default_fault(why);
}

int tr_amx_emu_configured(void)
{
    return tr_amx_emu.configured;
}

/* TILERELEASE / palette 0: back to the init state, tiles zeroed. */
static void tr_amx_emu_init_state(void)
{
    memset(&tr_amx_emu, 0, sizeof tr_amx_emu);
}

void tr_amx_emu_ldtilecfg(const void *config)
{
    uint8_t c[64];
    memcpy(c, config, 64); /* the 64 bytes the instruction reads */
    tr_amx_emu_count.ldtilecfg++;
    const uint8_t palette = c[0], start_row = c[1];
    if (palette == 0) {
        tr_amx_emu_init_state();
        return;
    }
    if (palette != 1)
        tr_amx_emu_fault("LDTILECFG: palette other than 0 or 1 (#GP)");
    if (start_row != 0)
        tr_amx_emu_fault("LDTILECFG: start_row is not 0 (only a restarted instruction sets it)");
    for (int i = 2; i < 16; i++)
        if (c[i])
            tr_amx_emu_fault("LDTILECFG: reserved byte 2..15 not zero (#GP)");
    for (int i = 32; i < 48; i++)
        if (c[i])
            tr_amx_emu_fault("LDTILECFG: colsb of a tile >= 8 (reserved) not zero (#GP)");
    for (int i = 56; i < 64; i++)
        if (c[i])
            tr_amx_emu_fault("LDTILECFG: rows of a tile >= 8 (reserved) not zero (#GP)");
    uint16_t colsb[TR_AMX_TILES];
    uint8_t rows[TR_AMX_TILES];
    for (int t = 0; t < TR_AMX_TILES; t++) {
        colsb[t] = (uint16_t)(c[16 + 2 * t] | (c[17 + 2 * t] << 8)); /* little endian */
        rows[t] = c[48 + t];
        if (rows[t] > TR_AMX_MAX_ROWS || colsb[t] > TR_AMX_MAX_COLSB)
            tr_amx_emu_fault("LDTILECFG: a tile over 16 rows or 64 bytes per row (#GP)");
        if ((rows[t] == 0) != (colsb[t] == 0))
            tr_amx_emu_fault("LDTILECFG: a tile with rows but no columns or the reverse (#GP)");
    }
    tr_amx_emu_init_state(); /* LDTILECFG zeroes all tile data */
    tr_amx_emu.configured = 1;
    memcpy(tr_amx_emu.colsb, colsb, sizeof colsb);
    memcpy(tr_amx_emu.rows, rows, sizeof rows);
}

static void tr_amx_emu_check_tile(int t, const char *insn)
{
    static char why[128];
    if (!tr_amx_emu.configured) {
        snprintf(why, sizeof why, "%s: tiles not configured (no LDTILECFG since TILERELEASE) (#UD)",
                 insn);
        tr_amx_emu_fault(why);
    }
    if (t < 0 || t >= TR_AMX_TILES) {
        snprintf(why, sizeof why, "%s: no tile tmm%d", insn, t);
        tr_amx_emu_fault(why);
    }
    if (tr_amx_emu.rows[t] == 0) {
        snprintf(why, sizeof why, "%s: tmm%d is not configured (0 rows) (#UD)", insn, t);
        tr_amx_emu_fault(why);
    }
}

void tr_amx_emu_tilezero(int t)
{
    tr_amx_emu_count.tilezero++;
    tr_amx_emu_check_tile(t, "TILEZERO");
    memset(tr_amx_emu.data[t], 0, sizeof tr_amx_emu.data[t]);
}

void tr_amx_emu_tileloadd(int t, const void *base, long stride)
{
    tr_amx_emu_count.tileloadd++;
    tr_amx_emu_check_tile(t, "TILELOADD");
    memset(tr_amx_emu.data[t], 0, sizeof tr_amx_emu.data[t]);
    for (int r = 0; r < tr_amx_emu.rows[t]; r++)
        memcpy(tr_amx_emu.data[t][r], (const uint8_t *)base + (ptrdiff_t)r * stride,
               tr_amx_emu.colsb[t]);
}

void tr_amx_emu_tilestored(int t, void *base, long stride)
{
    tr_amx_emu_count.tilestored++;
    tr_amx_emu_check_tile(t, "TILESTORED");
    for (int r = 0; r < tr_amx_emu.rows[t]; r++)
        memcpy((uint8_t *)base + (ptrdiff_t)r * stride, tr_amx_emu.data[t][r],
               tr_amx_emu.colsb[t]);
}

void tr_amx_emu_tdpbusd(int dst, int src1, int src2)
{
    tr_amx_emu_count.tdpbusd++;
    tr_amx_emu_check_tile(dst, "TDPBUSD");
    tr_amx_emu_check_tile(src1, "TDPBUSD");
    tr_amx_emu_check_tile(src2, "TDPBUSD");
    if (dst == src1 || dst == src2 || src1 == src2)
        tr_amx_emu_fault("TDPBUSD: the three tile registers are not distinct (#UD)");
    const unsigned M = tr_amx_emu.rows[dst], Kd = tr_amx_emu.colsb[src1] / 4u,
                   N = tr_amx_emu.colsb[dst] / 4u;
    /* the shape rules (a K x N B tile times an M x K A tile into M x N) */
    if (tr_amx_emu.rows[src1] != M)
        tr_amx_emu_fault("TDPBUSD: src1 (A) rows != dst rows (#UD)");
    if (tr_amx_emu.rows[src2] != Kd)
        tr_amx_emu_fault("TDPBUSD: src2 (B) rows != src1 (A) colsb / 4 (#UD)");
    if (tr_amx_emu.colsb[src2] != tr_amx_emu.colsb[dst])
        tr_amx_emu_fault("TDPBUSD: src2 (B) colsb != dst colsb (#UD)");
    if (tr_amx_emu.colsb[dst] % 4 || tr_amx_emu.colsb[src1] % 4)
        tr_amx_emu_fault("TDPBUSD: colsb not a whole number of dwords (#UD)");
    for (unsigned m = 0; m < M; m++) {
        uint32_t acc[TR_AMX_MAX_COLSB / 4];
        memcpy(acc, tr_amx_emu.data[dst][m], sizeof acc);
        for (unsigned k = 0; k < Kd; k++)
            for (unsigned n = 0; n < N; n++) {
                const uint8_t *a = &tr_amx_emu.data[src1][m][4 * k];
                const int8_t *b = (const int8_t *)&tr_amx_emu.data[src2][k][4 * n];
                /* products fit int32; the sum wraps as the hardware's does */
                for (int i = 0; i < 4; i++)
                    acc[n] += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
            }
        uint8_t row[TR_AMX_MAX_COLSB] = {0};
        memcpy(row, acc, N * 4); /* bytes past colsb become 0 */
        memcpy(tr_amx_emu.data[dst][m], row, sizeof row);
    }
    for (unsigned m = M; m < TR_AMX_MAX_ROWS; m++)
        memset(tr_amx_emu.data[dst][m], 0, TR_AMX_MAX_COLSB);
}

void tr_amx_emu_tilerelease(void)
{
    tr_amx_emu_count.tilerelease++;
    tr_amx_emu_init_state();
}
#endif /* TR_AMX_EMULATE_IMPLEMENTATION */

#endif
