/* test_delegate.c - the delegate interface (include/tinyrank.h,
 * runtime/graph/delegate.c): a test delegate written here in plain C claims
 * the f32 fully connected operators without activation and computes them
 * itself from the weights the runtime describes. Checked:
 *   - claimed operators run on the delegate (tinyrank_session_delegated_ops,
 *     and the delegate's own eval counter), the others on the CPU, and the
 *     scores equal the CPU-only session's to 1e-5;
 *   - each claim gets its slice of the session arena: tinyrank_arena_size
 *     grows by the claimed bytes, and prepare sees 64-byte aligned, disjoint
 *     slices inside the arena;
 *   - a delegate whose prepare fails leaves the CPU path intact (same scores);
 *   - a delegate whose eval fails makes the call fail with a message naming it;
 *   - int8 weights are described (packed N16K4, one scale per output
 *     channel) and declined by this delegate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/tr_test.h"

#define N_PASSAGES 5

typedef struct fc_state {
    const float *w, *b;
    size_t k, n;
} fc_state;

typedef struct test_delegate {
    int claims, prepares, evals;
    int fail_prepare, fail_eval;
    int saw_int8_packed;
    uintptr_t arena_lo, arena_hi; /* the caller's arena */
    uintptr_t last_slice_end;
    int slices_ok;
} test_delegate;

static int td_claim(void *user, const tinyrank_node_desc *d, size_t *bytes)
{
    test_delegate *t = user;
    if (d->op != TINYRANK_OP_FULLY_CONNECTED)
        return 0;
    const tinyrank_tensor_desc *w = &d->inputs[1];
    if (w->dtype == TINYRANK_DTYPE_I8) {
        t->saw_int8_packed |= w->packed == 1 && w->num_scales == (uint32_t)w->dims[0];
        return 0;
    }
    if (w->dtype != TINYRANK_DTYPE_F32 || d->activation != TINYRANK_ACT_NONE || w->data == NULL)
        return 0;
    t->claims++;
    *bytes = sizeof(fc_state) + 100; /* odd on purpose: slices are aligned by the runtime */
    return 1;
}

static int td_prepare(void *user, const tinyrank_node_desc *d, void *arena, size_t bytes, void **state)
{
    test_delegate *t = user;
    uintptr_t a = (uintptr_t)arena;
    if (a % 64 != 0 || bytes < sizeof(fc_state) || a < t->arena_lo || a + bytes > t->arena_hi ||
        a < t->last_slice_end)
        t->slices_ok = 0;
    t->last_slice_end = a + bytes;
    t->prepares++;
    if (t->fail_prepare)
        return 1;
    fc_state *st = arena;
    st->w = d->inputs[1].data;
    st->b = d->num_inputs > 2 && d->inputs[2].ndim == 1 ? d->inputs[2].data : NULL;
    st->n = (size_t)d->inputs[1].dims[0];
    st->k = (size_t)d->inputs[1].dims[1];
    *state = st;
    return 0;
}

static int td_eval(void *user, void *state, const void *const *inputs, void *output, size_t rows)
{
    test_delegate *t = user;
    const fc_state *st = state;
    t->evals++;
    if (t->fail_eval)
        return 1;
    const float *x = inputs[0];
    float *y = output;
    for (size_t r = 0; r < rows; r++)
        for (size_t n = 0; n < st->n; n++) {
            double acc = st->b ? st->b[n] : 0.0;
            for (size_t k = 0; k < st->k; k++)
                acc += (double)x[r * st->k + k] * st->w[n * st->k + k];
            y[r * st->n + n] = (float)acc;
        }
    return 0;
}

static tr_test_models models;
static const char *passages[N_PASSAGES] = {
    "the capital of france is paris", "a river runs through the city",
    "water is wet and the city is old", "france", "the the the capital capital of of a a"};

static int setup(void **state)
{
    (void)state;
    return tr_test_models_make(&models, "--preset tiny --seed 5 --init-std 0.1");
}

static int teardown(void **state)
{
    (void)state;
    tr_test_models_free(&models);
    return 0;
}

/* Scores the passages with the given delegates; returns the status of the
 * score call, arena bytes in *bytes and the ops run by delegate 0. */
static int score_with(const tinyrank_model *m, const tinyrank_delegate *const *dg, int n_dg,
                      test_delegate *td, float *scores, size_t *bytes, size_t *delegated,
                      char *msg, size_t msglen)
{
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_batch = 2;
    p.delegates = dg;
    p.num_delegates = n_dg;
    assert_int_equal(tinyrank_arena_size(m, &p, bytes), TINYRANK_OK);
    void *arena = malloc(*bytes);
    assert_non_null(arena);
    if (td != NULL) {
        td->arena_lo = (uintptr_t)arena;
        td->arena_hi = (uintptr_t)arena + *bytes;
        td->last_slice_end = 0;
        td->slices_ok = 1;
    }
    tinyrank_session *s;
    assert_int_equal(tinyrank_session_create(m, &p, arena, *bytes, &s), TINYRANK_OK);
    int rc = tinyrank_score(s, "capital of france", passages, N_PASSAGES, scores);
    snprintf(msg, msglen, "%s", tinyrank_session_errmsg(s));
    *delegated = 0;
    if (n_dg > 0)
        assert_int_equal(tinyrank_session_delegated_ops(s, 0, delegated), TINYRANK_OK);
    free(arena);
    return rc;
}

static void test_delegate_runs_claimed_ops(void **state)
{
    (void)state;
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[0]), TINYRANK_OK);
    float cpu[N_PASSAGES], del[N_PASSAGES];
    size_t cpu_bytes, del_bytes, n_cpu, n_del;
    char msg[256];
    assert_int_equal(score_with(tm.model, NULL, 0, NULL, cpu, &cpu_bytes, &n_cpu, msg, sizeof msg),
                     TINYRANK_OK);

    test_delegate td = {0};
    tinyrank_delegate d = {"test", &td, td_claim, td_prepare, td_eval};
    const tinyrank_delegate *list[1] = {&d};
    assert_int_equal(score_with(tm.model, list, 1, &td, del, &del_bytes, &n_del, msg, sizeof msg),
                     TINYRANK_OK);
    /* the tiny BERT has attention q/k/v/o and FFN-down projections without
     * activation in each layer, plus the pooler-free classifier */
    assert_true(td.claims > 0);
    assert_int_equal((size_t)td.prepares, n_del);
    assert_true(n_del > 0);
    assert_true(td.evals > 0);
    assert_true(td.slices_ok);
    /* tinyrank_arena_size asked the same questions, and each claim got an
     * aligned slice of sizeof(fc_state) + 100 bytes */
    size_t slice = (sizeof(fc_state) + 100 + 63) & ~(size_t)63;
    assert_true(del_bytes >= cpu_bytes + n_del * slice);
    /* the claims are asked again each time the arena is sized, then once
     * more to assign: the same nodes every time */
    assert_int_equal((size_t)td.claims % n_del, 0);
    assert_true((size_t)td.claims >= 2 * n_del);
    for (int i = 0; i < N_PASSAGES; i++)
        assert_float_equal(cpu[i], del[i], 1e-5);
    printf("delegate ran %zu operators; arena %zu -> %zu bytes\n", n_del, cpu_bytes, del_bytes);
    tr_test_model_close(&tm);
}

static void test_failed_prepare_falls_back(void **state)
{
    (void)state;
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[0]), TINYRANK_OK);
    float cpu[N_PASSAGES], del[N_PASSAGES];
    size_t b1, b2, n1, n2;
    char msg[256];
    assert_int_equal(score_with(tm.model, NULL, 0, NULL, cpu, &b1, &n1, msg, sizeof msg), TINYRANK_OK);
    test_delegate td = {0};
    td.fail_prepare = 1;
    tinyrank_delegate d = {"test", &td, td_claim, td_prepare, td_eval};
    const tinyrank_delegate *list[1] = {&d};
    assert_int_equal(score_with(tm.model, list, 1, &td, del, &b2, &n2, msg, sizeof msg), TINYRANK_OK);
    assert_true(td.prepares > 0);
    assert_int_equal(n2, 0);
    assert_int_equal(td.evals, 0);
    for (int i = 0; i < N_PASSAGES; i++)
        assert_float_equal(cpu[i], del[i], 0.0f); /* the very same CPU path */
    tr_test_model_close(&tm);
}

static void test_failed_eval_is_reported(void **state)
{
    (void)state;
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[0]), TINYRANK_OK);
    float del[N_PASSAGES];
    size_t b, n;
    char msg[256];
    test_delegate td = {0};
    td.fail_eval = 1;
    tinyrank_delegate d = {"flaky-npu", &td, td_claim, td_prepare, td_eval};
    const tinyrank_delegate *list[1] = {&d};
    assert_int_equal(score_with(tm.model, list, 1, &td, del, &b, &n, msg, sizeof msg),
                     TINYRANK_ERR_INTERNAL);
    assert_non_null(strstr(msg, "flaky-npu"));
    tr_test_model_close(&tm);
}

static void test_int8_weights_described(void **state)
{
    (void)state;
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[1]), TINYRANK_OK);
    float del[N_PASSAGES];
    size_t b, n;
    char msg[256];
    test_delegate td = {0};
    tinyrank_delegate d = {"test", &td, td_claim, td_prepare, td_eval};
    const tinyrank_delegate *list[1] = {&d};
    assert_int_equal(score_with(tm.model, list, 1, &td, del, &b, &n, msg, sizeof msg), TINYRANK_OK);
    assert_true(td.saw_int8_packed);
    /* only the f32 weights left in an int8 model (the classifier) are taken */
    assert_int_equal((size_t)td.prepares, n);
    assert_true(n <= 1);
    tr_test_model_close(&tm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delegate_runs_claimed_ops),
        cmocka_unit_test(test_failed_prepare_falls_back),
        cmocka_unit_test(test_failed_eval_is_reported),
        cmocka_unit_test(test_int8_weights_described),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
