/* bench_gemm.c - speed of the int8 GEMM and of the activation quantization
 * of every kernel set this CPU runs, against XNNPACK and a register-only
 * VNNI peak measured in the same run. See benchmarks/README.md.
 *
 * Shapes: the Linear layers of MiniLM-L6 and Qwen2.5-0.5B at M = 256 rows
 * (one batch of tokens). Each number is the best of several runs, each run
 * repeating the call until it lasts at least --min-time seconds, so that the
 * clock's resolution and one-off page faults do not show. Single thread.
 *
 * A benchmark reports; it never asserts a timing. It does check that each
 * kernel set computed what the reference computed on the same input (a
 * wrong kernel's speed is meaningless) and says so in the "check" column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "converter/quantize/quantize.h"
#include "kernels/kernels.h"

#if defined(TINYRANK_BENCH_XNNPACK)
#include <xnnpack.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#if defined(TINYRANK_BENCH_PEAK_X86)
/* peak_x86.c (compiled with AVX-512 VNNI flags; only call after the CPU
 * check below). */
double tr_bench_peak_avx512vnni_gops(double min_seconds, int runs);
#endif
#if defined(TINYRANK_BENCH_PEAK_AMX)
/* peak_amx.c (compiled with AMX flags; only call when cpu_amx_usable()). */
double tr_bench_peak_amx_gops(double min_seconds, int runs);
#endif
#if defined(__x86_64__)
#include "kernels/x86/x86_kernels.h"
#endif

typedef struct shape {
    const char *name;
    size_t M, K, N;
} shape;

static const shape shapes[] = {
    {"minilm-l6.attn", 256, 384, 384},       {"minilm-l6.ffn_up", 256, 384, 1536},
    {"minilm-l6.ffn_down", 256, 1536, 384},  {"qwen2.5-0.5b.attn", 256, 896, 896},
    {"qwen2.5-0.5b.mlp_up", 256, 896, 4864}, {"qwen2.5-0.5b.mlp_down", 256, 4864, 896},
};
#define NUM_SHAPES (sizeof shapes / sizeof shapes[0])

typedef struct options {
    int runs;           /* best of this many runs */
    double min_time;    /* seconds per run, at least */
    double max_measure; /* stop a measurement after this many seconds of runs */
    int json;
    int xnnpack;
    const char *only; /* shape name prefix, or NULL */
} options;

/* ------------------------------------------------------------ utilities */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: deterministic data, so two runs time the same work. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint32_t rng_u32(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}
static float rng_uniform(void) /* [-1, 1) */
{
    return (float)rng_u32() / 2147483648.0f - 1.0f;
}

/* 64-byte aligned, as model blobs and arena buffers are; the padding past
 * `bytes` covers XNNPACK's XNN_EXTRA_BYTES over-reads. Zero-filled. */
static void *alloc64(size_t bytes)
{
    size_t n = (bytes + 64 + 63) / 64 * 64;
    void *p = aligned_alloc(64, n);
    if (!p) {
        fprintf(stderr, "bench_gemm: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n);
    return p;
}

static void cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                snprintf(out, cap, "%s", v);
                out[strcspn(out, "\n")] = '\0';
                /* it goes into JSON strings as is */
                for (char *c = out; *c; c++)
                    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                        *c = ' ';
            }
            break;
        }
    }
    fclose(f);
}

/* 1-minute load average (-1 when unknown): other work on the cores makes
 * every number here lower and noisier, so the output says how busy the
 * machine was. */
static double load_average(void)
{
    double l = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1.0;
        fclose(f);
    }
    return l;
}

/* ---------------------------------------------------------- CPU features */

#if defined(TINYRANK_BENCH_PEAK_X86)
static int cpu_has_avx512vnni(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    /* __builtin_cpu_supports also checks that the OS saves zmm state */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}
#endif

static int cpu_has_amx(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    return (d >> 24) & 1; /* AMX-TILE */
#else
    return 0;
#endif
}

/* AMX-INT8 with the OS state and Linux's permission for the tile data: what
 * the "amx" kernel set needs too (asking for the permission is part of it). */
static int cpu_amx_usable(void)
{
#if defined(__x86_64__)
    return (tr_x86_cpu_features() & TR_X86_AMX_INT8) != 0;
#else
    return 0;
#endif
}

/* ------------------------------------------------------------- timing */

typedef void (*bench_fn)(void *ctx);

/* Best seconds per call. One warm-up call (caches, branch predictors)
 * sizes the repetitions so that a run lasts >= min_time; then up to `runs`
 * runs, fewer once the runs have taken max_measure seconds. A call that
 * alone lasts >= min_time (the reference kernel on the big shapes) is its
 * own warm-up and first sample: its buffers were touched before, and one
 * such call is already long enough for a stable number. */
static double time_best(bench_fn fn, void *ctx, const options *o)
{
    double t0 = now_seconds();
    fn(ctx);
    double first = now_seconds() - t0;
    long reps = first >= o->min_time ? 1 : (long)ceil(o->min_time / (first > 1e-7 ? first : 1e-7));
    double best = 1e300, spent = 0.0;
    int r = 0;
    if (first >= o->min_time) {
        best = spent = first;
        r = 1;
    }
    for (; r < o->runs && spent < o->max_measure; r++) {
        double a = now_seconds();
        for (long i = 0; i < reps; i++)
            fn(ctx);
        double dt = now_seconds() - a;
        spent += dt;
        best = dt / (double)reps < best ? dt / (double)reps : best;
    }
    return best;
}

typedef struct gemm_ctx {
    const tr_kernels *k;
    size_t M, N, K, ldq;
    const uint8_t *Q;
    const float *a_scale;
    const int32_t *a_zp;
    const int8_t *W;
    const float *w_scale;
    const int32_t *w_sum;
    const float *bias;
    float *C;
} gemm_ctx;

static void run_gemm(void *p)
{
    gemm_ctx *g = p;
    g->k->qu8s8_gemm(g->M, g->N, g->K, g->Q, g->ldq, g->a_scale, g->a_zp, g->W, g->w_scale,
                     g->w_sum, g->bias, g->C, g->N);
}

typedef struct quant_ctx {
    const tr_kernels *k;
    size_t M, K, ldq;
    const float *A;
    uint8_t *Q;
    float *scale;
    int32_t *zp;
} quant_ctx;

static void run_quant(void *p)
{
    quant_ctx *q = p;
    q->k->qu8_quantize_rows(q->M, q->K, q->A, q->K, q->Q, q->ldq, q->scale, q->zp);
}

/* ------------------------------------------------------------ XNNPACK */

/* XNNPACK's int8 operators of this (2022) version take int8 activations
 * with one zero point per tensor and requantize the int32 sums to an int8
 * output: qs8 fully-connected has one weight scale per tensor, qc8 (1x1
 * convolution) one per output channel, which is tinyrank's case. The work
 * differs from ours only in the epilogue (int8 out instead of float). */
enum { XNN_QS8 = 0, XNN_QC8 = 1, XNN_KINDS = 2 };
static const char *const xnn_names[XNN_KINDS] = {"xnnpack-qs8-fc", "xnnpack-qc8-conv1x1"};
#if defined(TINYRANK_BENCH_XNNPACK)
static int xnn_ready; /* xnn_initialize succeeded */

typedef struct xnn_ctx {
    xnn_operator_t op;
} xnn_ctx;

static void run_xnn(void *p)
{
    xnn_ctx *x = p;
    enum xnn_status st = xnn_run_operator(x->op, NULL);
    if (st != xnn_status_success) {
        fprintf(stderr, "bench_gemm: xnn_run_operator failed (status %d)\n", (int)st);
        exit(1);
    }
}

/* GOP/s of one XNNPACK operator on this shape, 0 when it cannot be made
 * (the reason goes to `why`). W is row-major [N][K]; XNNPACK packs it at
 * creation, which is not timed (as our packing happens at conversion). */
static double bench_xnn(int kind, const shape *s, const int8_t *W, const int8_t *X,
                        const options *o, char *why, size_t why_cap)
{
    size_t M = s->M, N = s->N, K = s->K;
    int32_t *bias = alloc64(N * sizeof *bias);
    float *kscale = alloc64(N * sizeof *kscale);
    int8_t *Y = alloc64(M * N);
    for (size_t n = 0; n < N; n++) {
        bias[n] = (int32_t)(rng_u32() % 2001) - 1000;
        kscale[n] = (1.0f + 0.5f * rng_uniform()) / 127.0f;
    }
    /* requantization scale in_scale * w_scale / out_scale must be < 1 for
     * XNNPACK; this one maps a typical sum to a few int8 codes */
    const float in_scale = 1.0f / 64.0f, out_scale = in_scale * (2.0f / 127.0f) * sqrtf((float)K) * 8;
    xnn_operator_t op = NULL;
    enum xnn_status st;
    if (kind == XNN_QS8) {
        st = xnn_create_fully_connected_nc_qs8(K, N, K, N, 0, in_scale, 1.0f / 127.0f, W, bias, 0,
                                               out_scale, -128, 127, 0, &op);
        if (st == xnn_status_success)
            st = xnn_setup_fully_connected_nc_qs8(op, M, X, Y, NULL);
    } else {
        /* a 1x1 convolution over M pixels is the GEMM [M][K] x [K][N] */
        st = xnn_create_convolution2d_nhwc_qc8(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, K, N, K, N, 0,
                                               in_scale, kscale, W, bias, 0, out_scale, -128,
                                               127, 0, &op);
        if (st == xnn_status_success)
            st = xnn_setup_convolution2d_nhwc_qc8(op, M, 1, 1, X, Y, NULL);
    }
    double gops = 0.0;
    if (st != xnn_status_success) {
        snprintf(why, why_cap, "create/setup failed (xnn_status %d)", (int)st);
    } else {
        xnn_ctx ctx = {op};
        gops = 2.0 * (double)M * (double)N * (double)K / time_best(run_xnn, &ctx, o) * 1e-9;
    }
    if (op)
        xnn_delete_operator(op);
    free(bias);
    free(kscale);
    free(Y);
    return gops;
}
#endif

/* --------------------------------------------------------------- output */

static double peak_gops;     /* VNNI; 0: no peak loop for this CPU/build */
static double peak_amx_gops; /* AMX-INT8; 0: none */

/* One more peak measurement; peak_gops keeps the best. */
static void sample_peak(double min_time, int runs)
{
#if defined(TINYRANK_BENCH_PEAK_X86)
    double g = tr_bench_peak_avx512vnni_gops(min_time, runs);
    peak_gops = g > peak_gops ? g : peak_gops;
#else
    (void)min_time;
    (void)runs;
#endif
}

static void sample_peak_amx(double min_time, int runs)
{
#if defined(TINYRANK_BENCH_PEAK_AMX)
    double g = tr_bench_peak_amx_gops(min_time, runs);
    peak_amx_gops = g > peak_amx_gops ? g : peak_amx_gops;
#else
    (void)min_time;
    (void)runs;
#endif
}

/* The peak a kernel set is measured against: the "amx" set's GEMM runs on
 * the tile unit (at M = 256), every other one on vector units. */
static double peak_for(const char *impl)
{
    return strcmp(impl, "amx") == 0 ? peak_amx_gops : peak_gops;
}

static void print_ratio(double num, double den)
{
    if (num > 0 && den > 0)
        printf(" %8.2fx", num / den);
    else
        printf(" %9s", "-");
}

static void json_num(const char *key, double v)
{
    if (v > 0 && isfinite(v))
        printf(", \"%s\": %.6g", key, v);
    else
        printf(", \"%s\": null", key);
}

/* One row of the GEMM table (text) or one JSON line. */
static void report_gemm(const options *o, const shape *s, const char *impl, double gops,
                        double xnn_qc8, double xnn_qs8, double ref, const char *check)
{
    double ms = gops > 0 ? 2.0 * (double)s->M * (double)s->N * (double)s->K / gops * 1e-6 : 0;
    if (o->json) {
        printf("{\"bench\": \"gemm\", \"op\": \"qu8s8_gemm\", \"shape\": \"%s\", \"M\": %zu, "
               "\"K\": %zu, \"N\": %zu, \"impl\": \"%s\"",
               s->name, s->M, s->K, s->N, impl);
        json_num("gops", gops);
        json_num("ms_per_call", ms);
        json_num("vs_xnnpack_qc8", gops > 0 && xnn_qc8 > 0 ? gops / xnn_qc8 : 0);
        json_num("vs_xnnpack_qs8", gops > 0 && xnn_qs8 > 0 ? gops / xnn_qs8 : 0);
        json_num("vs_ref", gops > 0 && ref > 0 ? gops / ref : 0);
        json_num("peak_fraction", gops > 0 && peak_for(impl) > 0 ? gops / peak_for(impl) : 0);
        printf(", \"check\": \"%s\"}\n", check);
        return;
    }
    printf("  %-22s %8.1f %9.3f", impl, gops, ms);
    print_ratio(gops, xnn_qc8);
    print_ratio(gops, xnn_qs8);
    print_ratio(gops, ref);
    if (gops > 0 && peak_for(impl) > 0)
        printf(" %7.1f%%", 100.0 * gops / peak_for(impl));
    else
        printf(" %8s", "-");
    printf("  %s\n", check);
}

static void report_quant(const options *o, const shape *s, const char *impl, double sec,
                         double ref_sec, double gemm_sec, const char *check)
{
    double gbs = sec > 0 ? (double)s->M * (double)s->K * 4.0 / sec * 1e-9 : 0;
    if (o->json) {
        printf("{\"bench\": \"gemm\", \"op\": \"qu8_quantize_rows\", \"shape\": \"%s\", "
               "\"M\": %zu, \"K\": %zu, \"impl\": \"%s\"",
               s->name, s->M, s->K, impl);
        json_num("us_per_call", sec * 1e6);
        json_num("input_gb_per_s", gbs);
        json_num("vs_ref", sec > 0 && ref_sec > 0 ? ref_sec / sec : 0);
        json_num("fraction_of_gemm_time", sec > 0 && gemm_sec > 0 ? sec / gemm_sec : 0);
        printf(", \"check\": \"%s\"}\n", check);
        return;
    }
    printf("  %-22s %8.1f us %7.2f GB/s", impl, sec * 1e6, gbs);
    print_ratio(ref_sec, sec);
    if (gemm_sec > 0)
        printf(" %7.1f%% of its GEMM", 100.0 * sec / gemm_sec);
    printf("  %s\n", check);
}

/* ---------------------------------------------------------- one shape */

/* Largest |C - Cref| relative to the largest |Cref|: integer sums are exact
 * in every kernel, so only float rounding of the epilogue may differ. */
static double rel_diff(const float *C, const float *R, size_t n)
{
    double d = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)C[i] - (double)R[i]);
        d = e > d ? e : d;
        m = fabs((double)R[i]) > m ? fabs((double)R[i]) : m;
    }
    return m > 0 ? d / m : d;
}

/* What one shape measured; printed after all shapes, when the peak (the
 * best of its measurements spread over the run) is known. */
typedef struct shape_result {
    const shape *s;
    const shape *quant_same_as; /* quantization timed with this shape */
    double xnn[XNN_KINDS];      /* GOP/s, 0 when not measured */
    char xnn_why[XNN_KINDS][128];
    double *gops, *qsec;        /* per kernel set */
    char (*gcheck)[64], (*qcheck)[64];
} shape_result;

/* quant_same_as: an earlier shape with the same M and K, whose
 * quantization timing stands for this one too (NULL: time it here). */
static void bench_shape(const shape *s, const options *o, const shape *quant_same_as,
                        shape_result *r)
{
    const size_t M = s->M, N = s->N, K = s->K, ldq = tr_qu8_row_bytes(K);
    const size_t nk = tr_kernels_count();

    /* Activations: roughly Gaussian (sum of three uniforms) with a
     * positive shift, as after a LayerNorm or GELU. Weights: int8 in
     * [-127, 127] per output channel, as the converter writes them. */
    float *A = alloc64(M * K * sizeof *A);
    for (size_t i = 0; i < M * K; i++)
        A[i] = rng_uniform() + rng_uniform() + rng_uniform() + 0.3f;
    int8_t *Wrow = alloc64(N * K);
    int32_t *w_sum = alloc64(N * sizeof *w_sum);
    float *w_scale = alloc64(N * sizeof *w_scale), *bias = alloc64(N * sizeof *bias);
    for (size_t n = 0; n < N; n++) {
        int32_t sum = 0;
        for (size_t k = 0; k < K; k++) {
            int8_t v = (int8_t)((int)(rng_u32() % 255) - 127);
            Wrow[n * K + k] = v;
            sum += v;
        }
        w_sum[n] = sum;
        w_scale[n] = (1.0f + 0.5f * rng_uniform()) * 0.02f / 127.0f;
        bias[n] = 0.05f * rng_uniform();
    }
    int8_t *packed = tr_pack_n16k4(Wrow, N, K);
    if (!packed) {
        fprintf(stderr, "bench_gemm: out of memory packing %s\n", s->name);
        exit(1);
    }
    int8_t *W = alloc64(tr_n16k4_bytes(N, K));
    memcpy(W, packed, tr_n16k4_bytes(N, K));
    free(packed);

    /* The reference quantization is every GEMM's input, so that all kernel
     * sets multiply the same bytes and their outputs are comparable. */
    uint8_t *Qref = alloc64(M * ldq), *Q = alloc64(M * ldq);
    float *a_scale_ref = alloc64(M * sizeof(float)), *a_scale = alloc64(M * sizeof(float));
    int32_t *a_zp_ref = alloc64(M * sizeof(int32_t)), *a_zp = alloc64(M * sizeof(int32_t));
    tr_kernels_ref()->qu8_quantize_rows(M, K, A, K, Qref, ldq, a_scale_ref, a_zp_ref);
    float *Cref = alloc64(M * N * sizeof(float)), *C = alloc64(M * N * sizeof(float));

    r->s = s;
    r->quant_same_as = quant_same_as;
#if defined(TINYRANK_BENCH_XNNPACK)
    double *xnn = r->xnn;
    char (*xnn_why)[128] = r->xnn_why;
    if (xnn_ready && o->xnnpack) {
        /* our uint8 codes shifted by -128 are XNNPACK's int8 codes of the
         * same values (zero point moved by 128 as well) */
        int8_t *X = alloc64(M * K);
        for (size_t m = 0; m < M; m++)
            for (size_t k = 0; k < K; k++)
                X[m * K + k] = (int8_t)((int)Qref[m * ldq + k] - 128);
        for (int kind = 0; kind < XNN_KINDS; kind++)
            xnn[kind] = bench_xnn(kind, s, Wrow, X, o, xnn_why[kind], sizeof xnn_why[kind]);
        free(X);
    }
#endif

    double *gops = r->gops = calloc(nk, sizeof *gops), *qsec = r->qsec = calloc(nk, sizeof *qsec);
    char (*gcheck)[64] = r->gcheck = calloc(nk, sizeof *gcheck);
    char (*qcheck)[64] = r->qcheck = calloc(nk, sizeof *qcheck);
    if (!gops || !qsec || !gcheck || !qcheck) {
        fprintf(stderr, "bench_gemm: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < nk; i++) {
        const tr_kernels *k = tr_kernels_at(i);
        gemm_ctx g = {k, M, N, K, ldq, Qref, a_scale_ref, a_zp_ref, W, w_scale, w_sum, bias,
                      i == 0 ? Cref : C};
        gops[i] = 2.0 * (double)M * (double)N * (double)K / time_best(run_gemm, &g, o) * 1e-9;
        if (i == 0) {
            snprintf(gcheck[i], sizeof gcheck[i], "reference");
        } else {
            double d = rel_diff(C, Cref, M * N);
            if (d <= 1e-5)
                snprintf(gcheck[i], sizeof gcheck[i], "ok");
            else
                snprintf(gcheck[i], sizeof gcheck[i], "MISMATCH (rel %.2g)", d);
        }
        if (quant_same_as)
            continue;
        quant_ctx q = {k, M, K, ldq, A, Q, a_scale, a_zp};
        qsec[i] = time_best(run_quant, &q, o);
        size_t bad = 0;
        for (size_t m = 0; m < M; m++) {
            bad += a_zp[m] != a_zp_ref[m] || a_scale[m] != a_scale_ref[m];
            bad += memcmp(Q + m * ldq, Qref + m * ldq, ldq) != 0;
        }
        if (i == 0)
            snprintf(qcheck[i], sizeof qcheck[i], "reference");
        else if (bad)
            snprintf(qcheck[i], sizeof qcheck[i], "MISMATCH (%zu rows)", bad);
        else
            snprintf(qcheck[i], sizeof qcheck[i], "ok");
    }

    free(A);
    free(Wrow);
    free(W);
    free(w_sum);
    free(w_scale);
    free(bias);
    free(Qref);
    free(Q);
    free(a_scale_ref);
    free(a_scale);
    free(a_zp_ref);
    free(a_zp);
    free(Cref);
    free(C);
}

static void print_shape(const shape_result *r, const options *o)
{
    const shape *s = r->s, *quant_same_as = r->quant_same_as;
    const size_t M = s->M, N = s->N, K = s->K, nk = tr_kernels_count();
    const double *xnn = r->xnn, *gops = r->gops, *qsec = r->qsec;
    const char(*xnn_why)[128] = r->xnn_why;
    if (!o->json)
        printf("\n%s: M=%zu K=%zu N=%zu (%.3f GOP per call)\n  %-22s %8s %9s %9s %9s %9s %8s  "
               "%s\n",
               s->name, M, K, N, 2.0 * (double)M * (double)N * (double)K * 1e-9, "qu8s8_gemm",
               "GOP/s", "ms", "/xnn-qc8", "/xnn-qs8", "/ref", "%peak", "check");
    for (int kind = 0; kind < XNN_KINDS; kind++) {
        if (xnn[kind] > 0)
            report_gemm(o, s, xnn_names[kind], xnn[kind], xnn[XNN_QC8], xnn[XNN_QS8], gops[0],
                        "baseline");
        else if (xnn_why[kind][0] && !o->json)
            printf("  %-22s not measured: %s\n", xnn_names[kind], xnn_why[kind]);
    }
    for (size_t i = 0; i < nk; i++)
        report_gemm(o, s, tr_kernels_at(i)->name, gops[i], xnn[XNN_QC8], xnn[XNN_QS8], gops[0],
                    r->gcheck[i]);
    if (!o->json && quant_same_as)
        printf("  qu8_quantize_rows: same M and K as %s\n", quant_same_as->name);
    else if (!o->json)
        printf("  %-22s %11s %12s %9s\n", "qu8_quantize_rows", "time", "input", "/ref");
    for (size_t i = 0; i < nk && !quant_same_as; i++) {
        double gemm_sec = gops[i] > 0 ? 2.0 * (double)M * (double)N * (double)K / gops[i] * 1e-9
                                      : 0;
        report_quant(o, s, tr_kernels_at(i)->name, qsec[i], qsec[0], gemm_sec, r->qcheck[i]);
    }
    fflush(stdout);
}

static void free_result(shape_result *r)
{
    free(r->gops);
    free(r->qsec);
    free(r->gcheck);
    free(r->qcheck);
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fputs("usage: bench_gemm [--runs N] [--min-time SECONDS] [--only SHAPE_PREFIX]\n"
          "                  [--no-xnnpack] [--json]\n"
          "  Times qu8s8_gemm and qu8_quantize_rows of every kernel set this CPU runs,\n"
          "  XNNPACK's int8 GEMMs and register-only AVX-512 VNNI and AMX peaks, single thread,\n"
          "  on the MiniLM-L6 and Qwen2.5-0.5B Linear shapes at M=256.\n"
          "  --runs N        best of N runs (default 3)\n"
          "  --min-time S    each run lasts at least S seconds (default 0.2)\n"
          "  --only PREFIX   only shapes whose name starts with PREFIX (minilm, qwen)\n"
          "  --no-xnnpack    skip the XNNPACK baseline\n"
          "  --json          JSON Lines: one object per measurement\n",
          f);
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--no-xnnpack") == 0) {
            o->xnnpack = 0;
        } else if (strcmp(a, "--runs") == 0 && v) {
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1000)
                return fprintf(stderr, "bench_gemm: --runs wants 1..1000, got '%s'\n", v), 0;
            o->runs = (int)n;
            i++;
        } else if (strcmp(a, "--min-time") == 0 && v) {
            double t = strtod(v, &end);
            if (*end || !(t > 0.0 && t <= 60.0))
                return fprintf(stderr, "bench_gemm: --min-time wants (0, 60], got '%s'\n", v), 0;
            o->min_time = t;
            i++;
        } else if (strcmp(a, "--only") == 0 && v) {
            o->only = v;
            i++;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "bench_gemm: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 0;
        }
    }
    /* a slow kernel stops after this much time of runs (>= one run) */
    o->max_measure = 1.0 > 3 * o->min_time ? 1.0 : 3 * o->min_time;
    return 1;
}

int main(int argc, char **argv)
{
    options o = {3, 0.2, 0.0, 0, 1, NULL};
    if (!parse_args(argc, argv, &o))
        return 2;

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    double load = load_average();
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));

    /* XNNPACK */
    const char *xnn_status = "not built (libXNNPACK or pthreadpool.h not found by CMake)";
#if defined(TINYRANK_BENCH_XNNPACK)
    if (!o.xnnpack) {
        xnn_status = "skipped (--no-xnnpack)";
    } else {
        enum xnn_status st = xnn_initialize(NULL);
        xnn_ready = st == xnn_status_success;
        xnn_status = xnn_ready ? "measured (system libXNNPACK; qs8 per-tensor and qc8 per-channel "
                                 "weights, int8 output; single thread)"
                               : "xnn_initialize failed (unsupported hardware?)";
    }
#endif

    /* peak, measured now and again after each shape: it is a maximum, so
     * the best of samples spread over the run is the one least disturbed
     * by other work on the machine */
    const char *peak_status = "no peak loop for this architecture in this build";
    int peak_ok = 0;
#if defined(TINYRANK_BENCH_PEAK_X86)
    peak_ok = cpu_has_avx512vnni();
    peak_status = peak_ok ? "AVX-512 VNNI (vpdpbusd zmm, 24 chains, register only; best over the run)"
                          : "AVX-512 VNNI not supported by this CPU: no peak";
#endif
    if (peak_ok)
        sample_peak(o.min_time, o.runs);
    int amx_peak_ok = 0;
#if defined(TINYRANK_BENCH_PEAK_AMX)
    amx_peak_ok = cpu_amx_usable();
#endif
    if (amx_peak_ok)
        sample_peak_amx(o.min_time, o.runs);

    /* quantization depends on M and K only: time it once per (M, K) */
    shape_result results[NUM_SHAPES];
    memset(results, 0, sizeof results);
    size_t ndone = 0;
    for (size_t i = 0; i < NUM_SHAPES; i++) {
        const shape *s = &shapes[i], *same = NULL;
        if (o.only && strncmp(s->name, o.only, strlen(o.only)) != 0)
            continue;
        for (size_t j = 0; j < ndone && !same; j++)
            if (results[j].s->M == s->M && results[j].s->K == s->K)
                same = results[j].s;
        bench_shape(s, &o, same, &results[ndone++]);
        if (peak_ok)
            sample_peak(o.min_time, 1);
        if (amx_peak_ok)
            sample_peak_amx(o.min_time, 1);
    }
    if (ndone == 0) {
        fprintf(stderr, "bench_gemm: no shape name starts with '%s'\n", o.only);
        return 2;
    }

    char amx[160];
    if (!cpu_has_amx())
        snprintf(amx, sizeof amx, "not supported by this CPU");
    else if (!cpu_amx_usable())
        snprintf(amx, sizeof amx, "present, but not usable (no AMX-INT8, tile state not "
                                  "enabled, or Linux refused the tile data permission)");
    else if (!amx_peak_ok)
        snprintf(amx, sizeof amx, "usable, but this build has no AMX peak loop");
    else
        snprintf(amx, sizeof amx, "peak %.1f GOP/s (tdpbusd, 6 tile chains, register only; "
                                  "best over the run)",
                 peak_amx_gops);
    size_t nk = tr_kernels_count();
    if (o.json) {
        printf("{\"bench\": \"gemm\", \"op\": \"info\", \"date\": \"%s\", \"cpu\": \"%s\", "
               "\"loadavg_1min\": %.2f, \"threads\": 1, \"runs\": %d, \"min_time_s\": %g, "
               "\"kernel_sets\": [",
               date, cpu, load, o.runs, o.min_time);
        for (size_t i = 0; i < nk; i++)
            printf("%s\"%s\"", i ? ", " : "", tr_kernels_at(i)->name);
        printf("], \"xnnpack\": \"%s\", \"peak\": \"%s\"", xnn_status, peak_status);
        json_num("peak_avx512vnni_gops", peak_gops);
        json_num("peak_amx_gops", peak_amx_gops);
        printf(", \"amx\": \"%s\"}\n", amx);
    } else {
        printf("bench_gemm  %s  %s  single thread, best of %d runs of >= %.2f s\n", date, cpu,
               o.runs, o.min_time);
        if (load > 0.5)
            printf("note:        load average %.2f before starting: other work is running, "
                   "numbers will be low and noisy\n",
                   load);
        printf("kernel sets:");
        for (size_t i = 0; i < nk; i++)
            printf(" %s", tr_kernels_at(i)->name);
        printf("\nXNNPACK:     %s\n", xnn_status);
        if (peak_gops > 0)
            printf("peak:        %.1f GOP/s  %s\n", peak_gops, peak_status);
        else
            printf("peak:        %s\n", peak_status);
        printf("AMX:         %s\n", amx);
        printf("columns: GOP/s = 2*M*N*K / time; /xnn-* and /ref = this GOP/s divided by "
               "theirs (>1 = faster); %%peak = of the VNNI peak (amx: of the AMX peak)\n");
    }
    for (size_t i = 0; i < ndone; i++) {
        print_shape(&results[i], &o);
        free_result(&results[i]);
    }

#if defined(TINYRANK_BENCH_XNNPACK)
    if (xnn_ready)
        xnn_deinitialize();
#endif
    return 0;
}
