/* test_ndcg.c - the CLI's nDCG@10 is trec_eval's: hand-computed cases, the
 * run order and averaging rules, and (with ../shared) the BM25 run of TREC
 * DL19 scoring the published 0.5058.
 *
 * The metric lives in the CLI (converter/cli/, not part of any library), so
 * its sources are compiled into this test directly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "converter/eval/eval_data.h"
#include "converter/eval/ndcg.h"
#include "converter/eval/qrels.h"

#define TOL 1e-4

/* The classic worked example (Järvelin & Kekäläinen style, as on the
 * nDCG Wikipedia page): grades 3,2,3,0,1,2 retrieved; the judged pool also
 * holds a 3, a 2, a 1 and zeros not retrieved.
 * DCG  = 3 + 2/log2(3) + 3/2 + 0 + 1/log2(6) + 2/log2(7)      = 6.8611
 * IDCG = 3 + 3/log2(3) + 3/2 + 2/log2(5) + 2/log2(6) + 2/log2(7) = 8.7403
 * nDCG@6 = 0.7850 */
static void test_worked_example(void **state)
{
    (void)state;
    const int ranked[] = {3, 2, 3, 0, 1, 2};
    const int judged[] = {0, 3, 2, 3, 0, 1, 2, 3, 2, 1, 0};
    assert_true(fabs(tr_ndcg_at_k(ranked, 6, judged, 11, 6) - 0.7850) < TOL);
    /* k = 1: 3 / 3 */
    assert_true(fabs(tr_ndcg_at_k(ranked, 6, judged, 11, 1) - 1.0) < 1e-12);
}

static void test_cutoff_and_unjudged(void **state)
{
    (void)state;
    const int ranked[] = {0, -1, 1};
    const int judged[] = {1};
    /* The only relevant document is at rank 3: beyond k = 2. */
    assert_true(tr_ndcg_at_k(ranked, 3, judged, 1, 2) == 0.0);
    /* At k = 3: (1/log2(4)) / 1 = 0.5 */
    assert_true(fabs(tr_ndcg_at_k(ranked, 3, judged, 1, 3) - 0.5) < 1e-12);
    /* Fewer documents than k: the ideal still uses every judged document.
     * ranked {1}, judged {2, 1}: 1 / (2 + 1/log2(3)) = 0.38009 */
    const int r2[] = {1};
    const int j2[] = {2, 1};
    assert_true(fabs(tr_ndcg_at_k(r2, 1, j2, 2, 10) - 0.38009) < TOL);
    /* No relevant judged document: trec_eval reports 0. */
    const int j3[] = {0, 0, -1};
    assert_true(tr_ndcg_at_k(r2, 1, j3, 3, 10) == 0.0);
    assert_true(tr_ndcg_at_k(NULL, 0, j2, 2, 10) == 0.0);
}

static void test_run_sort_like_trec_eval(void **state)
{
    (void)state;
    /* Score decides; equal scores put the larger docid (strcmp) first,
     * whatever the input order or the given rank. */
    tr_run_entry run[] = {{"a", 1.0}, {"c", 2.0}, {"b", 1.0}, {"10", 1.0}, {"9", 1.0}};
    tr_run_sort(run, 5);
    const char *want[] = {"c", "b", "a", "9", "10"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(run[i].docid, want[i]);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Small files end to end: qrels parsing, lookups, and the mean over the
 * queries present in both (q3 has no judgments: left out of the mean). */
static void test_mean_over_judged_queries(void **state)
{
    (void)state;
    char dir[] = "/tmp/tr_ndcg_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char qpath[64], dpath[64], err[256];
    snprintf(qpath, sizeof qpath, "%s/qrels.txt", dir);
    snprintf(dpath, sizeof dpath, "%s/run.json", dir);
    write_file(qpath, "1 0 d1 2\n1 0 d2 0\r\n\n1 0 d9 1\n2 Q0 x 1\n");
    write_file(dpath,
               "[{\"query\": \"one\", \"hits\": ["
               "{\"content\": \"a\", \"qid\": 1, \"docid\": \"d2\", \"rank\": 1, \"score\": 3},"
               "{\"content\": \"b\", \"qid\": 1, \"docid\": \"d1\", \"rank\": 2, \"score\": 2}]},"
               "{\"query\": \"two\", \"hits\": ["
               "{\"content\": \"c\", \"qid\": \"2\", \"docid\": 7, \"rank\": 1, \"score\": 1},"
               "{\"content\": \"d\", \"qid\": \"2\", \"docid\": \"x\", \"rank\": 2, \"score\": 0}]},"
               "{\"query\": \"three\", \"hits\": ["
               "{\"content\": \"e\", \"qid\": 3, \"docid\": \"z\", \"rank\": 1, \"score\": 1}]}]");
    tr_qrels q;
    assert_int_equal(tr_qrels_load(qpath, &q, err, sizeof err), 0);
    assert_int_equal(q.count, 4);
    size_t first = 0;
    assert_int_equal(tr_qrels_query(&q, "1", &first), 3);
    assert_int_equal(tr_qrels_grade(&q, first, 3, "d9"), 1);
    assert_int_equal(tr_qrels_grade(&q, first, 3, "x"), -1);
    assert_int_equal(tr_qrels_query(&q, "3", &first), 0);

    tr_eval_data d;
    assert_int_equal(tr_eval_data_load(dpath, &d, err, sizeof err), 0);
    assert_int_equal(d.num_queries, 3);
    assert_string_equal(d.queries[1].hits[0].docid, "7");

    /* First-stage order:
     * q1: d2(0), d1(2): DCG = 2/log2(3); IDCG = 2 + 1/log2(3) -> 0.4796
     * q2: 7(unjudged), x(1): DCG = 1/log2(3); IDCG = 1       -> 0.6309 */
    size_t nq = 0;
    double m = tr_ndcg_mean(&d, &q, NULL, 0, 10, &nq);
    assert_int_equal(nq, 2);
    assert_true(fabs(m - (0.47962 + 0.63093) / 2) < TOL);

    /* Reranker scores flip both queries: q1 d1 first -> (2 + 0)/IDCG = 0.7602,
     * q2 x first -> 1. Depth 1 would only keep the first hit of each. */
    const float s1[] = {0.f, 5.f}, s2[] = {0.f, 5.f}, s3[] = {1.f};
    const float *const scores[] = {s1, s2, s3};
    m = tr_ndcg_mean(&d, &q, scores, 100, 10, &nq);
    assert_true(fabs(m - (0.76018 + 1.0) / 2) < TOL);
    m = tr_ndcg_mean(&d, &q, scores, 1, 10, &nq);
    assert_true(fabs(m - (0.0 + 0.0) / 2) < TOL);

    /* A duplicate judgment is refused, as trec_eval does. */
    tr_qrels bad;
    write_file(qpath, "1 0 d1 2\n1 0 d1 1\n");
    assert_int_not_equal(tr_qrels_load(qpath, &bad, err, sizeof err), 0);
    assert_non_null(strstr(err, "twice"));
    write_file(qpath, "1 0 d1\n");
    assert_int_not_equal(tr_qrels_load(qpath, &bad, err, sizeof err), 0);
    assert_non_null(strstr(err, ":1:"));

    tr_eval_data_free(&d);
    tr_qrels_free(&q);
    unlink(qpath);
    unlink(dpath);
    rmdir(dir);
}

static const char *shared_dir(char *buf, size_t len)
{
    /* ctest sets TINYRANK_SHARED; by hand, fall back to ../shared next to
     * the source folder. */
    const char *env = getenv("TINYRANK_SHARED");
    const char *src = getenv("TINYRANK_SOURCE_DIR");
    if (env && *env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/../shared", src && *src ? src : ".");
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

/* The check given with the data (/work/shared/data/trec-dl19/README.md):
 * the BM25 order itself scores nDCG@10 = 0.5058 with trec_eval. */
static void test_dl19_bm25(void **state)
{
    (void)state;
    char shared[1024];
    if (!shared_dir(shared, sizeof shared)) {
        print_message("SKIPPED: ../shared not found (set TINYRANK_SHARED)\n");
        skip();
    }
    char qpath[1200], dpath[1200], err[512];
    snprintf(qpath, sizeof qpath, "%s/data/trec-dl19/qrels.dl19-passage.txt", shared);
    snprintf(dpath, sizeof dpath, "%s/data/trec-dl19/dl19_bm25_top100.json", shared);
    tr_qrels q;
    tr_eval_data d;
    int st = tr_qrels_load(qpath, &q, err, sizeof err);
    if (st != 0)
        fail_msg("%s", err);
    st = tr_eval_data_load(dpath, &d, err, sizeof err);
    if (st != 0)
        fail_msg("%s", err);
    assert_int_equal(d.num_queries, 43);
    size_t nq = 0;
    double m = tr_ndcg_mean(&d, &q, NULL, 100, 10, &nq);
    assert_int_equal(nq, 43);
    print_message("DL19 BM25 nDCG@10 = %.6f over %zu queries\n", m, nq);
    assert_true(fabs(m - 0.5058) < 0.00005);
    tr_eval_data_free(&d);
    tr_qrels_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_cutoff_and_unjudged),
        cmocka_unit_test(test_run_sort_like_trec_eval),
        cmocka_unit_test(test_mean_over_judged_queries),
        cmocka_unit_test(test_dl19_bm25),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
