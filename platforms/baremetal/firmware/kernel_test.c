/* kernel_test.c - the differential test of the kernel sets of this build,
 * run on the target itself (QEMU -M mps3-an547 for the Helium kernels, -M
 * mps2-an386 for the Cortex-M4 build): every set the build has
 * (tr_kernels_count/at, ref first) computes the uint8 x int8 GEMM over
 * N16K4 weights on odd shapes, and its output must equal, bit for bit, an
 * independent formula computed here from the UNPACKED weights in 64-bit
 * integers (the integer part is exact; the float dequantization is the same
 * expression in every kernel). Also: a set named "mve" must be there exactly
 * when the compiler targets MVE, so that a build that silently lost its
 * Helium kernels fails.
 *
 * Prints one line per failure and a closing "N passed, M failed"; the exit
 * status (semihosting) is 0 only when nothing failed. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"
#include "semihost.h"

#define MAX_M 17
#define MAX_N 100
#define MAX_K 384

static const size_t Ms[] = {1, 2, 3, 4, 5, 7, 9, 17};
static const size_t Ns[] = {1, 3, 15, 16, 17, 33, 100};
static const size_t Ks[] = {1, 2, 3, 4, 5, 15, 16, 17, 31, 63, 64, 65, 127, 384};

static uint8_t Q[MAX_M * MAX_K] __attribute__((aligned(64)));
static int8_t Wu[MAX_N * MAX_K];                                  /* [N][K], unpacked */
static int8_t Wp[16 * ((MAX_N + 15) / 16) * MAX_K] __attribute__((aligned(64))); /* N16K4 */
static float a_scale[MAX_M], w_scale[MAX_N], bias[MAX_N];
static int32_t a_zp[MAX_M], w_sum[MAX_N];
static float want[MAX_M * MAX_N], got[MAX_M * MAX_N];

static uint32_t rng = 0x1234567u;
static uint32_t next(void) /* xorshift32: the same data on every run */
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static unsigned passed, failed;

static void check(int ok, const char *what, const char *set, size_t M, size_t N, size_t K)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    sh_puts("FAIL ");
    sh_puts(what);
    sh_puts(" set=");
    sh_puts(set);
    sh_puts(" M=");
    sh_put_u32((uint32_t)M);
    sh_puts(" N=");
    sh_put_u32((uint32_t)N);
    sh_puts(" K=");
    sh_put_u32((uint32_t)K);
    sh_puts("\n");
}

/* extremes: 0 random, 1 the largest products (q 255, w -128) */
static void fill(size_t M, size_t N, size_t K, int extreme)
{
    const size_t ldq = tr_qu8_row_bytes(K);
    memset(Q, 0, sizeof Q);
    memset(Wp, 0, sizeof Wp);
    for (size_t m = 0; m < M; m++) {
        for (size_t k = 0; k < K; k++)
            Q[m * ldq + k] = extreme ? 255 : (uint8_t)next();
        a_scale[m] = (float)(next() % 1000 + 1) * 1e-4f;
        a_zp[m] = extreme ? (m % 2 ? 255 : 0) : (int32_t)(next() % 256);
    }
    for (size_t n = 0; n < N; n++) {
        int32_t s = 0;
        for (size_t k = 0; k < K; k++) {
            const int8_t w = extreme ? (int8_t)-128 : (int8_t)next();
            Wu[n * K + k] = w;
            Wp[tr_n16k4_index(n, k, K)] = w;
            s += w;
        }
        w_sum[n] = s;
        w_scale[n] = (float)(next() % 1000 + 1) * 1e-4f;
        bias[n] = (float)((int32_t)(next() % 2001) - 1000) * 1e-3f;
    }
}

/* the formula of kernels.h, from the unpacked weights (compiled without
 * FP contraction, as the library: a fused multiply-add would round once
 * where the kernels round twice) */
static void formula(size_t M, size_t N, size_t K, int with_bias)
{
    const size_t ldq = tr_qu8_row_bytes(K);
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            int64_t acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (int64_t)Q[m * ldq + k] * Wu[n * K + k];
            const int64_t centered = acc - (int64_t)a_zp[m] * w_sum[n];
            const float v = (float)centered * (a_scale[m] * w_scale[n]);
            want[m * N + n] = with_bias ? v + bias[n] : v;
        }
}

static int same_bits(size_t count)
{
    return memcmp(want, got, count * sizeof(float)) == 0;
}

static void test_set(const tr_kernels *ks)
{
    for (size_t im = 0; im < sizeof Ms / sizeof Ms[0]; im++)
        for (size_t in = 0; in < sizeof Ns / sizeof Ns[0]; in++)
            for (size_t ik = 0; ik < sizeof Ks / sizeof Ks[0]; ik++) {
                const size_t M = Ms[im], N = Ns[in], K = Ks[ik];
                const size_t ldq = tr_qu8_row_bytes(K);
                for (int extreme = 0; extreme < 2; extreme++) {
                    fill(M, N, K, extreme);
                    const int with_bias = (int)((M + N + K) % 2);
                    formula(M, N, K, with_bias);
                    memset(got, 0xff, sizeof got);
                    ks->qu8s8_gemm(M, N, K, Q, ldq, a_scale, a_zp, Wp, w_scale, w_sum,
                                   with_bias ? bias : NULL, got, N);
                    check(same_bits(M * N), extreme ? "gemm-extreme" : "gemm", ks->name, M, N, K);
                }
                /* a range of 16-channel blocks, as FULLY_CONNECTED's tiles
                 * call it: W and the per-channel arrays offset by n0 */
                if (N > 16) {
                    fill(M, N, K, 0);
                    formula(M, N, K, 1);
                    const size_t n0 = 16, kp = tr_round_up(K, 4);
                    memset(got, 0xff, sizeof got);
                    ks->qu8s8_gemm(M, N - n0, K, Q, ldq, a_scale, a_zp, Wp + (n0 / 16) * kp * 16,
                                   w_scale + n0, w_sum + n0, bias + n0, got + n0, N);
                    int ok = 1;
                    for (size_t m = 0; m < M; m++)
                        ok &= memcmp(want + m * N + n0, got + m * N + n0,
                                     (N - n0) * sizeof(float)) == 0;
                    check(ok, "gemm-block-range", ks->name, M, N, K);
                }
            }
}

/* ---- quantization: every set against the definition in kernels.h */
static float Af[MAX_M * MAX_K];
static uint8_t qw[MAX_M * MAX_K], qg[MAX_M * MAX_K];
static float sw[MAX_M], sg[MAX_M];
static int32_t zw[MAX_M], zg[MAX_M];

static float bits_to_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* kind 0: random in [-8, 8); 1: only positive; 2: with NaN, denormals and
 * exact zeros; 3: an all-zero row every other row; 4: an infinity; 5: only
 * denormals and zeros; 6: every other row positive with denormal negatives */
static void fill_rows(size_t M, size_t K, int kind)
{
    for (size_t i = 0; i < M * K; i++) {
        float v = (float)((int32_t)(next() % 16001) - 8000) * 1e-3f;
        if (kind == 1)
            v = v < 0 ? -v : v;
        if (kind == 2 && i % 7 == 3)
            v = bits_to_float(next() % 2 ? 0x7fc00000u : 0x00000005u | (next() & 0x80000000u));
        if (kind == 2 && i % 11 == 5)
            v = 0.0f;
        if (kind == 3 && (i / K) % 2 == 0)
            v = 0.0f;
        if (kind == 4 && i == M * K / 2)
            v = bits_to_float(0xff800000u);
        if (kind == 5) /* denormals and zeros only: the range is a denormal */
            v = i % 3 ? bits_to_float((next() & 0x807fffffu) | 1u) : 0.0f;
        if (kind == 6 && (i / K) % 2) /* positive rows with denormal negatives */
            v = v < 0 ? bits_to_float(0x80000001u + next() % 1000) : v;
        Af[i] = v;
    }
}

static void quantize_formula(size_t M, size_t K, size_t ldq)
{
    for (size_t m = 0; m < M; m++) {
        const float *a = Af + m * K;
        float lo = 0.0f, hi = 0.0f, s, inv, z;
        for (size_t k = 0; k < K; k++) {
            lo = a[k] < lo ? a[k] : lo; /* NaN compares false: skipped */
            hi = a[k] > hi ? a[k] : hi;
        }
        memset(qw + m * ldq, 0, ldq);
        if (!tr_qu8_row_params(lo, hi, &s, &inv, &z)) {
            sw[m] = 0.0f;
            zw[m] = 0;
            continue;
        }
        for (size_t k = 0; k < K; k++) {
            float v = roundf(a[k] * inv) + z;
            v = v > 0.0f ? (v < 255.0f ? v : 255.0f) : 0.0f;
            qw[m * ldq + k] = (uint8_t)v;
        }
        sw[m] = s;
        zw[m] = (int32_t)z;
    }
}

static void test_quantize(const tr_kernels *ks)
{
    for (size_t im = 0; im < sizeof Ms / sizeof Ms[0]; im++)
        for (size_t ik = 0; ik < sizeof Ks / sizeof Ks[0]; ik++)
            for (int kind = 0; kind < 7; kind++) {
                const size_t M = Ms[im], K = Ks[ik], ldq = tr_qu8_row_bytes(K);
                fill_rows(M, K, kind);
                quantize_formula(M, K, ldq);
                memset(qg, 0xaa, sizeof qg);
                ks->qu8_quantize_rows(M, K, Af, K, qg, ldq, sg, zg);
                check(memcmp(qw, qg, M * ldq) == 0 && memcmp(sw, sg, M * sizeof(float)) == 0 &&
                          memcmp(zw, zg, M * sizeof(int32_t)) == 0,
                      "quantize", ks->name, M, kind, K);
            }
}

int main(void);
int main(void)
{
    const size_t count = tr_kernels_count();
    int has_mve = 0;
    sh_puts("kernel sets:");
    for (size_t i = 0; i < count; i++) {
        sh_puts(" ");
        sh_puts(tr_kernels_at(i)->name);
        has_mve |= strcmp(tr_kernels_at(i)->name, "mve") == 0;
    }
    sh_puts("; selected: ");
    sh_puts(tr_kernels_select()->name);
    sh_puts("\n");
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
    check(has_mve && strcmp(tr_kernels_select()->name, "mve") == 0, "mve-selected", "mve", 0, 0, 0);
#else
    check(!has_mve, "no-mve-without-mve", "-", 0, 0, 0);
#endif
    for (size_t i = 0; i < count; i++) {
        test_set(tr_kernels_at(i));
        test_quantize(tr_kernels_at(i));
    }
    sh_put_u32(passed);
    sh_puts(" passed, ");
    sh_put_u32(failed);
    sh_puts(" failed\n");
    return failed != 0;
}
