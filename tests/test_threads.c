/* test_threads.c - the thread pool gives bit-identical scores for every
 * thread count (operators split work into tasks whose sizes do not depend
 * on the thread count), for f32 and int8 models, with every kernel set this
 * CPU runs (the kernels are chosen by TINYRANK_KERNELS in other runs; here
 * the default). Also: pool lifetime and argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/tr_test.h"

#define N_PASSAGES 12

static tr_test_models models;

static int setup(void **state)
{
    (void)state;
    return tr_test_models_make(&models, "--preset tiny --seed 21 --init-std 0.1");
}

static int teardown(void **state)
{
    (void)state;
    tr_test_models_free(&models);
    return 0;
}

static void score_with(const tinyrank_model *m, tinyrank_threadpool *pool, int threads, float *out)
{
    static const char *words[] = {"the", "city", "river", "of", "france", "capital", "a", "water"};
    char *passages[N_PASSAGES];
    for (int i = 0; i < N_PASSAGES; i++) {
        passages[i] = malloc(2048);
        passages[i][0] = 0;
        for (int w = 0; w < 3 + i * 9; w++) {
            strcat(passages[i], words[(i * 7 + w * 3) % 8]);
            strcat(passages[i], " ");
        }
    }
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = 128;
    p.max_batch = 5;
    p.threadpool = pool;
    p.num_threads = threads;
    size_t bytes;
    assert_int_equal(tinyrank_arena_size(m, &p, &bytes), TINYRANK_OK);
    void *arena = malloc(bytes);
    tinyrank_session *s;
    assert_int_equal(tinyrank_session_create(m, &p, arena, bytes, &s), TINYRANK_OK);
    assert_int_equal(tinyrank_score(s, "what is the capital of france", (const char *const *)passages,
                                    N_PASSAGES, out),
                     TINYRANK_OK);
    free(arena);
    for (int i = 0; i < N_PASSAGES; i++)
        free(passages[i]);
}

static void test_bit_identical_for_every_thread_count(void **state)
{
    (void)state;
    for (int mi = 0; mi < 2; mi++) {
        tr_test_model tm;
        assert_int_equal(tr_test_model_open(&tm, models.path[mi]), TINYRANK_OK);
        float base[N_PASSAGES], got[N_PASSAGES];
        score_with(tm.model, NULL, 1, base);
        for (int threads = 1; threads <= 4; threads++) {
            tinyrank_threadpool_storage storage;
            tinyrank_threadpool *pool;
            assert_int_equal(tinyrank_threadpool_create(&storage, threads, &pool), TINYRANK_OK);
            for (int use = 1; use <= threads; use++) {
                score_with(tm.model, pool, use, got);
                if (memcmp(base, got, sizeof base) != 0)
                    fail_msg("%s: scores with %d of %d threads differ from 1 thread",
                             models.path[mi], use, threads);
            }
            /* a pool serves several sessions one after the other */
            score_with(tm.model, pool, 0, got);
            assert_memory_equal(base, got, sizeof base);
            tinyrank_threadpool_destroy(pool);
        }
        printf("%s: identical scores with 1..4 threads\n", mi ? "int8" : "f32");
        tr_test_model_close(&tm);
    }
}

static void test_pool_arguments(void **state)
{
    (void)state;
    tinyrank_threadpool_storage storage;
    tinyrank_threadpool *pool = (tinyrank_threadpool *)&storage;
    assert_int_equal(tinyrank_threadpool_create(&storage, 0, &pool), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_null(pool);
    assert_int_equal(tinyrank_threadpool_create(&storage, TINYRANK_MAX_THREADS + 1, &pool),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_threadpool_create(NULL, 2, &pool), TINYRANK_ERR_INVALID_ARGUMENT);
    tinyrank_threadpool_destroy(NULL); /* harmless */

    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, models.path[1]), TINYRANK_OK);
    assert_int_equal(tinyrank_threadpool_create(&storage, 2, &pool), TINYRANK_OK);
    tinyrank_session_params p = tinyrank_session_params_default();
    size_t bytes;
    p.num_threads = 3; /* more than the pool */
    p.threadpool = pool;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &bytes), TINYRANK_ERR_INVALID_ARGUMENT);
    p.threadpool = NULL; /* threads without a pool */
    p.num_threads = 2;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &bytes), TINYRANK_ERR_INVALID_ARGUMENT);
    p.num_threads = -1;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &bytes), TINYRANK_ERR_INVALID_ARGUMENT);
    /* more threads never need less arena (per-thread attention rows) */
    size_t one, two;
    p.threadpool = pool;
    p.num_threads = 1;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &one), TINYRANK_OK);
    p.num_threads = 2;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &two), TINYRANK_OK);
    assert_true(two >= one);
    tinyrank_threadpool_destroy(pool);
    tr_test_model_close(&tm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_identical_for_every_thread_count),
        cmocka_unit_test(test_pool_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
