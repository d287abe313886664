/* test_t5_ops.c - the T5 pieces on their own (no ../shared needed):
 *   - T5's relative position buckets against values worked out by hand from
 *     transformers' T5Attention._relative_position_bucket;
 *   - every relative-bias attention kernel this CPU runs against a naive
 *     double-precision formula, on odd shapes, causal and not;
 *   - the single-row attention of the decoder steps against the formula. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/kernels.h"
#include "kernels/t5_kernels.h"
#include "ops/attention_relative.h"

static void test_buckets(void **state)
{
    (void)state;
    /* bidirectional, 32 buckets (16 a side, 8 exact), max distance 128:
     * large n -> 8 + floor(log(n/8) / log(16) * 8), capped at 15; keys after
     * the query (j - i > 0) add 16 */
    static const struct { int rel, want; } enc[] = {
        {0, 0},    {-1, 1},   {1, 17},   {-7, 7},   {7, 23},   {-8, 8},   {-15, 9},
        {-16, 10}, {-31, 11}, {-32, 12}, {-63, 13}, {-64, 14}, {-127, 15}, {-128, 15},
        {-1000, 15}, {16, 26}, {64, 30}, {1000, 31},
    };
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++)
        if (tr_t5_relative_bucket(enc[i].rel, 32, 128, true) != enc[i].want)
            fail_msg("bidirectional bucket of %d: %d, want %d", enc[i].rel,
                     tr_t5_relative_bucket(enc[i].rel, 32, 128, true), enc[i].want);
    /* causal (decoder), 32 buckets (16 exact): only j <= i counts, n = i - j,
     * large n -> 16 + floor(log(n/16) / log(8) * 16), capped at 31 */
    static const struct { int rel, want; } dec[] = {
        {5, 0}, {0, 0}, {-3, 3}, {-15, 15}, {-16, 16}, {-20, 17}, {-32, 21}, {-64, 26},
        {-127, 31}, {-500, 31},
    };
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++)
        if (tr_t5_relative_bucket(dec[i].rel, 32, 128, false) != dec[i].want)
            fail_msg("causal bucket of %d: %d, want %d", dec[i].rel,
                     tr_t5_relative_bucket(dec[i].rel, 32, 128, false), dec[i].want);
}

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* out_i = sum_j softmax_j(scale q_i.k_j + bias[len-1+j-i]) v_j, in double */
static void naive(size_t len, size_t d, const float *q, const float *k, const float *v, size_t st,
                  float scale, const float *bias, int causal, double *out)
{
    double *p = malloc(len * sizeof(double));
    for (size_t i = 0; i < len; i++) {
        size_t end = causal ? i + 1 : len;
        double mx = -1e300, sum = 0;
        for (size_t j = 0; j < end; j++) {
            double s = 0;
            for (size_t c = 0; c < d; c++)
                s += (double)q[i * st + c] * k[j * st + c];
            p[j] = s * scale + bias[len - 1 + j - i];
            mx = p[j] > mx ? p[j] : mx;
        }
        for (size_t j = 0; j < end; j++)
            sum += p[j] = exp(p[j] - mx);
        for (size_t c = 0; c < d; c++) {
            double acc = 0;
            for (size_t j = 0; j < end; j++)
                acc += p[j] / sum * v[j * st + c];
            out[i * d + c] = acc;
        }
    }
    free(p);
}

static void test_relbias_kernels(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 2, 3, 5, 16, 17, 33, 70};
    static const size_t ds[] = {1, 5, 16, 17, 64, 67};
    unsigned seed = 7;
    for (size_t set = 0; set < tr_kernels_count(); set++) {
        const char *name = tr_kernels_at(set)->name;
        tr_f32_attention_relbias_fn fn = tr_f32_attention_relbias_for(name);
        for (size_t a = 0; a < sizeof lens / sizeof lens[0]; a++)
            for (size_t b = 0; b < sizeof ds / sizeof ds[0]; b++)
                for (int causal = 0; causal < 2; causal++) {
                    const size_t len = lens[a], d = ds[b], st = d + 3; /* strided rows */
                    float *q = malloc(len * st * sizeof(float)), *k = malloc(len * st * sizeof(float));
                    float *v = malloc(len * st * sizeof(float)), *bias = malloc(2 * len * sizeof(float));
                    float *out = malloc(len * st * sizeof(float));
                    float *scratch = malloc(tr_attention_relbias_scratch_floats(len, d) * sizeof(float));
                    double *want = malloc(len * d * sizeof(double));
                    for (size_t i = 0; i < len * st; i++) {
                        q[i] = 2.0f * frand(&seed);
                        k[i] = 2.0f * frand(&seed);
                        v[i] = frand(&seed);
                        out[i] = 12345.0f; /* the stride gaps must stay untouched */
                    }
                    for (size_t i = 0; i + 1 < 2 * len; i++)
                        bias[i] = 3.0f * frand(&seed);
                    naive(len, d, q, k, v, st, 0.7f, bias, causal, want);
                    fn(len, d, q, st, k, st, v, st, 0.7f, bias, causal, out, st, scratch);
                    for (size_t i = 0; i < len; i++) {
                        for (size_t c = 0; c < d; c++)
                            if (!(fabs(out[i * st + c] - want[i * d + c]) <= 2e-5)) /* |v| <= 1 */
                                fail_msg("%s len %zu d %zu causal %d: out[%zu][%zu] %.9g, want %.9g",
                                         name, len, d, causal, i, c, out[i * st + c], want[i * d + c]);
                        for (size_t c = d; c < st; c++)
                            assert_true(out[i * st + c] == 12345.0f);
                    }
                    free(q);
                    free(k);
                    free(v);
                    free(bias);
                    free(out);
                    free(scratch);
                    free(want);
                }
    }
}

static void test_attention_row(void **state)
{
    (void)state;
    unsigned seed = 11;
    const size_t n = 9, d = 7, st = 10;
    float q[7], k[90], v[90], out[7], p[9];
    for (size_t i = 0; i < d; i++)
        q[i] = frand(&seed);
    for (size_t i = 0; i < n * st; i++) {
        k[i] = frand(&seed);
        v[i] = frand(&seed);
    }
    /* rows 8, 0, 3 only (an MVP view over three passages) */
    const uint32_t rows[3] = {8, 0, 3};
    tr_f32_attention_row__ref(3, d, q, k, st, v, st, rows, 1.0f, out, p);
    double s[3], mx = -1e300, sum = 0;
    for (int r = 0; r < 3; r++) {
        s[r] = 0;
        for (size_t c = 0; c < d; c++)
            s[r] += (double)q[c] * k[rows[r] * st + c];
        mx = s[r] > mx ? s[r] : mx;
    }
    for (int r = 0; r < 3; r++)
        sum += s[r] = exp(s[r] - mx);
    for (size_t c = 0; c < d; c++) {
        double want = 0;
        for (int r = 0; r < 3; r++)
            want += s[r] / sum * v[rows[r] * st + c];
        assert_true(fabs(out[c] - want) < 1e-6);
    }
}

/* The load-time check of a relative attention node refuses options and
 * tensors that would index outside the bias table or divide by zero. */
static void test_relative_check(void **state)
{
    (void)state;
    tr_tensor q = {.name = "q", .name_len = 1, .kind = TR_TK_ACTIVATION, .dtype = TR_DT_F32,
                   .ndim = 2, .dims = {TR_DIM_TOKENS, 8}};
    tr_tensor table = {.name = "t", .name_len = 1, .kind = TR_TK_CONSTANT, .dtype = TR_DT_F32,
                       .ndim = 2, .dims = {32, 2}};
    const tr_tensor *in[6] = {&q, &q, &q, &table, NULL, NULL};
    tr_node n = {.code = TR_OP_ATTENTION, .n_in = 4};
    n.opt.attention.num_heads = n.opt.attention.num_kv_heads = 2;
    n.opt.attention.head_dim = 4;
    n.opt.attention.scale = 1.0f;
    n.opt.attention.relative = true;
    n.opt.attention.rel_buckets = 32;
    n.opt.attention.rel_max_distance = 128;
    n.opt.attention.rel_bidirectional = true;
    char msg[256];
    assert_int_equal(tr_attention_relative_check(&n, in, &q, msg, sizeof msg), TINYRANK_OK);
    n.opt.attention.rel_max_distance = 8; /* = the exact range: log(1) = 0 */
    assert_int_equal(tr_attention_relative_check(&n, in, &q, msg, sizeof msg), TINYRANK_ERR_CORRUPT_MODEL);
    n.opt.attention.rel_max_distance = 128;
    n.opt.attention.rel_buckets = 2; /* no exact bucket */
    assert_int_equal(tr_attention_relative_check(&n, in, &q, msg, sizeof msg), TINYRANK_ERR_CORRUPT_MODEL);
    n.opt.attention.rel_buckets = 16; /* the table has 32 rows */
    assert_int_equal(tr_attention_relative_check(&n, in, &q, msg, sizeof msg), TINYRANK_ERR_CORRUPT_MODEL);
    n.opt.attention.rel_buckets = 32;
    table.kind = TR_TK_ACTIVATION;
    assert_int_equal(tr_attention_relative_check(&n, in, &q, msg, sizeof msg), TINYRANK_ERR_CORRUPT_MODEL);
    table.kind = TR_TK_CONSTANT;
    in[3] = NULL;
    assert_int_equal(tr_attention_relative_check(&n, in, &q, msg, sizeof msg), TINYRANK_ERR_CORRUPT_MODEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_relbias_kernels),
        cmocka_unit_test(test_attention_row),
        cmocka_unit_test(test_relative_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
