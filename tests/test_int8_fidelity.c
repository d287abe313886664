/* test_int8_fidelity.c - the int8 path ranks like the f32 path.
 *
 * The golden checkpoints' random classifiers spread scores by only ~1e-3,
 * too little to judge ranking; so this test generates its own checkpoint
 * (TinyBERT-L2 shape, a classifier with std 1.0 so scores spread widely),
 * converts it to f32 and int8, scores one query against 120 passages of
 * varied length (weights with std 0.1, not 0.02, so that the [CLS] vector
 * depends on the input), and requires Spearman >= 0.99 between the two rankings. It
 * prints the score errors so they can be followed over time. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/tr_test.h"

#define N_PASSAGES 120

static const char *words[] = {
    "the", "of", "and", "to", "in", "is", "was", "for", "that", "on", "with", "as", "by", "at",
    "from", "water", "city", "people", "time", "year", "world", "house", "school", "music",
    "river", "history", "system", "number", "family", "energy", "health", "market", "science",
    "cell", "blood", "light", "law", "war", "food", "money", "company", "government", "weather",
    "france", "paris", "capital", "animal", "plant", "body", "heart", "computer", "language",
};

static char *make_passage(unsigned *seed, size_t n_words)
{
    char *p = malloc(n_words * 16 + 1);
    size_t at = 0;
    for (size_t i = 0; i < n_words; i++) {
        *seed = *seed * 1103515245u + 12345u;
        const char *w = words[(*seed >> 16) % (sizeof words / sizeof *words)];
        at += (size_t)sprintf(p + at, i ? " %s" : "%s", w);
    }
    p[at] = 0;
    return p;
}

static void score_file(const char *path, const char *query, const char *const *passages, float *out)
{
    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, path), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, 128, 8), TINYRANK_OK);
    assert_int_equal(tinyrank_score(ts.session, query, passages, N_PASSAGES, out), TINYRANK_OK);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
}

static void test_int8_ranks_like_f32(void **state)
{
    (void)state;
    char *tmp = tr_test_mkdtemp();
    char ck[1200], f32[1200], i8[1200];
    snprintf(ck, sizeof ck, "%s/ckpt", tmp);
    snprintf(f32, sizeof f32, "%s/f32.trk", tmp);
    snprintf(i8, sizeof i8, "%s/int8.trk", tmp);
    assert_int_equal(tr_test_make_checkpoint(ck, "--preset tinybert-l2 --seed 11 --classifier-std 1.0 --init-std 0.1"), 0);
    assert_int_equal(tr_test_convert(ck, f32, "f32"), TINYRANK_OK);
    assert_int_equal(tr_test_convert(ck, i8, "int8"), TINYRANK_OK);

    unsigned seed = 42;
    char *passages[N_PASSAGES];
    for (size_t i = 0; i < N_PASSAGES; i++)
        passages[i] = make_passage(&seed, 3 + (i * 7) % 110);
    const char *query = "what is the capital of france";
    float a[N_PASSAGES], b[N_PASSAGES];
    score_file(f32, query, (const char *const *)passages, a);
    score_file(i8, query, (const char *const *)passages, b);

    double lo = a[0], hi = a[0], worst = 0, mean = 0;
    for (size_t i = 0; i < N_PASSAGES; i++) {
        lo = fmin(lo, a[i]);
        hi = fmax(hi, a[i]);
        double e = fabs((double)a[i] - b[i]);
        worst = fmax(worst, e);
        mean += e / N_PASSAGES;
    }
    double rho = tr_test_spearman(a, b, N_PASSAGES);
    printf("f32 score spread %.4f (min %.4f max %.4f); int8 |error| mean %.4g max %.4g; "
           "Spearman %.5f over %d passages\n",
           hi - lo, lo, hi, mean, worst, rho, N_PASSAGES);
    assert_true(hi - lo > 0.5); /* the spread is wide enough to mean something */
    assert_true(rho >= 0.99);
    assert_true(worst < 0.1 * (hi - lo)); /* bounded: measured 0.26 on a 5.5 spread */
    for (size_t i = 0; i < N_PASSAGES; i++)
        free(passages[i]);
    tr_test_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int8_ranks_like_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
