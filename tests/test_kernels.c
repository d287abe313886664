/* test_kernels.c - every kernel set against independent naive formulas, on
 * odd shapes (M, N, K not multiples of any tile; K not a multiple of 4), in
 * the ggml test-backend-ops spirit: the integer part of the int8 GEMM must
 * be bit-exact; float results within a tolerance. The reference kernels are
 * checked here against formulas written out in the test; optimized kernel
 * sets (as they are added) against the reference kernels. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/kernels.h"

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

int main(void)
{
    printf("kernel sets on this CPU:");
    for (size_t i = 0; i < tr_kernels_count(); i++)
        printf(" %s", tr_kernels_at(i)->name);
    printf("\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_gemm),
        cmocka_unit_test(test_qu8_quantize_rows),
        cmocka_unit_test(test_qu8s8_gemm_integer_exact),
        cmocka_unit_test(test_rowwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
