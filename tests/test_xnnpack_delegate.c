/* test_xnnpack_delegate.c - the XNNPACK delegate (platforms/xnnpack):
 *   - it takes the f32 fully connected operators without activation of an
 *     f32 model and the scores stay those of tinyrank's own f32 path (to
 *     2e-5 relative: XNNPACK sums in another order);
 *   - an int8 model keeps its int8 operators on tinyrank's kernels;
 *   - after initialization XNNPACK allocates nothing outside session arenas
 *     (its allocator counts late allocations);
 *   - the arena grows by the packed weights (reported).
 * Skipped, saying so, in builds without XNNPACK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/tr_test.h"

#ifdef TINYRANK_HAVE_XNNPACK
#include "platforms/xnnpack/xnnpack_delegate.h"

#define N_PASSAGES 6
static tr_test_models models;
static const char *passages[N_PASSAGES] = {
    "the capital of france is paris", "a river runs through the city",
    "water is wet and the city is old", "france", "the the the capital capital of of a a",
    "paris is a city on a river and the capital of a country called france"};

static int setup(void **state)
{
    (void)state;
    return tr_test_models_make(&models, "--preset tiny --seed 9 --init-std 0.1");
}

static int teardown(void **state)
{
    (void)state;
    tr_test_models_free(&models);
    return 0;
}

static void score(const tinyrank_model *m, const tinyrank_delegate *dg, float *out, size_t *bytes,
                  size_t *delegated)
{
    const tinyrank_delegate *list[1] = {dg};
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_batch = 4;
    p.delegates = dg ? list : NULL;
    p.num_delegates = dg ? 1 : 0;
    assert_int_equal(tinyrank_arena_size(m, &p, bytes), TINYRANK_OK);
    void *arena = malloc(*bytes);
    tinyrank_session *s;
    assert_int_equal(tinyrank_session_create(m, &p, arena, *bytes, &s), TINYRANK_OK);
    assert_int_equal(tinyrank_score(s, "capital of france", passages, N_PASSAGES, out), TINYRANK_OK);
    *delegated = 0;
    if (dg)
        assert_int_equal(tinyrank_session_delegated_ops(s, 0, delegated), TINYRANK_OK);
    free(arena);
}

static void test_f32_model_runs_on_xnnpack(void **state)
{
    (void)state;
    tinyrank_delegate dg;
    int rc = tinyrank_xnnpack_delegate(&dg);
    if (rc == TINYRANK_ERR_UNSUPPORTED) {
        printf("SKIPPED: XNNPACK does not support this CPU\n");
        skip();
    }
    assert_int_equal(rc, TINYRANK_OK);
    unsigned long late0 = tr_xnnpack_late_allocations();
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[0]), TINYRANK_OK);
    float cpu[N_PASSAGES], xnn[N_PASSAGES];
    size_t b_cpu, b_xnn, n_cpu, n_xnn;
    score(tm.model, NULL, cpu, &b_cpu, &n_cpu);
    score(tm.model, &dg, xnn, &b_xnn, &n_xnn);
    /* the operators without a fused activation: layer 0's fused q|k|v,
     * attention output and FFN output; the last layer's fused k|v, its
     * first-row q, attention output and FFN output; the classifier */
    assert_int_equal(n_xnn, 8);
    for (int i = 0; i < N_PASSAGES; i++) {
        float tol = 2e-5f * (1.0f + (cpu[i] < 0 ? -cpu[i] : cpu[i]));
        if (!(cpu[i] - xnn[i] <= tol && xnn[i] - cpu[i] <= tol))
            fail_msg("passage %d: tinyrank %.9g, xnnpack %.9g", i, cpu[i], xnn[i]);
    }
    assert_int_equal(tr_xnnpack_late_allocations(), late0);
    printf("xnnpack ran %zu operators; arena %zu -> %zu bytes (packed weights in the arena)\n", n_xnn,
           b_cpu, b_xnn);
    tr_test_model_close(&tm);
}

static void test_int8_model_keeps_own_kernels(void **state)
{
    (void)state;
    tinyrank_delegate dg;
    if (tinyrank_xnnpack_delegate(&dg) != TINYRANK_OK) {
        printf("SKIPPED: XNNPACK does not support this CPU\n");
        skip();
    }
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[1]), TINYRANK_OK);
    float cpu[N_PASSAGES], xnn[N_PASSAGES];
    size_t b_cpu, b_xnn, n_cpu, n_xnn;
    score(tm.model, NULL, cpu, &b_cpu, &n_cpu);
    score(tm.model, &dg, xnn, &b_xnn, &n_xnn);
    assert_true(n_xnn <= 1); /* at most the f32 classifier */
    for (int i = 0; i < N_PASSAGES; i++)
        assert_float_equal(cpu[i], xnn[i], 2e-5 * (1.0 + (cpu[i] < 0 ? -cpu[i] : cpu[i])));
    tr_test_model_close(&tm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_model_runs_on_xnnpack),
        cmocka_unit_test(test_int8_model_keeps_own_kernels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
#else
static void test_not_built(void **state)
{
    (void)state;
    printf("SKIPPED: the XNNPACK delegate is not built (install libxnnpack-dev libpthreadpool-dev)\n");
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_not_built)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
