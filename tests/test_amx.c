/* test_amx.c - the AMX-INT8 GEMM (runtime/kernels/x86/qu8s8_gemm_amx.c)
 * against the reference kernel, bit for bit (integer part and float output),
 * on odd shapes: M, N, K not multiples of any tile, K not a multiple of 4,
 * K = 1, M = 1, N = 1, large K.
 *
 * Two builds of the same kernel source are checked:
 * - the emulated one (TR_AMX_EMULATE: the AMX instructions run on the C
 *   model in tests/support/amx_emulate.h, itself checked here against the
 *   documented formulas first). It runs on any CPU with AVX-512 (the
 *   kernel's epilogue) and checks the kernel's tiling, tail handling and
 *   tile configuration: a logic check, not a hardware pass. Q and W end
 *   where an inaccessible page begins, so a tile load past them crashes the
 *   test (the model reads exactly the bytes the instruction would);
 * - the real one, only when this CPU has AMX-INT8 (and Linux granted the
 *   tile data): otherwise the test says "AMX: hardware path skipped (CPU has
 *   no AMX-INT8)". tests/test_kernels.c also walks the "amx" set then.
 * And the dispatch: the "amx" set is listed exactly when the CPU has AMX,
 * and TINYRANK_KERNELS=amx is accepted. */
#if defined(__linux__)
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS */
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/kernels.h"
#if defined(__x86_64__)
#include "kernels/x86/x86_kernels.h"
#endif
#if defined(TR_TEST_AMX_EMULATED)
#define TR_AMX_EMULATE_IMPLEMENTATION
#include "support/amx_emulate.h"
#endif

typedef void (*gemm_fn)(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                        const float *a_scale, const int32_t *a_zp, const int8_t *W,
                        const float *w_scale, const int32_t *w_sum, const float *bias, float *C,
                        size_t ldc);

static uint32_t rng = 20240611u;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* ------------------------------------------------------------ one problem */

/* size bytes, zeroed, ending exactly where an inaccessible page begins (on
 * Linux), so that a tile load reading past Q or W crashes the test even
 * without AddressSanitizer. size must be a multiple of 64 (it keeps the
 * start 64-byte aligned). */
static void *guarded_alloc(size_t size)
{
#if defined(__linux__)
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t body = tr_round_up(size ? size : 1, page);
    uint8_t *base = mmap(NULL, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
    assert_true(base != MAP_FAILED);
    assert_int_equal(mprotect(base + body, page, PROT_NONE), 0);
    return base + body - size;
#else
    return calloc(size ? size : 1, 1);
#endif
}

static void guarded_free(void *p, size_t size)
{
#if defined(__linux__)
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t body = tr_round_up(size ? size : 1, page);
    munmap((uint8_t *)p + size - body, body + page);
#else
    (void)size;
    free(p);
#endif
}

/* Inputs at their exact sizes (no slack for a kernel to over-read into),
 * and the reference's output with ldc = N + 3 (columns N.. are sentinels
 * the kernel must leave alone). */
typedef struct problem {
    size_t M, N, K, ldq, ldc;
    uint8_t *Q;
    int8_t *W;
    float *as, *ws, *bias;
    int32_t *zp, *wsum;
} problem;

enum { FILL_RANDOM, FILL_EXTREME };

static void problem_make(problem *p, size_t M, size_t N, size_t K, int fill)
{
    p->M = M, p->N = N, p->K = K;
    p->ldq = tr_qu8_row_bytes(K), p->ldc = N + 3;
    p->Q = guarded_alloc(M * p->ldq);
    p->W = guarded_alloc(tr_n16k4_bytes(N, K));
    p->as = malloc(M * 4), p->ws = malloc(N * 4), p->bias = malloc(N * 4);
    p->zp = malloc(M * 4), p->wsum = calloc(N, 4);
    assert_non_null(p->Q);
    assert_non_null(p->W);
    for (size_t m = 0; m < M; m++) {
        for (size_t k = 0; k < K; k++)
            p->Q[m * p->ldq + k] = (uint8_t)(fill == FILL_EXTREME || m == 0 ? 255 : rnd());
        /* extremes: zp 0 keeps ACC - zp * w_sum inside int32 at K = 65536 */
        p->zp[m] = fill == FILL_EXTREME ? 0 : (int32_t)(rnd() % 256);
    }
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < K; k++) {
            const int8_t v = (int8_t)(fill == FILL_EXTREME || n == 0 ? -127
                                                                     : (int)(rnd() % 255) - 127);
            p->W[tr_n16k4_index(n, k, K)] = v;
            p->wsum[n] += v;
        }
}

/* pass 0: unit scales, no bias (the output is the integer); pass 1: real
 * scales and a bias. */
static void problem_scales(problem *p, int pass)
{
    for (size_t m = 0; m < p->M; m++)
        p->as[m] = pass ? 1e-3f * (float)(1 + rnd() % 1000) : 1.0f;
    for (size_t n = 0; n < p->N; n++) {
        p->ws[n] = pass ? 1e-4f * (float)(1 + rnd() % 1000) : 1.0f;
        p->bias[n] = (float)(rnd() % 2001) / 100.0f - 10.0f;
    }
}

static void problem_free(problem *p)
{
    guarded_free(p->Q, p->M * p->ldq);
    guarded_free(p->W, tr_n16k4_bytes(p->N, p->K));
    free(p->as), free(p->ws), free(p->bias), free(p->zp), free(p->wsum);
}

/* Runs fn and the reference on p (both passes) and on the channel range
 * [16, N) (W and the per-channel arrays offset by one block, as threads
 * split N); every output must be bit-identical to the reference. */
static void check_against_ref(const problem *pc, gemm_fn fn, const char *name)
{
    problem *p = (problem *)pc;
    const size_t M = p->M, N = p->N, K = p->K, ldc = p->ldc;
    float *want = malloc(M * ldc * 4), *got = malloc(M * ldc * 4);
    for (int pass = 0; pass < 2; pass++) {
        problem_scales(p, pass);
        const float *b = pass ? p->bias : NULL;
        tr_qu8s8_gemm_ukernel_1x1__ref(M, N, K, p->Q, p->ldq, p->as, p->zp, p->W, p->ws, p->wsum,
                                       b, want, ldc);
        for (size_t i = 0; i < M * ldc; i++)
            got[i] = -777.0f;
        fn(M, N, K, p->Q, p->ldq, p->as, p->zp, p->W, p->ws, p->wsum, b, got, ldc);
        for (size_t m = 0; m < M; m++)
            for (size_t n = 0; n < ldc; n++) {
                const float g = got[m * ldc + n], w = n < N ? want[m * ldc + n] : -777.0f;
                if (memcmp(&g, &w, 4) != 0)
                    fail_msg("%s M=%zu N=%zu K=%zu pass %d [%zu,%zu]: %.9g, reference %.9g%s",
                             name, M, N, K, pass, m, n, g, w,
                             n >= N ? " (a column past N was written)" : "");
            }
        if (N > 16) {
            const size_t kp = tr_round_up(K, 4);
            for (size_t i = 0; i < M * ldc; i++)
                got[i] = -777.0f;
            fn(M, N - 16, K, p->Q, p->ldq, p->as, p->zp, p->W + kp * 16, p->ws + 16,
               p->wsum + 16, b ? b + 16 : NULL, got + 16, ldc);
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < ldc; n++) {
                    const float g = got[m * ldc + n];
                    const float w = n >= 16 && n < N ? want[m * ldc + n] : -777.0f;
                    if (memcmp(&g, &w, 4) != 0)
                        fail_msg("%s channels [16, %zu) M=%zu K=%zu pass %d [%zu,%zu]: %.9g, "
                                 "reference %.9g",
                                 name, N, M, K, pass, m, n, g, w);
                }
        }
    }
    free(want), free(got);
}

/* The integer result against a formula written here (not the reference):
 * for FILL_EXTREME every row is 255 * -127 * K (zp = 0). */
static void check_extreme_integer(const problem *p, gemm_fn fn, const char *name)
{
    problem *q = (problem *)p;
    float *got = malloc(p->M * p->ldc * 4);
    problem_scales(q, 0);
    fn(p->M, p->N, p->K, p->Q, p->ldq, p->as, p->zp, p->W, p->ws, p->wsum, NULL, got, p->ldc);
    const float want = (float)(-127.0 * 255.0 * (double)p->K);
    for (size_t m = 0; m < p->M; m++)
        for (size_t n = 0; n < p->N; n++)
            if (got[m * p->ldc + n] != want)
                fail_msg("%s extremes M=%zu N=%zu K=%zu [%zu,%zu]: %.1f, want %.1f", name, p->M,
                         p->N, p->K, m, n, got[m * p->ldc + n], want);
    free(got);
}

/* ------------------------------------------------------------- the shapes */

static const size_t Ms[] = {1, 2, 3, 5, 15, 16, 17, 31, 32, 33, 47, 50};
static const size_t Ns[] = {1, 3, 15, 16, 17, 31, 32, 33, 48, 64, 100};
static const size_t Ks[] = {1, 2, 3, 4, 5, 63, 64, 65, 127, 129, 384, 1000};
#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Large K: a Qwen2.5-0.5B down projection's K, and the contract's maximum
 * (K = 65536) with every product at its extreme: ACC = 255 * -127 * 65536,
 * 1.3% inside int32. */
static const size_t big[][3] = {{33, 33, 4864}, {17, 20, 65536}};

/* Returns the number of shapes checked. */
static size_t run_suite(gemm_fn fn, const char *name)
{
    size_t shapes = 0;
    for (size_t mi = 0; mi < COUNT(Ms); mi++)
        for (size_t ni = 0; ni < COUNT(Ns); ni++)
            for (size_t ki = 0; ki < COUNT(Ks); ki++) {
                problem p;
                problem_make(&p, Ms[mi], Ns[ni], Ks[ki], FILL_RANDOM);
                check_against_ref(&p, fn, name);
                problem_free(&p);
                shapes++;
            }
    for (size_t i = 0; i < COUNT(big); i++) {
        problem p;
        problem_make(&p, big[i][0], big[i][1], big[i][2], FILL_RANDOM);
        check_against_ref(&p, fn, name);
        problem_free(&p);
        problem_make(&p, big[i][0], big[i][1], big[i][2], FILL_EXTREME);
        check_extreme_integer(&p, fn, name);
        problem_free(&p);
        shapes += 2;
    }
    return shapes;
}

#if defined(__x86_64__)
static int cpu_has(unsigned bits)
{
    return (tr_x86_cpu_features() & bits) == bits;
}
#endif

/* ------------------------------------------------------ the AMX C model */

#if defined(TR_TEST_AMX_EMULATED)
static jmp_buf fault_jmp;
static int fault_expected;
static char fault_why[160];

static void on_fault(const char *why)
{
    if (fault_expected) {
        snprintf(fault_why, sizeof fault_why, "%s", why);
        longjmp(fault_jmp, 1);
    }
    fail_msg("AMX model: the kernel did what the hardware would fault on: %s", why);
}

typedef struct cfg64 {
    uint8_t b[64];
} cfg64;

static void cfg_tile(cfg64 *c, int t, unsigned rows, unsigned colsb)
{
    c->b[16 + 2 * t] = (uint8_t)(colsb & 0xff);
    c->b[17 + 2 * t] = (uint8_t)(colsb >> 8);
    c->b[48 + t] = (uint8_t)rows;
}

/* Runs one model instruction sequence that must fault; returns 1 if it did. */
#define EXPECT_FAULT(stmt)                                                                        \
    do {                                                                                          \
        fault_expected = 1;                                                                       \
        if (setjmp(fault_jmp) == 0) {                                                             \
            stmt;                                                                                 \
            fault_expected = 0;                                                                   \
            fail_msg("AMX model: no fault for: %s", #stmt);                                       \
        }                                                                                         \
        fault_expected = 0;                                                                       \
    } while (0)

/* The model against the documented formula on shapes that are not the
 * kernel's (so that M, K, N cannot be confused), and its faults. */
static void test_model_tdpbusd(void **state)
{
    (void)state;
    tr_amx_emu_set_fault_handler(on_fault);
    enum { M = 3, KB = 8, N = 5 }; /* A: 3 x 8 bytes, B: 2 x 20 bytes, C: 3 x 5 int32 */
    cfg64 c = {{0}};
    c.b[0] = 1;
    cfg_tile(&c, 0, M, N * 4);      /* C */
    cfg_tile(&c, 1, M, KB);         /* A */
    cfg_tile(&c, 2, KB / 4, N * 4); /* B */
    cfg_tile(&c, 3, 16, 64);        /* a full tile, for the zeroing checks */
    tr_amx_emu_ldtilecfg(&c);
    uint8_t A[M][KB];
    int8_t B[KB / 4][N * 4];
    int32_t C0[M][N], C[M][N];
    for (int m = 0; m < M; m++)
        for (int k = 0; k < KB; k++)
            A[m][k] = (uint8_t)(m == 0 ? 255 : rnd());
    for (int r = 0; r < KB / 4; r++)
        for (int j = 0; j < N * 4; j++)
            B[r][j] = (int8_t)(r == 0 ? -128 : (int)(rnd() % 256) - 128);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++)
            C0[m][n] = (int32_t)(rnd() % 2001) - 1000;
    tr_amx_emu_tileloadd(0, C0, sizeof C0[0]);
    tr_amx_emu_tileloadd(1, A, sizeof A[0]);
    tr_amx_emu_tileloadd(2, B, sizeof B[0]);
    tr_amx_emu_tdpbusd(0, 1, 2);
    memset(C, 0x5a, sizeof C);
    tr_amx_emu_tilestored(0, C, sizeof C[0]);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            /* C[m][n] += sum_k A[m][k] (unsigned) * B[k / 4][4 n + k % 4] (signed) */
            int64_t want = C0[m][n];
            for (int k = 0; k < KB; k++)
                want += (int64_t)A[m][k] * B[k / 4][4 * n + k % 4];
            assert_int_equal(C[m][n], want);
        }
    /* a load of a 16 x 64 tile with stride 100 reads rows 100 bytes apart;
     * a store writes only rows x colsb bytes */
    static uint8_t src[16 * 100], dst[16 * 100];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)rnd();
    memset(dst, 0xee, sizeof dst);
    tr_amx_emu_tileloadd(3, src, 100);
    tr_amx_emu_tilestored(3, dst, 100);
    for (int r = 0; r < 16; r++)
        for (int j = 0; j < 100; j++)
            assert_int_equal(dst[r * 100 + j], j < 64 ? src[r * 100 + j] : 0xee);
    tr_amx_emu_tilezero(3);
    tr_amx_emu_tilestored(3, dst, 100);
    for (int r = 0; r < 16; r++)
        assert_int_equal(dst[r * 100], 0);

    /* what the hardware faults on */
    EXPECT_FAULT(tr_amx_emu_tdpbusd(0, 2, 1));  /* A/B swapped: K and N shapes mismatch */
    EXPECT_FAULT(tr_amx_emu_tdpbusd(0, 0, 2));  /* registers not distinct */
    EXPECT_FAULT(tr_amx_emu_tdpbusd(3, 1, 2));  /* dst rows != A rows */
    EXPECT_FAULT(tr_amx_emu_tileloadd(5, A, 8)); /* tile 5 not configured */
    cfg64 bad = c;
    bad.b[48] = 17; /* 17 rows */
    EXPECT_FAULT(tr_amx_emu_ldtilecfg(&bad));
    bad = c;
    bad.b[0] = 2; /* palette 2 */
    EXPECT_FAULT(tr_amx_emu_ldtilecfg(&bad));
    bad = c;
    bad.b[5] = 1; /* reserved byte */
    EXPECT_FAULT(tr_amx_emu_ldtilecfg(&bad));
    tr_amx_emu_tilerelease();
    assert_false(tr_amx_emu_configured());
    EXPECT_FAULT(tr_amx_emu_tilezero(0)); /* after TILERELEASE */
    tr_amx_emu_set_fault_handler(NULL);
}

/* The kernel, built against the model, against the reference. */
static void test_emulated_kernel_vs_ref(void **state)
{
    (void)state;
    if (!cpu_has(TR_X86_AVX512_VNNI)) {
        printf("AMX emulated: skipped: the kernel's epilogue is AVX-512, which this CPU lacks\n");
        skip();
    }
    tr_amx_emu_set_fault_handler(on_fault);
    tr_amx_emu_count = (tr_amx_emu_counts){0};
    const size_t shapes = run_suite(tr_qu8s8_gemm_ukernel_32x32__amx_emulated, "amx (emulated)");
    /* the shapes really went through the tiles, and every call released them */
    assert_true(tr_amx_emu_count.tdpbusd > 0);
    assert_true(tr_amx_emu_count.tilerelease > 0);
    assert_false(tr_amx_emu_configured());
    printf("AMX emulated: qu8s8_gemm_amx.c on the C model of AMX matched the reference bit for "
           "bit on %zu shapes (%lu tdpbusd, %lu ldtilecfg): a check of the kernel's logic, not "
           "a hardware pass\n",
           shapes, tr_amx_emu_count.tdpbusd, tr_amx_emu_count.ldtilecfg);
    tr_amx_emu_set_fault_handler(NULL);
}
#else
static void test_model_tdpbusd(void **state)
{
    (void)state;
    printf("AMX model: not built (x86-64 only)\n");
    skip();
}

static void test_emulated_kernel_vs_ref(void **state)
{
    (void)state;
    printf("AMX emulated: not built (x86-64 only)\n");
    skip();
}
#endif

/* ------------------------------------------------------ real hardware */

static void test_hardware_kernel_vs_ref(void **state)
{
    (void)state;
#if defined(__x86_64__)
    if (!cpu_has(TR_X86_AMX_INT8)) {
        printf("AMX: hardware path skipped (CPU has no AMX-INT8)\n");
        skip();
    }
    size_t shapes = run_suite(tr_qu8s8_gemm_ukernel_32x32__amx, "amx (hardware)");
    /* the set's entry (M < 16 on the VNNI kernel) too */
    shapes += run_suite(tr_qu8s8_gemm__amx, "amx set entry (hardware)");
    printf("AMX: hardware path matched the reference bit for bit on %zu shapes\n", shapes);
#else
    (void)run_suite; /* no AMX kernel on this architecture */
    printf("AMX: hardware path skipped (CPU has no AMX-INT8)\n");
    skip();
#endif
}

/* ------------------------------------------------------------ dispatch */

static void test_dispatch(void **state)
{
    (void)state;
    int listed = 0;
    for (size_t i = 0; i < tr_kernels_count(); i++)
        listed += strcmp(tr_kernels_at(i)->name, "amx") == 0;
#if defined(__x86_64__)
    const int has = cpu_has(TR_X86_AMX_INT8 | TR_X86_AVX512_VNNI | TR_X86_AVX512_BF16);
    assert_int_equal(listed, has);
    /* asking twice gives the same answer (the permission is asked once) */
    assert_int_equal(tr_x86_cpu_features(), tr_x86_cpu_features());
#else
    assert_int_equal(listed, 0);
#endif
    /* TINYRANK_KERNELS=amx is a known name: it caps at amx, i.e. the best
     * set this CPU runs (amx itself when present); an unknown name too */
    const char *old = getenv("TINYRANK_KERNELS");
    char *saved = old ? strdup(old) : NULL;
    const tr_kernels *best = tr_kernels_at(tr_kernels_count() - 1);
    setenv("TINYRANK_KERNELS", "amx", 1);
    assert_string_equal(tr_kernels_select()->name, best->name);
#if defined(__x86_64__)
    /* below amx: the cap works, so amx is a name in the list */
    setenv("TINYRANK_KERNELS", "avx512vnni", 1);
    if (cpu_has(TR_X86_AVX512_VNNI))
        assert_string_equal(tr_kernels_select()->name, "avx512vnni");
#endif
    if (saved)
        setenv("TINYRANK_KERNELS", saved, 1);
    else
        unsetenv("TINYRANK_KERNELS");
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_tdpbusd),
        cmocka_unit_test(test_emulated_kernel_vs_ref),
        cmocka_unit_test(test_hardware_kernel_vs_ref),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
