/* test_kernels.c - every kernel set against independent naive formulas, on
 * odd shapes (M, N, K not multiples of any tile; K not a multiple of 4), in
 * the ggml test-backend-ops spirit: the integer part of the int8 GEMM must
 * be bit-exact; float results within a tolerance. The reference kernels are
 * checked here against formulas written out in the test; every optimized
 * set this CPU runs is also checked against the reference kernels on the
 * cross product of odd M, N, K (int8: bit-identical quantization and
 * integer results), and the vector exp / erf / tanh behind the x86 float
 * kernels against libm. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format/schema_ids.h"
#include "kernels/kernels.h"
#if defined(__x86_64__)
#include "kernels/x86/x86_kernels.h"
#endif

static uint32_t rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static const size_t shapes[][3] = {
    {1, 1, 1}, {1, 7, 3}, {3, 5, 17}, {7, 13, 33}, {16, 16, 64}, {5, 31, 129}, {33, 9, 250},
};

static void test_f32_gemm(void **state)
{
    (void)state;
    for (size_t ki = 0; ki < tr_kernels_count(); ki++) {
        const tr_kernels *k = tr_kernels_at(ki);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            float *A = malloc(M * K * 4), *W = malloc(N * K * 4), *b = malloc(N * 4), *C = malloc(M * N * 4);
            for (size_t i = 0; i < M * K; i++) A[i] = frand();
            for (size_t i = 0; i < N * K; i++) W[i] = frand();
            for (size_t i = 0; i < N; i++) b[i] = frand();
            k->f32_gemm(M, N, K, A, K, W, K, b, C, N);
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    double want = b[n];
                    for (size_t i = 0; i < K; i++)
                        want += (double)A[m * K + i] * W[n * K + i];
                    if (fabs(want - C[m * N + n]) > 1e-5 * (1 + fabs(want)))
                        fail_msg("%s f32_gemm %zux%zux%zu [%zu,%zu]: %g vs %g", k->name, M, N, K, m, n,
                                 C[m * N + n], want);
                }
            free(A), free(W), free(b), free(C);
        }
    }
}

static void test_qu8_quantize_rows(void **state)
{
    (void)state;
    for (size_t ki = 0; ki < tr_kernels_count(); ki++) {
        const tr_kernels *k = tr_kernels_at(ki);
        /* rows: mixed signs, all positive, all negative, zeros, one value,
         * exact halves (round half away from zero) */
        const float rows[][5] = {
            {-1.0f, 0.5f, 2.0f, -0.25f, 0.0f},
            {0.1f, 0.2f, 0.3f, 0.4f, 0.5f},
            {-3.0f, -2.0f, -1.0f, -0.5f, -4.0f},
            {0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
            {0.0f, 0.0f, 7.0f, 0.0f, 0.0f},
            {-127.5f, 0.0f, 127.5f, 0.5f, -0.5f},
        };
        const size_t M = sizeof rows / sizeof *rows, K = 5;
        uint8_t Q[sizeof rows / sizeof *rows][64];
        float scale[sizeof rows / sizeof *rows];
        int32_t zp[sizeof rows / sizeof *rows];
        memset(Q, 0xAB, sizeof Q);
        k->qu8_quantize_rows(M, K, &rows[0][0], K, &Q[0][0], 64, scale, zp);
        for (size_t m = 0; m < M; m++)
            for (size_t i = K; i < 64; i++)
                assert_int_equal(Q[m][i], 0); /* the row tail is zeroed */
        for (size_t m = 0; m < M; m++) {
            double lo = 0, hi = 0;
            for (size_t i = 0; i < K; i++) {
                lo = fmin(lo, rows[m][i]);
                hi = fmax(hi, rows[m][i]);
            }
            if (hi == lo) {
                assert_true(scale[m] == 0.0f && zp[m] == 0);
                for (size_t i = 0; i < K; i++)
                    assert_int_equal(Q[m][i], 0);
                continue;
            }
            double s = (hi - lo) / 255.0;
            assert_true(fabs(scale[m] - s) <= 1e-6 * s);
            assert_true(zp[m] >= 0 && zp[m] <= 255);
            assert_int_equal(zp[m], (int32_t)lround(-lo / s));
            for (size_t i = 0; i < K; i++) {
                /* dequantized value within half a step, and 0 exact */
                double back = (double)scale[m] * ((int32_t)Q[m][i] - zp[m]);
                assert_true(fabs(back - rows[m][i]) <= 0.5001 * s);
                if (rows[m][i] == 0.0f)
                    assert_int_equal(Q[m][i], zp[m]);
            }
        }
        /* the extremes land on 0 and 255 */
        assert_int_equal(Q[0][0], 0);
        assert_int_equal(Q[0][2], 255);
    }
}

/* Packs row-major W [N][K] into N16K4 (the layout is spelled out here
 * independently of the runtime's index helper). */
static int8_t *pack(const int8_t *W, size_t N, size_t K)
{
    size_t kp = (K + 3) / 4 * 4, np = (N + 15) / 16 * 16;
    int8_t *p = calloc(np * kp, 1);
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < K; k++)
            p[(n / 16) * (kp * 16) + (k / 4) * 64 + (n % 16) * 4 + (k % 4)] = W[n * K + k];
    return p;
}

static void test_qu8s8_gemm_integer_exact(void **state)
{
    (void)state;
    for (size_t ki = 0; ki < tr_kernels_count(); ki++) {
        const tr_kernels *k = tr_kernels_at(ki);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            size_t ldq = tr_qu8_row_bytes(K);
            uint8_t *Q = calloc(M * ldq, 1);
            int8_t *W = malloc(N * K);
            float *as = malloc(M * 4), *ws = malloc(N * 4), *C = malloc(M * N * 4);
            int32_t *zp = malloc(M * 4), *wsum = malloc(N * 4);
            for (size_t m = 0; m < M; m++)
                for (size_t i = 0; i < K; i++)
                    Q[m * ldq + i] = (uint8_t)(rng = rng * 1664525u + 1013904223u, rng >> 24);
            for (size_t i = 0; i < N * K; i++) W[i] = (int8_t)((int)((rng = rng * 1664525u + 1013904223u) >> 24) % 255 - 127);
            /* extremes too: 255 x -127 everywhere in the first row/column */
            for (size_t i = 0; i < K; i++) { Q[i] = 255; W[i] = -127; }
            for (size_t m = 0; m < M; m++) { zp[m] = (int32_t)(m * 37 % 256); as[m] = 1.0f; }
            for (size_t n = 0; n < N; n++) {
                ws[n] = 1.0f;
                int32_t t = 0;
                for (size_t i = 0; i < K; i++) t += W[n * K + i];
                wsum[n] = t;
            }
            int8_t *Wp = pack(W, N, K);
            /* with unit scales and no bias the output is the exact integer */
            k->qu8s8_gemm(M, N, K, Q, ldq, as, zp, Wp, ws, wsum, NULL, C, N);
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    int64_t want = 0;
                    for (size_t i = 0; i < K; i++)
                        want += ((int64_t)Q[m * ldq + i] - zp[m]) * W[n * K + i];
                    if ((double)want != (double)C[m * N + n] && fabs((double)want) < 16777216.0)
                        fail_msg("%s qu8s8_gemm %zux%zux%zu [%zu,%zu]: %.1f vs %lld", k->name, M, N,
                                 K, m, n, C[m * N + n], (long long)want);
                }
            /* scales and bias apply as documented */
            for (size_t m = 0; m < M; m++) as[m] = 0.5f + (float)m;
            for (size_t n = 0; n < N; n++) ws[n] = 0.25f / (float)(n + 1);
            float *bias = malloc(N * 4);
            for (size_t n = 0; n < N; n++) bias[n] = (float)n - 2.0f;
            k->qu8s8_gemm(M, N, K, Q, ldq, as, zp, Wp, ws, wsum, bias, C, N);
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    int64_t acc = 0;
                    for (size_t i = 0; i < K; i++)
                        acc += ((int64_t)Q[m * ldq + i] - zp[m]) * W[n * K + i];
                    double want = (double)acc * as[m] * ws[n] + bias[n];
                    assert_true(fabs(want - C[m * N + n]) <= 1e-5 * (1 + fabs(want)));
                }
            free(Q), free(W), free(Wp), free(as), free(ws), free(C), free(zp), free(wsum), free(bias);
        }
    }
}

static void test_rowwise(void **state)
{
    (void)state;
    /* GELU (erf) and its tanh form at known points */
    assert_true(fabs(tr_f32_gelu_erf__ref(1.0f) - 0.8413447460685429) < 1e-7);
    assert_true(fabs(tr_f32_gelu_erf__ref(-2.0f) - (-0.04550026389635842)) < 1e-7);
    assert_true(fabs(tr_f32_gelu_tanh__ref(1.0f) - 0.8411919906082768) < 1e-7);
    /* softmax: sums to 1, order kept, large inputs stable */
    float x[4] = {1000.0f, 1001.0f, 999.0f, 1001.0f};
    tr_f32_softmax_inplace__ref(4, x);
    assert_true(fabs(x[0] + x[1] + x[2] + x[3] - 1.0) < 1e-6);
    assert_true(x[1] == x[3] && x[1] > x[0] && x[0] > x[2]);
    /* layernorm: zero mean, unit variance before gamma/beta */
    float v[5] = {1, 2, 3, 4, 10}, g[5] = {1, 1, 1, 1, 1}, y[5];
    tr_f32_layernorm__ref(1, 5, v, g, NULL, 0.0f, y);
    double mean = 0, var = 0;
    for (int i = 0; i < 5; i++) mean += y[i] / 5.0;
    for (int i = 0; i < 5; i++) var += (y[i] - mean) * (y[i] - mean) / 5.0;
    assert_true(fabs(mean) < 1e-6 && fabs(var - 1.0) < 1e-5);
    /* rmsnorm: unit mean square */
    tr_f32_rmsnorm__ref(1, 5, v, g, 0.0f, y);
    double ms = 0;
    for (int i = 0; i < 5; i++) ms += (double)y[i] * y[i] / 5.0;
    assert_true(fabs(ms - 1.0) < 1e-5);
}

/* ---- every optimized set against the reference kernels ---- */

/* The sets this build can have on this architecture, so that the log says
 * plainly which ones the CPU lacks (they cannot be tested here). */
static const char *const known_sets[] = {
    "ref",
#if defined(__x86_64__)
    "avx2", "avxvnni", "avx512vnni", "avx512bf16", "amx",
#endif
};

static const tr_kernels *set_named(const char *name)
{
    for (size_t i = 0; i < tr_kernels_count(); i++)
        if (strcmp(tr_kernels_at(i)->name, name) == 0)
            return tr_kernels_at(i);
    return NULL;
}

static void print_sets(void)
{
    printf("kernel sets on this CPU (all tested):");
    for (size_t i = 0; i < tr_kernels_count(); i++)
        printf(" %s", tr_kernels_at(i)->name);
    printf("\n");
    for (size_t i = 0; i < sizeof known_sets / sizeof *known_sets; i++)
        if (!set_named(known_sets[i]))
            printf("kernel set %s: skipped: not supported by this CPU\n", known_sets[i]);
    printf("selected: %s\n", tr_kernels_select()->name);
}

/* M: every row tail 1..5 of a 6-row tile (10 = 6 + 4); N: a tail of exactly
 * 8 channels (24), where a 16-channel tile stores only its first half */
static const size_t Ms[] = {1, 2, 3, 5, 7, 8, 9, 10, 17, 33};
static const size_t Ns[] = {1, 3, 15, 16, 17, 24, 31, 33, 64, 100};
static const size_t Ks[] = {1, 2, 3, 4, 5, 63, 64, 65, 127, 384};
#define COUNT(a) (sizeof(a) / sizeof *(a))

static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static int close_rel(double got, double want, double rel, double abs_floor)
{
    return fabs(got - want) <= rel * fabs(want) + abs_floor;
}

static void test_sets_qu8s8_gemm_vs_ref(void **state)
{
    (void)state;
    for (size_t mi = 0; mi < COUNT(Ms); mi++)
        for (size_t ni = 0; ni < COUNT(Ns); ni++)
            for (size_t ki = 0; ki < COUNT(Ks); ki++) {
                const size_t M = Ms[mi], N = Ns[ni], K = Ks[ki];
                const size_t ldq = tr_qu8_row_bytes(K), ldc = N + 3;
                uint8_t *Q = calloc(M * ldq, 1);
                int8_t *W = calloc(tr_n16k4_bytes(N, K), 1);
                float *as = malloc(M * 4), *ws = malloc(N * 4), *bias = malloc(N * 4);
                int32_t *zp = malloc(M * 4), *wsum = calloc(N, 4);
                float *want = malloc(M * ldc * 4), *got = malloc(M * ldc * 4);
                for (size_t m = 0; m < M; m++) {
                    for (size_t k = 0; k < K; k++)
                        Q[m * ldq + k] = (uint8_t)(m == 0 ? 255 : rnd());
                    zp[m] = (int32_t)(rnd() % 256);
                }
                for (size_t n = 0; n < N; n++)
                    for (size_t k = 0; k < K; k++) {
                        int8_t v = (int8_t)(n == 0 ? -127 : (int)(rnd() % 255) - 127);
                        W[tr_n16k4_index(n, k, K)] = v;
                        wsum[n] += v;
                    }
                for (int pass = 0; pass < 2; pass++) {
                    /* pass 0: unit scales, no bias: the output is the integer;
                     * pass 1: real scales and a bias */
                    for (size_t m = 0; m < M; m++)
                        as[m] = pass ? 1e-3f * (float)(1 + rnd() % 1000) : 1.0f;
                    for (size_t n = 0; n < N; n++) {
                        ws[n] = pass ? 1e-4f * (float)(1 + rnd() % 1000) : 1.0f;
                        bias[n] = (float)(rnd() % 2001) / 100.0f - 10.0f;
                    }
                    const float *b = pass ? bias : NULL;
                    tr_qu8s8_gemm_ukernel_1x1__ref(M, N, K, Q, ldq, as, zp, W, ws, wsum, b, want, ldc);
                    for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
                        const tr_kernels *kn = tr_kernels_at(ks);
                        for (size_t i = 0; i < M * ldc; i++)
                            got[i] = -777.0f; /* columns N..ldc-1 must stay */
                        kn->qu8s8_gemm(M, N, K, Q, ldq, as, zp, W, ws, wsum, b, got, ldc);
                        for (size_t m = 0; m < M; m++)
                            for (size_t n = 0; n < ldc; n++) {
                                const float g = got[m * ldc + n];
                                /* bit-identical in both passes: the
                                 * contract spells out the float operations
                                 * and their order (kernels.h), and every
                                 * SIMD epilogue performs exactly those */
                                const int ok = n >= N ? g == -777.0f : g == want[m * ldc + n];
                                if (!ok)
                                    fail_msg("%s qu8s8_gemm M=%zu N=%zu K=%zu pass %d [%zu,%zu]: "
                                             "%.9g vs ref %.9g",
                                             kn->name, M, N, K, pass, m, n, g,
                                             n < N ? want[m * ldc + n] : -777.0f);
                            }
                    }
                }
                /* a range of 16-channel blocks, as threads will split N */
                if (N > 16)
                    for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
                        const tr_kernels *kn = tr_kernels_at(ks);
                        const size_t kp = (K + 3) / 4 * 4;
                        kn->qu8s8_gemm(M, N - 16, K, Q, ldq, as, zp, W + kp * 16, ws + 16,
                                       wsum + 16, bias + 16, got + 16, ldc);
                        for (size_t m = 0; m < M; m++)
                            for (size_t n = 16; n < N; n++)
                                if (got[m * ldc + n] != want[m * ldc + n])
                                    fail_msg("%s qu8s8_gemm n0=16 M=%zu N=%zu K=%zu [%zu,%zu]: "
                                             "%.9g vs ref %.9g",
                                             kn->name, M, N, K, m, n, got[m * ldc + n],
                                             want[m * ldc + n]);
                    }
                free(Q), free(W), free(as), free(ws), free(bias), free(zp), free(wsum);
                free(want), free(got);
            }
}

/* Rows that stress the quantizer: random, exact .5 ties (range 255 * 2^e
 * makes the inverse scale a power of two), zeros, one value, huge, tiny,
 * all negative, an infinite range and a denormal one (zero rows by
 * contract). */
static void fill_row(float *a, size_t K, int kind)
{
    const float p2 = ldexpf(1.0f, (int)(rnd() % 40) - 20);
    for (size_t k = 0; k < K; k++) {
        float v;
        switch (kind) {
        case 0: v = frand() * 10.0f; break;
        case 1: /* ties: values n + 0.5 on a grid whose range is 255 steps */
            v = ((float)(rnd() % 255) - 100.0f + ((rnd() & 1) ? 0.5f : 0.0f)) * p2;
            if (k == 0) v = -100.0f * p2;
            if (k == 1 && K > 1) v = 155.0f * p2;
            break;
        case 2: v = 0.0f; break;
        case 3: v = k == K / 2 ? 7.0f : 0.0f; break;
        case 4: v = frand() * 1e30f; break;
        case 5: v = frand() * 1e-38f; break;
        case 6: v = -fabsf(frand()) - 0.5f; break;
        case 7: v = (k & 1) ? 3e38f : -3e38f; break;
        case 8: v = (k % 3) ? 1e-41f : 0.0f; break; /* denormal range: a zero row */
        default: v = (rnd() & 1) ? -0.0f : frand(); break;
        }
        a[k] = v;
    }
}

static void test_sets_quantize_vs_ref(void **state)
{
    (void)state;
    for (size_t ki = 0; ki < COUNT(Ks); ki++)
        for (int kind = 0; kind < 10; kind++)
            for (int rep = 0; rep < 4; rep++) {
                const size_t K = Ks[ki], M = 5, lda = K + 1, ldq = tr_qu8_row_bytes(K) + 64;
                float *A = malloc(M * lda * 4);
                uint8_t *qw = malloc(M * ldq), *qg = malloc(M * ldq);
                float sw[5], sg[5];
                int32_t zw[5], zg[5];
                for (size_t m = 0; m < M; m++)
                    fill_row(A + m * lda, K, (int)((size_t)kind + m * (size_t)rep) % 9);
                memset(qw, 0xAB, M * ldq);
                tr_qu8_quantize_rows__ref(M, K, A, lda, qw, ldq, sw, zw);
                for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
                    const tr_kernels *kn = tr_kernels_at(ks);
                    memset(qg, 0xCD, M * ldq);
                    kn->qu8_quantize_rows(M, K, A, lda, qg, ldq, sg, zg);
                    if (memcmp(qw, qg, M * ldq) != 0 || memcmp(sw, sg, sizeof sw) != 0 ||
                        memcmp(zw, zg, sizeof zw) != 0)
                        fail_msg("%s quantize_rows differs from ref: K=%zu kind %d rep %d",
                                 kn->name, K, kind, rep);
                }
                free(A), free(qw), free(qg);
            }
}

static void test_sets_f32_gemm_vs_ref(void **state)
{
    (void)state;
    for (size_t mi = 0; mi < COUNT(Ms); mi++)
        for (size_t ni = 0; ni < COUNT(Ns); ni++)
            for (size_t ki = 0; ki < COUNT(Ks); ki++) {
                const size_t M = Ms[mi], N = Ns[ni], K = Ks[ki], lda = K + 2, ldw = K + 1,
                             ldc = N + 1;
                float *A = malloc(M * lda * 4), *W = malloc(N * ldw * 4), *b = malloc(N * 4);
                float *want = malloc(M * ldc * 4), *got = malloc(M * ldc * 4);
                for (size_t i = 0; i < M * lda; i++) A[i] = frand();
                for (size_t i = 0; i < N * ldw; i++) W[i] = frand();
                for (size_t i = 0; i < N; i++) b[i] = frand();
                tr_f32_gemm_ukernel_1x1__ref(M, N, K, A, lda, W, ldw, b, want, ldc);
                for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
                    const tr_kernels *kn = tr_kernels_at(ks);
                    for (int nob = 0; nob < 2; nob++) {
                        for (size_t i = 0; i < M * ldc; i++) got[i] = -777.0f;
                        kn->f32_gemm(M, N, K, A, lda, W, ldw, nob ? NULL : b, got, ldc);
                        for (size_t m = 0; m < M; m++)
                            for (size_t n = 0; n < ldc; n++) {
                                const double w = n == N ? -777.0 : want[m * ldc + n] - (nob ? b[n] : 0.0f);
                                if (!close_rel(got[m * ldc + n], w, 1e-5, n == N ? 0 : 1e-5))
                                    fail_msg("%s f32_gemm M=%zu N=%zu K=%zu [%zu,%zu]: %.9g vs %.9g",
                                             kn->name, M, N, K, m, n, got[m * ldc + n], w);
                            }
                    }
                }
                free(A), free(W), free(b), free(want), free(got);
            }
}

static void test_sets_rowwise_vs_ref(void **state)
{
    (void)state;
    const size_t ns[] = {1, 3, 15, 16, 17, 31, 33, 64, 100, 384};
    for (size_t ni = 0; ni < COUNT(ns); ni++) {
        const size_t n = ns[ni], rows = 3;
        float *x = malloc(rows * n * 4), *g = malloc(n * 4), *be = malloc(n * 4);
        float *want = malloc(rows * n * 4), *got = malloc(rows * n * 4);
        for (size_t i = 0; i < rows * n; i++) x[i] = frand() * 3.0f + 0.5f;
        for (size_t i = 0; i < n; i++) g[i] = 1.0f + frand() * 0.5f, be[i] = frand();
        for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
            const tr_kernels *kn = tr_kernels_at(ks);
            for (int op = 0; op < 3; op++) {
                if (op == 0) {
                    tr_f32_layernorm__ref(rows, n, x, g, be, 1e-12f, want);
                    kn->f32_layernorm(rows, n, x, g, be, 1e-12f, got);
                } else if (op == 1) {
                    tr_f32_layernorm__ref(rows, n, x, g, NULL, 1e-5f, want);
                    kn->f32_layernorm(rows, n, x, g, NULL, 1e-5f, got);
                } else {
                    tr_f32_rmsnorm__ref(rows, n, x, g, 1e-6f, want);
                    kn->f32_rmsnorm(rows, n, x, g, 1e-6f, got);
                }
                for (size_t i = 0; i < rows * n; i++)
                    if (!close_rel(got[i], want[i], 1e-5, 1e-6))
                        fail_msg("%s norm op %d n=%zu [%zu]: %.9g vs %.9g", kn->name, op, n, i,
                                 got[i], want[i]);
            }
        }
        free(x), free(g), free(be), free(want), free(got);
    }
    /* activations over [-12, 12] plus the odd lengths of the tails */
    const size_t n = 24001 + 7;
    float *x = malloc(n * 4), *want = malloc(n * 4), *got = malloc(n * 4);
    for (size_t i = 0; i < n; i++) x[i] = i < 24001 ? -12.0f + (float)i * 1e-3f : frand() * 100.0f;
    for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
        const tr_kernels *kn = tr_kernels_at(ks);
        for (int act = TR_ACT_NONE; act <= TR_ACT_TANH; act++) {
            tr_f32_activation__ref(act, n, x, want);
            for (size_t len = n - 7; len <= n; len++) {
                memcpy(got, x, n * 4); /* in place, as the FC op calls it */
                kn->f32_activation(act, len, got, got);
                for (size_t i = 0; i < n; i++) {
                    const double w = i < len ? want[i] : x[i];
                    if (!close_rel(got[i], w, 1e-5, 1e-12))
                        fail_msg("%s activation %d len %zu x=%.9g: %.9g vs %.9g", kn->name, act,
                                 len, x[i], got[i], w);
                }
            }
        }
    }
    /* the gated linear unit (act(gate) * up) and the residual add, in
     * place as the ops call them, with odd tails */
    float *up = malloc(n * 4);
    for (size_t i = 0; i < n; i++) up[i] = frand() * 4.0f - 2.0f;
    for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
        const tr_kernels *kn = tr_kernels_at(ks);
        for (int act = TR_ACT_NONE; act <= TR_ACT_TANH; act++) {
            tr_f32_glu__ref(act, n, x, up, want);
            for (size_t len = n - 7; len <= n; len++) {
                memcpy(got, x, n * 4);
                kn->f32_glu(act, len, got, up, got);
                for (size_t i = 0; i < n; i++) {
                    const double w = i < len ? want[i] : x[i];
                    if (!close_rel(got[i], w, 1e-5, 1e-12))
                        fail_msg("%s glu %d len %zu x=%.9g up=%.9g: %.9g vs %.9g", kn->name, act,
                                 len, x[i], up[i], got[i], w);
                }
            }
        }
        tr_f32_add__ref(n, x, up, want);
        for (size_t len = n - 7; len <= n; len++) {
            memcpy(got, up, n * 4);
            kn->f32_add(len, x, got, got);
            for (size_t i = 0; i < n; i++)
                if (got[i] != (i < len ? want[i] : up[i]))
                    fail_msg("%s add len %zu [%zu]: %.9g vs %.9g", kn->name, len, i, got[i],
                             i < len ? want[i] : up[i]);
        }
    }
    free(up);
    free(x), free(want), free(got);
}

/* The sets with bfloat16 attention products against their reference
 * (tr_f32_attention_bf16__ref: q, k, v and exp(s - max) rounded to bf16, the
 * rest float / double). Products are exact and summed in float here, in
 * double there; the kernel's exp may differ from the reference's in the last
 * float bit, which can move one probability to the neighbouring bf16 value
 * (2^-8 relative): hence 2e-3 of the output scale, not 1e-5. Also with a
 * cached prefix (past > 0) as decoders call it. */
static void test_sets_attention_bf16_vs_ref(void **state)
{
    (void)state;
    const size_t lens[] = {1, 2, 3, 5, 13, 17, 33, 64, 97};
    const size_t ds[] = {1, 3, 8, 15, 16, 17, 32, 33, 64, 100, 128};
    const size_t pasts[] = {0, 7};
    size_t sets = 0;
    for (size_t ks = 0; ks < tr_kernels_count(); ks++)
        sets += tr_kernels_at(ks)->f32_attention_bf16 != NULL;
    if (sets == 0) {
        printf("SKIPPED: no kernel set with bf16 attention on this CPU (needs AVX512_BF16)\n");
        skip();
    }
    for (size_t li = 0; li < COUNT(lens); li++)
        for (size_t di = 0; di < COUNT(ds); di++)
            for (size_t pi = 0; pi < COUNT(pasts); pi++)
                for (int causal = 0; causal < 2; causal++) {
                    const size_t len = lens[li], d = ds[di], past = pasts[pi], st = d + 5;
                    const size_t nk = past + len;
                    float *q = malloc(len * st * 4), *k = malloc(nk * st * 4), *v = malloc(nk * st * 4);
                    float *want = malloc(len * st * 4), *got = malloc(len * st * 4);
                    const size_t pn = tr_attention_scratch_floats(nk, d);
                    float *p = malloc(pn * sizeof(float));
                    for (size_t i = 0; i < len * st; i++) q[i] = frand() * 2.0f;
                    for (size_t i = 0; i < nk * st; i++) k[i] = frand() * 2.0f, v[i] = frand();
                    const float scale = 1.0f / sqrtf((float)d);
                    tr_f32_attention_bf16__ref(len, past, d, q, st, k, st, v, st, scale, causal,
                                               want, st, p);
                    for (size_t ks = 0; ks < tr_kernels_count(); ks++) {
                        const tr_kernels *kn = tr_kernels_at(ks);
                        if (kn->f32_attention_bf16 == NULL)
                            continue;
                        for (size_t i = 0; i < len * st; i++) got[i] = -777.0f;
                        memset(p, 0xff, pn * sizeof(float));
                        kn->f32_attention_bf16(len, past, d, q, st, k, st, v, st, scale, causal,
                                               got, st, p);
                        for (size_t i = 0; i < len; i++)
                            for (size_t c = 0; c < st; c++) {
                                const double w = c < d ? want[i * st + c] : -777.0;
                                const double g = got[i * st + c];
                                if (c < d ? !(fabs(g - w) <= 2e-3) : g != w)
                                    fail_msg("%s bf16 attention len %zu past %zu d %zu causal %d "
                                             "[%zu,%zu]: %.9g vs %.9g",
                                             kn->name, len, past, d, causal, i, c, g, w);
                            }
                    }
                    free(q), free(k), free(v), free(want), free(got), free(p);
                }
    printf("bf16 attention: %zu kernel set(s) checked against the bf16 reference\n", sets);
}

static void test_sets_attention_vs_ref(void **state)
{
    (void)state;
    /* odd lengths around the kernels' blocks (6, 12 rows; 8, 16, 32 keys) */
    const size_t lens[] = {1, 2, 3, 5, 13, 17, 33, 64, 97};
    const size_t ds[] = {1, 3, 8, 15, 16, 17, 32, 33, 64, 100};
    for (size_t li = 0; li < COUNT(lens); li++)
        for (size_t di = 0; di < COUNT(ds); di++)
            for (int causal = 0; causal < 2; causal++) {
                const size_t len = lens[li], d = ds[di], st = d + 5;
                float *q = malloc(len * st * 4), *k = malloc(len * st * 4), *v = malloc(len * st * 4);
                float *want = malloc(len * st * 4), *got = malloc(len * st * 4);
                /* exactly the contract's scratch, so that ASan sees any overrun */
                float *p = malloc(tr_attention_scratch_floats(len, d) * sizeof(float));
                for (size_t i = 0; i < len * st; i++)
                    q[i] = frand() * 2.0f, k[i] = frand() * 2.0f, v[i] = frand();
                const float scale = 1.0f / sqrtf((float)d);
                tr_f32_attention__ref(len, 0, d, q, st, k, st, v, st, scale, causal, want, st, p);
                for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
                    const tr_kernels *kn = tr_kernels_at(ks);
                    for (size_t i = 0; i < len * st; i++) got[i] = -777.0f;
                    /* NaN bytes: a kernel must not read scratch it did not write */
                    memset(p, 0xff, tr_attention_scratch_floats(len, d) * sizeof(float));
                    kn->f32_attention(len, 0, d, q, st, k, st, v, st, scale, causal, got, st, p);
                    for (size_t i = 0; i < len; i++)
                        for (size_t c = 0; c < st; c++) {
                            const double w = c < d ? want[i * st + c] : -777.0;
                            if (!close_rel(got[i * st + c], w, 1e-5, c < d ? 1e-6 : 0))
                                fail_msg("%s attention len %zu d %zu causal %d [%zu,%zu]: %.9g vs %.9g",
                                         kn->name, len, d, causal, i, c, got[i * st + c], w);
                        }
                }
                free(q), free(k), free(v), free(want), free(got), free(p);
            }
}

/* Attention after a cached prefix (past keys before the query rows): the
 * reference must give exactly what a plain (past + len)-row attention gives
 * for its last len rows (the same computation), and every set must be close
 * to the reference, causal or not. */
static void test_sets_attention_past_vs_ref(void **state)
{
    (void)state;
    const size_t pasts[] = {1, 7, 16, 33};
    const size_t lens[] = {1, 5, 13, 20};
    const size_t ds[] = {3, 16, 33, 64};
    for (size_t pi = 0; pi < COUNT(pasts); pi++)
        for (size_t li = 0; li < COUNT(lens); li++)
            for (size_t di = 0; di < COUNT(ds); di++)
                for (int causal = 0; causal < 2; causal++) {
                    const size_t past = pasts[pi], len = lens[li], d = ds[di], st = d + 3;
                    const size_t nk = past + len;
                    float *q = malloc(nk * st * 4), *k = malloc(nk * st * 4), *v = malloc(nk * st * 4);
                    float *full = malloc(nk * st * 4), *want = malloc(len * st * 4);
                    float *got = malloc(len * st * 4);
                    float *p = malloc(tr_attention_scratch_floats(nk, d) * sizeof(float));
                    for (size_t i = 0; i < nk * st; i++)
                        q[i] = frand() * 2.0f, k[i] = frand() * 2.0f, v[i] = frand();
                    const float scale = 1.0f / sqrtf((float)d);
                    tr_f32_attention__ref(nk, 0, d, q, st, k, st, v, st, scale, causal, full, st, p);
                    tr_f32_attention__ref(len, past, d, q + past * st, st, k, st, v, st, scale, causal,
                                          want, st, p);
                    for (size_t i = 0; i < len; i++)
                        for (size_t c = 0; c < d; c++)
                            if (want[i * st + c] != full[(past + i) * st + c])
                                fail_msg("ref past %zu len %zu d %zu causal %d [%zu,%zu]: %.9g vs "
                                         "full %.9g", past, len, d, causal, i, c, want[i * st + c],
                                         full[(past + i) * st + c]);
                    for (size_t ks = 1; ks < tr_kernels_count(); ks++) {
                        const tr_kernels *kn = tr_kernels_at(ks);
                        memset(p, 0xff, tr_attention_scratch_floats(nk, d) * sizeof(float));
                        kn->f32_attention(len, past, d, q + past * st, st, k, st, v, st, scale,
                                          causal, got, st, p);
                        for (size_t i = 0; i < len; i++)
                            for (size_t c = 0; c < d; c++)
                                if (!close_rel(got[i * st + c], want[i * st + c], 1e-5, 1e-6))
                                    fail_msg("%s attention past %zu len %zu d %zu causal %d: "
                                             "%.9g vs %.9g", kn->name, past, len, d, causal,
                                             got[i * st + c], want[i * st + c]);
                    }
                    free(q), free(k), free(v), free(full), free(want), free(got), free(p);
                }
}

/* The vector exp / erf / tanh of the x86 float kernels against libm (in
 * double): relative error ~1e-7. */
static void test_vector_math(void **state)
{
    (void)state;
#if defined(__x86_64__)
    typedef void (*vfn)(size_t, const float *, float *);
    static const struct {
        const char *set;
        vfn exp_, erf_, tanh_;
    } fns[] = {
        {"avx2", tr_f32_vexp__avx2, tr_f32_verf__avx2, tr_f32_vtanh__avx2},
        {"avx512vnni", tr_f32_vexp__avx512, tr_f32_verf__avx512, tr_f32_vtanh__avx512},
    };
    const size_t n = 200001;
    float *x = malloc(n * 4), *y = malloc(n * 4);
    for (size_t f = 0; f < COUNT(fns); f++) {
        if (!set_named(fns[f].set))
            continue;
        double e_exp = 0, e_erf = 0, e_tanh = 0;
        for (size_t i = 0; i < n; i++) x[i] = -87.0f + 175.0f * (float)i / (float)(n - 1);
        fns[f].exp_(n, x, y);
        for (size_t i = 0; i < n; i++) {
            const double w = exp((double)x[i]);
            e_exp = fmax(e_exp, fabs(y[i] - w) / w);
        }
        for (size_t i = 0; i < n; i++) x[i] = -6.0f + 12.0f * (float)i / (float)(n - 1);
        fns[f].erf_(n, x, y);
        for (size_t i = 0; i < n; i++) {
            const double w = erf((double)x[i]);
            if (w != 0.0) e_erf = fmax(e_erf, fabs(y[i] - w) / fabs(w));
        }
        fns[f].tanh_(n, x, y);
        for (size_t i = 0; i < n; i++) {
            const double w = tanh((double)x[i]);
            if (w != 0.0) e_tanh = fmax(e_tanh, fabs(y[i] - w) / fabs(w));
        }
        printf("%s: max relative error exp %.3g (-87..88), erf %.3g (-6..6), tanh %.3g (-6..6)\n",
               fns[f].set, e_exp, e_erf, e_tanh);
        assert_true(e_exp < 3e-7);
        assert_true(e_erf < 3e-7);
        assert_true(e_tanh < 3e-7);
    }
    free(x), free(y);
#else
    skip();
#endif
}

/* TINYRANK_KERNELS caps the choice; a set the CPU lacks falls back to the
 * best below it; an unknown name changes nothing. */
static void test_select_env(void **state)
{
    (void)state;
    const tr_kernels *best = tr_kernels_at(tr_kernels_count() - 1);
    unsetenv("TINYRANK_KERNELS");
    assert_ptr_equal(tr_kernels_select(), best);
    setenv("TINYRANK_KERNELS", "ref", 1);
    assert_ptr_equal(tr_kernels_select(), tr_kernels_ref());
    setenv("TINYRANK_KERNELS", "no-such-set", 1);
    assert_ptr_equal(tr_kernels_select(), best);
    for (size_t i = 0; i < sizeof known_sets / sizeof *known_sets; i++) {
        setenv("TINYRANK_KERNELS", known_sets[i], 1);
        const tr_kernels *k = tr_kernels_select();
        /* the set itself, or the best this CPU has below the request:
         * known_sets is in dispatch order, and a set the CPU lacks may sit
         * between two it has (avxvnni on AVX-512 CPUs without AVX-VNNI) */
        const tr_kernels *want = NULL;
        for (size_t j = i + 1; j-- > 0 && !want;)
            want = set_named(known_sets[j]);
        assert_non_null(want); /* "ref" at least */
        assert_ptr_equal(k, want);
    }
    unsetenv("TINYRANK_KERNELS");
}

int main(void)
{
    print_sets();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_gemm),
        cmocka_unit_test(test_qu8_quantize_rows),
        cmocka_unit_test(test_qu8s8_gemm_integer_exact),
        cmocka_unit_test(test_rowwise),
        cmocka_unit_test(test_sets_qu8s8_gemm_vs_ref),
        cmocka_unit_test(test_sets_quantize_vs_ref),
        cmocka_unit_test(test_sets_f32_gemm_vs_ref),
        cmocka_unit_test(test_sets_rowwise_vs_ref),
        cmocka_unit_test(test_sets_attention_vs_ref),
        cmocka_unit_test(test_sets_attention_bf16_vs_ref),
        cmocka_unit_test(test_sets_attention_past_vs_ref),
        cmocka_unit_test(test_vector_math),
        cmocka_unit_test(test_select_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
