/* test_session_api.c - the public session API behaves as tinyrank.h says.
 *
 * A tiny checkpoint (make_checkpoint.py --preset tiny, synthetic English
 * vocabulary) is converted to f32 and int8 by the real converter. Checked:
 *   - tinyrank_arena_size is exact (one byte less is refused; exactly that
 *     many bytes work at every start address modulo 64, with the arena
 *     ending at the end of its allocation so ASan sees any overrun), and
 *     grows with max_length / max_batch; bad parameters are refused;
 *   - batching does not change a single bit of any score (f32 and int8);
 *   - score == score_n; NUL bytes inside texts; empty and blank texts;
 *   - a 5 MB passage is cheap (the tokenizer stops at max_length) and scores
 *     exactly like its first kilobyte; n = 0;
 *   - invalid UTF-8 (../shared/tokenizers/invalid_utf8.bin plus hand-made
 *     strings) is refused, naming the query or the passage index;
 *   - NULL arguments are refused; rerank order, ties, top_k; sigmoid;
 *   - ONLY_SECOND and LONGEST_FIRST split hand-made pairs as transformers'
 *     slow tokenizers do;
 *   - with the real bert-base-uncased vocabulary, tinyrank_tokenize_pair
 *     gives exactly Hugging Face's input_ids / token_type_ids for every
 *     record of bert_uncased.pairs.jsonl (truncation only_second and
 *     longest_first), and scoring the texts equals scoring those ids;
 *   - status strings and the version string. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graph/session.h"
#include "support/qa_fixture.h"
#include "support/tok_fixture.h"
#include "support/tr_test.h"

#define NP 10 /* passages of the batching / rerank tests */

static qa_models g_models;
static tr_test_model g_f32, g_i8;
static int g_ready;

static int setup(void **state)
{
    (void)state;
    if (qa_models_make(&g_models, "") != 0)
        return 0; /* every test then fails on g_ready */
    if (tr_test_model_open(&g_f32, g_models.f32_path) != TINYRANK_OK ||
        tr_test_model_open(&g_i8, g_models.int8_path) != TINYRANK_OK)
        return 0;
    g_ready = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tr_test_model_close(&g_f32);
    tr_test_model_close(&g_i8);
    qa_models_free(&g_models);
    return 0;
}

static const tinyrank_model *model_of(const char *dtype)
{
    assert_true(g_ready);
    return strcmp(dtype, "f32") == 0 ? g_f32.model : g_i8.model;
}

/* A session with an exact-size malloc'd arena; params may be NULL. */
typedef struct sess {
    void *arena;
    tinyrank_session *s;
} sess;

static void sess_open(sess *x, const tinyrank_model *m, const tinyrank_session_params *p)
{
    size_t bytes = 0;
    assert_int_equal(tinyrank_arena_size(m, p, &bytes), TINYRANK_OK);
    assert_true(bytes > 0);
    x->arena = malloc(bytes);
    assert_non_null(x->arena);
    x->s = NULL;
    assert_int_equal(tinyrank_session_create(m, p, x->arena, bytes, &x->s), TINYRANK_OK);
    assert_non_null(x->s);
}

static void sess_open_with(sess *x, const tinyrank_model *m, int max_length, int max_batch)
{
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = max_length;
    p.max_batch = max_batch;
    sess_open(x, m, &p);
}

static void sess_close(sess *x)
{
    free(x->arena);
    memset(x, 0, sizeof *x);
}

static void expect_errmsg(const tinyrank_session *s, const char *needle)
{
    const char *msg = tinyrank_session_errmsg(s);
    assert_non_null(msg);
    if (msg[0] == 0)
        fail_msg("session errmsg is empty after a failure");
    if (needle != NULL && strstr(msg, needle) == NULL)
        fail_msg("session errmsg \"%s\" does not name \"%s\"", msg, needle);
}

/* What session_create leaves in *out on failure: NULL, or a handle that
 * carries the message and that every other call refuses. */
static void expect_failed_handle(tinyrank_session *s, const char *needle)
{
    if (s == NULL)
        return;
    expect_errmsg(s, needle);
    const char *ps[1] = {"water"};
    float sc;
    int32_t ids[8];
    size_t n;
    tinyrank_result r;
    assert_int_equal(tinyrank_score(s, "hot", ps, 1, &sc), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_score_n(s, "hot", 3, ps, &n, 0, &sc), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_rerank(s, "hot", ps, 1, 1, &sc, &r), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_tokenize_pair(s, "a", 1, "b", 1, ids, NULL, 8, &n),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    expect_errmsg(s, needle); /* still the creation's message */
}

static void expect_finite(const float *v, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            fail_msg("%s: score %zu is %g", what, i, (double)v[i]);
}

/* Ten passages of very different lengths (the last ones exceed 64 tokens
 * and are truncated), built from words of the synthetic vocabulary, plus two
 * identical ones for ties. */
static char g_texts[NP][2048];
static const char *g_passages[NP];

static void make_passages(void)
{
    static const char *words[] = {"water", "hot", "time", "people", "word", "little", "place",
                                  "sound", "number", "first"};
    for (int i = 0; i < NP; i++) {
        size_t at = 0, n_words = i == 9 ? 3 : (size_t)(1 + i * i * 2);
        g_texts[i][0] = 0;
        for (size_t w = 0; w < n_words; w++)
            at += (size_t)snprintf(g_texts[i] + at, sizeof g_texts[i] - at, "%s%s", w ? " " : "",
                                   words[(w * 7 + (size_t)i) % 10]);
        g_passages[i] = g_texts[i];
    }
    /* passage 9 repeats passage 3's text: equal scores, a tie for rerank */
    strcpy(g_texts[9], g_texts[3]);
}

static const char *QUERY = "how hot is the water";

/* ---------------------------------------------------------------- arena */

static void run_arena_exact(const char *dtype)
{
    const tinyrank_model *m = model_of(dtype);
    make_passages();
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = 64;
    p.max_batch = 3;
    size_t bytes = 0;
    assert_int_equal(tinyrank_arena_size(m, &p, &bytes), TINYRANK_OK);
    float first[NP];
    for (size_t off = 0; off < 64; off++) {
        /* the arena ends exactly where its allocation ends */
        uint8_t *block = qa_aligned_copy(NULL, off + bytes);
        assert_non_null(block);
        tinyrank_session *s = NULL;
        assert_int_equal(tinyrank_session_create(m, &p, block + off, bytes - 1, &s),
                         TINYRANK_ERR_ARENA_TOO_SMALL);
        expect_failed_handle(s, "bytes");
        assert_int_equal(tinyrank_session_create(m, &p, block + off, bytes, &s), TINYRANK_OK);
        assert_non_null(s);
        float scores[NP];
        assert_int_equal(tinyrank_score(s, QUERY, g_passages, NP, scores), TINYRANK_OK);
        expect_finite(scores, NP, "arena test");
        if (off == 0)
            memcpy(first, scores, sizeof first);
        else if (memcmp(first, scores, sizeof first) != 0)
            fail_msg("%s: scores differ with the arena at offset %zu", dtype, off);
        free(block);
    }

    /* sizes follow the parameters; NULL params = defaults */
    size_t a, b, c, d, dflt, dflt2;
    tinyrank_session_params q = tinyrank_session_params_default();
    q.max_length = 32;
    q.max_batch = 1;
    assert_int_equal(tinyrank_arena_size(m, &q, &a), TINYRANK_OK);
    q.max_length = 64;
    assert_int_equal(tinyrank_arena_size(m, &q, &b), TINYRANK_OK);
    q.max_length = 32;
    q.max_batch = 4;
    assert_int_equal(tinyrank_arena_size(m, &q, &c), TINYRANK_OK);
    q.max_length = 64;
    assert_int_equal(tinyrank_arena_size(m, &q, &d), TINYRANK_OK);
    assert_true(a < b && a < c && b < d && c < d);
    assert_int_equal(tinyrank_arena_size(m, NULL, &dflt), TINYRANK_OK);
    q = tinyrank_session_params_default();
    assert_int_equal(tinyrank_arena_size(m, &q, &dflt2), TINYRANK_OK);
    assert_int_equal(dflt, dflt2);
    printf("%s arena bytes: len32/b1 %zu, len64/b1 %zu, len32/b4 %zu, len64/b4 %zu, default %zu\n",
           dtype, a, b, c, d, dflt);
}

static void test_arena_exact_f32(void **state)
{
    (void)state;
    run_arena_exact("f32");
}

static void test_arena_exact_int8(void **state)
{
    (void)state;
    run_arena_exact("int8");
}

static void expect_bad_params(const tinyrank_model *m, const tinyrank_session_params *p, int want,
                              const char *what)
{
    size_t bytes = 12345;
    int rc = tinyrank_arena_size(m, p, &bytes);
    if (rc != want)
        fail_msg("arena_size with %s: got %s, want %s", what, tinyrank_status_string(rc),
                 tinyrank_status_string(want));
    assert_int_equal(bytes, 0);
    static uint8_t arena[1 << 20];
    tinyrank_session *s = NULL;
    rc = tinyrank_session_create(m, p, arena, sizeof arena, &s);
    if (rc != want)
        fail_msg("session_create with %s: got %s, want %s", what, tinyrank_status_string(rc),
                 tinyrank_status_string(want));
    /* the arena has room: the failed handle must say what was wrong */
    assert_non_null(s);
    expect_failed_handle(s, NULL);
    printf("  %s: %s\n", what, tinyrank_session_errmsg(s));
}

static void test_bad_params(void **state)
{
    (void)state;
    const tinyrank_model *m = model_of("f32");
    tinyrank_model_info info;
    assert_int_equal(tinyrank_model_get_info(m, &info), TINYRANK_OK);
    assert_int_equal(info.max_position, 128); /* --preset tiny */
    tinyrank_session_params p;

    p = tinyrank_session_params_default();
    p.max_batch = 0;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "max_batch 0");
    p = tinyrank_session_params_default();
    p.max_batch = -3;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "max_batch -3");
    p = tinyrank_session_params_default();
    p.max_length = 2;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "max_length 2");
    p = tinyrank_session_params_default();
    p.max_length = -1;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "max_length -1");
    p = tinyrank_session_params_default();
    p.max_length = info.max_position + 1;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "max_length > max_position");
    p = tinyrank_session_params_default();
    p.truncation = 7;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "truncation 7");
    p = tinyrank_session_params_default();
    p.score = 9;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "score 9");
    p = tinyrank_session_params_default();
    p.num_threads = -1;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "num_threads -1");
    /* more than one thread needs a thread pool (tinyrank_threadpool_create,
     * which says TINYRANK_ERR_UNSUPPORTED in builds without threads) */
    p = tinyrank_session_params_default();
    p.num_threads = 2;
    expect_bad_params(m, &p, TINYRANK_ERR_INVALID_ARGUMENT, "num_threads 2 without a pool");

    /* the limits themselves are fine */
    sess x;
    sess_open_with(&x, m, info.max_position, 1);
    sess_close(&x);
    sess_open_with(&x, m, 4, 2);
    float sc[2];
    const char *two[2] = {"water", "hot water is hot"};
    /* 4 tokens leave one for the texts: the query keeps it, the passage none */
    assert_int_equal(tinyrank_score(x.s, QUERY, two, 2, sc), TINYRANK_OK);
    expect_finite(sc, 2, "max_length 4");

    /* a failing call on a live session leaves a message */
    assert_int_equal(tinyrank_score(x.s, NULL, two, 2, sc), TINYRANK_ERR_INVALID_ARGUMENT);
    expect_errmsg(x.s, NULL);
    sess_close(&x);
}

/* ------------------------------------------------------------- batching */

static void run_batching(const char *dtype)
{
    const tinyrank_model *m = model_of(dtype);
    make_passages();
    static const int batches[] = {1, 3, 8};
    float ref[NP], got[NP];
    for (int b = 0; b < 3; b++) {
        sess x;
        sess_open_with(&x, m, 64, batches[b]);
        float *out = b == 0 ? ref : got;
        assert_int_equal(tinyrank_score(x.s, QUERY, g_passages, NP, out), TINYRANK_OK);
        expect_finite(out, NP, dtype);
        if (b > 0 && memcmp(ref, got, sizeof ref) != 0) {
            for (int i = 0; i < NP; i++)
                printf("passage %d: batch 1 %.9g, batch %d %.9g\n", i, (double)ref[i], batches[b],
                       (double)got[i]);
            fail_msg("%s: max_batch %d changes the scores", dtype, batches[b]);
        }
        sess_close(&x);
    }
    /* the scores are not all the same (the passages differ) */
    int distinct = 0;
    for (int i = 1; i < NP; i++)
        distinct += ref[i] != ref[0];
    assert_true(distinct > 0);
    assert_memory_equal(&ref[3], &ref[9], sizeof(float)); /* same text, same score */
}

static void test_batching_f32(void **state)
{
    (void)state;
    run_batching("f32");
}

static void test_batching_int8(void **state)
{
    (void)state;
    run_batching("int8");
}

/* ------------------------------------------------ score_n and odd texts */

static void test_score_n_and_odd_texts(void **state)
{
    (void)state;
    make_passages();
    sess x;
    sess_open_with(&x, model_of("f32"), 64, 4);
    float a[NP], b[NP];
    size_t lens[NP];
    for (int i = 0; i < NP; i++)
        lens[i] = strlen(g_passages[i]);
    assert_int_equal(tinyrank_score(x.s, QUERY, g_passages, NP, a), TINYRANK_OK);
    assert_int_equal(tinyrank_score_n(x.s, QUERY, strlen(QUERY), g_passages, lens, NP, b), TINYRANK_OK);
    assert_memory_equal(a, b, sizeof a);

    /* explicit lengths: a longer buffer cut by its length equals the short text */
    const char *longer[1] = {"water water water and more"};
    size_t five = 5;
    const char *water[1] = {"water"};
    assert_int_equal(tinyrank_score_n(x.s, "hot water!!", 9, longer, &five, 1, a), TINYRANK_OK);
    assert_int_equal(tinyrank_score(x.s, "hot water", water, 1, b), TINYRANK_OK);
    assert_memory_equal(a, b, sizeof(float));

    /* embedded NUL: BERT's cleaning drops NUL (it does not split words), so
     * "hot\0water" reads as "hotwater" and a trailing NUL changes nothing */
    const char *nul[2] = {"hot\0water", "water\0"};
    size_t nul_lens[2] = {9, 6};
    const char *plain[2] = {"hotwater", "water"};
    assert_int_equal(tinyrank_score_n(x.s, "how\0 hot", 8, nul, nul_lens, 2, a), TINYRANK_OK);
    assert_int_equal(tinyrank_score(x.s, "how hot", plain, 2, b), TINYRANK_OK);
    expect_finite(a, 2, "embedded NUL");
    assert_memory_equal(a, b, 2 * sizeof(float));

    /* empty and blank texts */
    const char *odd[4] = {"", "     ", "\t\n \r", "water"};
    assert_int_equal(tinyrank_score(x.s, QUERY, odd, 4, a), TINYRANK_OK);
    expect_finite(a, 4, "empty / blank passages");
    assert_memory_equal(&a[0], &a[1], sizeof(float)); /* both give [CLS] q [SEP] [SEP] */
    assert_memory_equal(&a[0], &a[2], sizeof(float));
    assert_int_equal(tinyrank_score(x.s, "", odd, 4, b), TINYRANK_OK);
    expect_finite(b, 4, "empty query");
    assert_int_equal(tinyrank_score(x.s, "   ", odd, 4, a), TINYRANK_OK);
    assert_memory_equal(a, b, 4 * sizeof(float)); /* a blank query is an empty one */
    sess_close(&x);
}

/* ------------------------------------------------------------ huge input */

static void test_huge_input(void **state)
{
    (void)state;
    const size_t size = (size_t)5 << 20;
    char *big = malloc(size + 1);
    assert_non_null(big);
    static const char unit[] = "hot water time people ";
    for (size_t i = 0; i < size; i++)
        big[i] = unit[i % (sizeof unit - 1)];
    big[size] = 0;
    for (int d = 0; d < 2; d++) {
        const tinyrank_model *m = model_of(d == 0 ? "f32" : "int8");
        sess x;
        sess_open_with(&x, m, 128, 2);
        const char *p[2] = {big, big};
        float huge[2], small[2];
        double t0 = qa_now();
        assert_int_equal(tinyrank_score(x.s, QUERY, p, 2, huge), TINYRANK_OK);
        double dt = qa_now() - t0;
        printf("%s: two 5 MB passages scored in %.3f s\n", d == 0 ? "f32" : "int8", dt);
        /* speed is reported, not asserted (benchmarks/ measure it): the point
         * here is that the tokenizer stops at max_length, checked below */
        expect_finite(huge, 2, "5 MB passage");
        /* truncated to max_length: the same as its first kilobyte */
        size_t kb[2] = {1024, 1024};
        assert_int_equal(tinyrank_score_n(x.s, QUERY, strlen(QUERY), p, kb, 2, small), TINYRANK_OK);
        assert_memory_equal(huge, small, sizeof huge);
        /* and a 5 MB query: cut to the same tokens as its first kilobyte */
        const char *w[1] = {"water"};
        size_t wl[1] = {5};
        assert_int_equal(tinyrank_score(x.s, big, w, 1, huge), TINYRANK_OK);
        expect_finite(huge, 1, "5 MB query");
        assert_int_equal(tinyrank_score_n(x.s, big, 1024, w, wl, 1, small), TINYRANK_OK);
        assert_memory_equal(huge, small, sizeof(float));
        /* n = 0 */
        assert_int_equal(tinyrank_score(x.s, QUERY, p, 0, huge), TINYRANK_OK);
        assert_int_equal(tinyrank_score(x.s, QUERY, NULL, 0, NULL), TINYRANK_OK);
        assert_int_equal(tinyrank_score_n(x.s, QUERY, 3, NULL, NULL, 0, NULL), TINYRANK_OK);
        sess_close(&x);
    }
    free(big);
}

/* ---------------------------------------------------------- invalid UTF-8 */

static void check_invalid(tinyrank_session *s, const char *bad, size_t bad_len, const char *label)
{
    float sc[3] = {0, 0, 0}, again[3];
    const char *ok[3] = {"water", "hot", "time"};
    size_t ok_lens[3] = {5, 3, 4};
    float before[3];
    assert_int_equal(tinyrank_score(s, QUERY, ok, 3, before), TINYRANK_OK);

    /* as the query */
    int rc = tinyrank_score_n(s, bad, bad_len, ok, ok_lens, 3, sc);
    if (rc != TINYRANK_ERR_INVALID_UTF8)
        fail_msg("%s as query: got %s", label, tinyrank_status_string(rc));
    expect_errmsg(s, "query");

    /* as passage 2 of 3 (with max_batch 2: in the second batch) */
    const char *ps[3] = {"water", "hot", bad};
    size_t ls[3] = {5, 3, bad_len};
    rc = tinyrank_score_n(s, QUERY, strlen(QUERY), ps, ls, 3, sc);
    if (rc != TINYRANK_ERR_INVALID_UTF8)
        fail_msg("%s as passage 2: got %s", label, tinyrank_status_string(rc));
    expect_errmsg(s, "passage 2");
    /* as passage 0 */
    ps[0] = bad;
    ls[0] = bad_len;
    ps[2] = "time";
    ls[2] = 4;
    rc = tinyrank_score_n(s, QUERY, strlen(QUERY), ps, ls, 3, sc);
    assert_int_equal(rc, TINYRANK_ERR_INVALID_UTF8);
    expect_errmsg(s, "passage 0");

    /* through tokenize_pair too */
    int32_t ids[128];
    size_t count;
    assert_int_equal(tinyrank_tokenize_pair(s, bad, bad_len, "water", 5, ids, NULL, 128, &count),
                     TINYRANK_ERR_INVALID_UTF8);
    expect_errmsg(s, "query");
    assert_int_equal(tinyrank_tokenize_pair(s, "water", 5, bad, bad_len, ids, NULL, 128, &count),
                     TINYRANK_ERR_INVALID_UTF8);
    expect_errmsg(s, "passage");

    /* the session is unharmed */
    assert_int_equal(tinyrank_score(s, QUERY, ok, 3, again), TINYRANK_OK);
    assert_memory_equal(before, again, sizeof again);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    sess x;
    sess_open_with(&x, model_of("f32"), 32, 2);
    static const struct {
        const char *s;
        size_t len;
    } hand[] = {
        {"\x80", 1},
        {"water \xff", 7},
        {"caf\xe9", 4},                 /* Latin-1 */
        {"end \xc3", 5},                /* truncated 2-byte sequence */
        {"\xe2\x82 water", 8},          /* truncated 3-byte sequence */
        {"\xed\xa0\x80", 3},            /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4},        /* above U+10FFFF */
        {"\xc0\xaf", 2},                /* overlong '/' */
        {"\xc0\x80", 2},                /* overlong NUL */
        {"\xf0\x9f\x98", 3},            /* truncated emoji */
        {"\xf8\x88\x80\x80\x80", 5},    /* 5-byte form */
    };
    for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++) {
        char label[64];
        snprintf(label, sizeof label, "hand-made string %zu", i);
        check_invalid(x.s, hand[i].s, hand[i].len, label);
    }

    /* invalid bytes far beyond the truncation point still count: the whole
     * text is validated */
    size_t n = 20000;
    char *late = malloc(n);
    assert_non_null(late);
    for (size_t i = 0; i < n; i++)
        late[i] = "water "[i % 6];
    late[n - 1] = (char)0xff;
    check_invalid(x.s, late, n, "invalid byte after 20000 valid bytes");
    free(late);

    const char *shared = tr_test_shared();
    if (shared != NULL) {
        char path[1200];
        snprintf(path, sizeof path, "%s/tokenizers/invalid_utf8.bin", shared);
        size_t len;
        char *bin = tr_test_read(path, &len);
        assert_non_null(bin);
        size_t start = 0, lines = 0;
        for (size_t i = 0; i < len; i++) {
            if (bin[i] != '\n')
                continue;
            char label[64];
            snprintf(label, sizeof label, "invalid_utf8.bin line %zu", lines + 1);
            check_invalid(x.s, bin + start, i - start, label);
            lines++;
            start = i + 1;
        }
        assert_int_equal(start, len); /* every line ends with \n */
        assert_int_equal(lines, 10);
        printf("invalid_utf8.bin: %zu lines refused as query and as passage\n", lines);
        free(bin);
    }
    sess_close(&x);
}

/* ---------------------------------------------------------- NULL arguments */

/* A call on a live session that must fail with INVALID_ARGUMENT and leave a
 * message; a successful call first, so that a stale message cannot pass for
 * the new one. */
#define REFUSED(s, call)                                                                           \
    do {                                                                                           \
        const char *ok_[1] = {"water"};                                                            \
        float ok_score_;                                                                           \
        assert_int_equal(tinyrank_score((s), "hot", ok_, 1, &ok_score_), TINYRANK_OK);             \
        assert_int_equal(tinyrank_session_errmsg(s)[0], 0);                                        \
        assert_int_equal((call), TINYRANK_ERR_INVALID_ARGUMENT);                                   \
        if (tinyrank_session_errmsg(s)[0] == 0)                                                    \
            fail_msg("%s failed but left no message in tinyrank_session_errmsg", #call);           \
    } while (0)

static void test_null_arguments(void **state)
{
    (void)state;
    const tinyrank_model *m = model_of("f32");
    sess x;
    sess_open_with(&x, m, 32, 2);
    tinyrank_session *s = x.s;
    const char *ps[2] = {"water", "hot"};
    const char *with_null[2] = {"water", NULL};
    size_t lens[2] = {5, 3};
    float sc[2];
    tinyrank_result res[2];
    int32_t ids[32];
    size_t count, bytes;

    assert_int_equal(tinyrank_score(NULL, QUERY, ps, 2, sc), TINYRANK_ERR_INVALID_ARGUMENT);
    REFUSED(s, tinyrank_score(s, NULL, ps, 2, sc));
    REFUSED(s, tinyrank_score(s, QUERY, NULL, 2, sc));
    REFUSED(s, tinyrank_score(s, QUERY, ps, 2, NULL));
    REFUSED(s, tinyrank_score(s, QUERY, with_null, 2, sc));

    assert_int_equal(tinyrank_score_n(NULL, QUERY, 3, ps, lens, 2, sc), TINYRANK_ERR_INVALID_ARGUMENT);
    REFUSED(s, tinyrank_score_n(s, NULL, 3, ps, lens, 2, sc));
    REFUSED(s, tinyrank_score_n(s, QUERY, 3, NULL, lens, 2, sc));
    REFUSED(s, tinyrank_score_n(s, QUERY, 3, ps, NULL, 2, sc));
    REFUSED(s, tinyrank_score_n(s, QUERY, 3, ps, lens, 2, NULL));
    REFUSED(s, tinyrank_score_n(s, QUERY, 3, with_null, lens, 2, sc));

    assert_int_equal(tinyrank_rerank(NULL, QUERY, ps, 2, 2, sc, res), TINYRANK_ERR_INVALID_ARGUMENT);
    REFUSED(s, tinyrank_rerank(s, NULL, ps, 2, 2, sc, res));
    REFUSED(s, tinyrank_rerank(s, QUERY, NULL, 2, 2, sc, res));
    REFUSED(s, tinyrank_rerank(s, QUERY, ps, 2, 2, NULL, res));
    REFUSED(s, tinyrank_rerank(s, QUERY, ps, 2, 2, sc, NULL));
    REFUSED(s, tinyrank_rerank(s, QUERY, with_null, 2, 2, sc, res));

    assert_int_equal(tinyrank_tokenize_pair(NULL, "a", 1, "b", 1, ids, NULL, 32, &count),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    REFUSED(s, tinyrank_tokenize_pair(s, NULL, 1, "b", 1, ids, NULL, 32, &count));
    REFUSED(s, tinyrank_tokenize_pair(s, "a", 1, NULL, 1, ids, NULL, 32, &count));
    REFUSED(s, tinyrank_tokenize_pair(s, "a", 1, "b", 1, NULL, NULL, 32, &count));
    REFUSED(s, tinyrank_tokenize_pair(s, "a", 1, "b", 1, ids, NULL, 32, NULL));

    assert_int_equal(tinyrank_arena_size(NULL, NULL, &bytes), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_arena_size(m, NULL, NULL), TINYRANK_ERR_INVALID_ARGUMENT);
    tinyrank_session *out;
    static uint8_t arena[1 << 20];
    assert_int_equal(tinyrank_session_create(NULL, NULL, arena, sizeof arena, &out),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_session_create(m, NULL, NULL, sizeof arena, &out),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_session_create(m, NULL, arena, sizeof arena, NULL),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    tinyrank_model_info info;
    assert_int_equal(tinyrank_model_get_info(NULL, &info), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tinyrank_model_get_info(m, NULL), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_non_null(tinyrank_session_errmsg(NULL));
    assert_non_null(tinyrank_model_errmsg(NULL));

    /* a session pointer that is not a session (zeroed memory) is refused */
    static uint8_t zeros[4096] __attribute__((aligned(64)));
    tinyrank_session *fake = (tinyrank_session *)zeros;
    assert_int_equal(tinyrank_score(fake, QUERY, ps, 2, sc), TINYRANK_ERR_INVALID_ARGUMENT);

    /* and after all that, the session still works */
    assert_int_equal(tinyrank_score(s, QUERY, ps, 2, sc), TINYRANK_OK);
    sess_close(&x);
}

/* ---------------------------------------------------------------- rerank */

static void test_rerank(void **state)
{
    (void)state;
    make_passages();
    sess x;
    sess_open_with(&x, model_of("f32"), 64, 3);
    float scores[NP], scratch[NP];
    assert_int_equal(tinyrank_score(x.s, QUERY, g_passages, NP, scores), TINYRANK_OK);
    static const size_t ks[] = {0, 1, 3, NP, NP + 15};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        size_t k = ks[t];
        tinyrank_result res[NP + 1];
        for (size_t i = 0; i <= NP; i++) {
            res[i].index = 999;
            res[i].score = -1234.5f;
        }
        assert_int_equal(tinyrank_rerank(x.s, QUERY, g_passages, NP, k, scratch, res), TINYRANK_OK);
        size_t want = k < NP ? k : NP;
        int seen[NP] = {0};
        for (size_t i = 0; i < want; i++) {
            assert_true(res[i].index < NP);
            assert_false(seen[res[i].index]);
            seen[res[i].index] = 1;
            assert_memory_equal(&res[i].score, &scores[res[i].index], sizeof(float));
            if (i > 0) {
                assert_true(res[i - 1].score >= res[i].score);
                if (res[i - 1].score == res[i].score)
                    assert_true(res[i - 1].index < res[i].index);
            }
        }
        /* nothing is written past min(top_k, n) */
        assert_int_equal(res[want].index, 999);
        /* the k best: every passage left out scores no better than the last
         * kept one (ties: a higher index) */
        for (size_t j = 0; j < NP && want > 0; j++) {
            if (seen[j])
                continue;
            const tinyrank_result *last = &res[want - 1];
            assert_true(scores[j] < last->score || (scores[j] == last->score && j > last->index));
        }
    }
    /* the tie between passages 3 and 9 (same text) comes out 3 first */
    tinyrank_result all[NP];
    assert_int_equal(tinyrank_rerank(x.s, QUERY, g_passages, NP, NP, scratch, all), TINYRANK_OK);
    size_t at3 = NP, at9 = NP;
    for (size_t i = 0; i < NP; i++) {
        if (all[i].index == 3)
            at3 = i;
        if (all[i].index == 9)
            at9 = i;
    }
    assert_true(at3 + 1 == at9);
    /* n = 0 and top_k = 0 with no results array */
    assert_int_equal(tinyrank_rerank(x.s, QUERY, g_passages, 0, 5, NULL, NULL), TINYRANK_OK);
    assert_int_equal(tinyrank_rerank(x.s, QUERY, g_passages, NP, 0, scratch, NULL), TINYRANK_OK);
    sess_close(&x);
}

/* --------------------------------------------------------------- sigmoid */

static void test_sigmoid(void **state)
{
    (void)state;
    make_passages();
    for (int d = 0; d < 2; d++) {
        const tinyrank_model *m = model_of(d == 0 ? "f32" : "int8");
        tinyrank_session_params p = tinyrank_session_params_default();
        p.max_length = 64;
        p.max_batch = 4;
        p.score = TINYRANK_SCORE_RAW;
        sess raw, sig, dflt;
        sess_open(&raw, m, &p);
        p.score = TINYRANK_SCORE_SIGMOID;
        sess_open(&sig, m, &p);
        p.score = TINYRANK_SCORE_MODEL_DEFAULT;
        sess_open(&dflt, m, &p);
        float r[NP], s[NP], md[NP];
        assert_int_equal(tinyrank_score(raw.s, QUERY, g_passages, NP, r), TINYRANK_OK);
        assert_int_equal(tinyrank_score(sig.s, QUERY, g_passages, NP, s), TINYRANK_OK);
        assert_int_equal(tinyrank_score(dflt.s, QUERY, g_passages, NP, md), TINYRANK_OK);
        /* a converted BertForSequenceClassification scores with its logit */
        assert_memory_equal(r, md, sizeof r);
        int spread = 0;
        for (int i = 0; i < NP; i++) {
            double want = 1.0 / (1.0 + exp(-(double)r[i]));
            if (fabs(want - (double)s[i]) > 1e-6)
                fail_msg("sigmoid of %.9g: got %.9g, want %.9g", (double)r[i], (double)s[i], want);
            assert_true(s[i] >= 0.0f && s[i] <= 1.0f);
            spread += fabs((double)r[i]) > 0.01;
        }
        assert_true(spread > 0);
        sess_close(&raw);
        sess_close(&sig);
        sess_close(&dflt);
    }
}

/* ------------------------------------------------ truncation strategies */

/* The reference pairs cannot tell the two strategies apart (their queries
 * are short, and their long first texts exceed max_length alone, where
 * ONLY_SECOND falls back to LONGEST_FIRST by design, see tokenizer/pair.h),
 * so here are pairs that can. Each synthetic-vocabulary word is one token.
 * Expected splits follow transformers' slow truncate_sequences: only_second
 * cuts the end of b; longest_first first cuts the longer text down to the
 * other, then shares the rest, the odd token going to a. */
static void pair_split(tinyrank_session *s, size_t na, size_t nb, size_t *ka, size_t *kb,
                       size_t *total)
{
    char a[1024] = "", b[1024] = "";
    for (size_t i = 0; i < na; i++)
        strcat(a, "water ");
    for (size_t i = 0; i < nb; i++)
        strcat(b, "hot ");
    int32_t ids[256], types[256];
    assert_int_equal(tinyrank_tokenize_pair(s, a, strlen(a), b, strlen(b), ids, types, 256, total),
                     TINYRANK_OK);
    size_t n = *total, t0 = 0, t1 = 0;
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        if (types[i] == 0)
            t0++;
        else
            t1++;
        if (i > 0 && i < n - 1 && ids[i] != ids[1] && ids[i] != ids[n - 2])
            assert_int_equal(ids[i], ids[n - 1]); /* only words and [SEP] inside */
    }
    assert_int_equal(ids[n - 1], ids[t0 - 1]); /* [SEP] closes both parts */
    *ka = t0 - 2; /* [CLS] a [SEP] */
    *kb = t1 - 1; /* b [SEP] */
}

static void test_truncation_rules(void **state)
{
    (void)state;
    const tinyrank_model *m = model_of("f32");
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = 64; /* 61 text tokens */
    size_t ka, kb, n;
    sess only, longest;
    p.truncation = TINYRANK_TRUNCATE_ONLY_SECOND;
    sess_open(&only, m, &p);
    p.truncation = TINYRANK_TRUNCATE_LONGEST_FIRST;
    sess_open(&longest, m, &p);

    pair_split(only.s, 40, 40, &ka, &kb, &n); /* b loses all 19 */
    assert_true(ka == 40 && kb == 21 && n == 64);
    pair_split(longest.s, 40, 40, &ka, &kb, &n); /* 19 shared: a keeps the odd one */
    assert_true(ka == 31 && kb == 30 && n == 64);
    pair_split(longest.s, 50, 20, &ka, &kb, &n); /* 9 excess, all from the longer a */
    assert_true(ka == 41 && kb == 20 && n == 64);
    pair_split(longest.s, 45, 30, &ka, &kb, &n); /* 14: 15 apart, a loses all */
    assert_true(ka == 31 && kb == 30 && n == 64);
    pair_split(only.s, 10, 20, &ka, &kb, &n); /* fits: untouched */
    assert_true(ka == 10 && kb == 20 && n == 33);
    /* a alone too long: ONLY_SECOND never exceeds max_length (documented
     * deviation from Hugging Face), it shares like LONGEST_FIRST */
    pair_split(only.s, 70, 10, &ka, &kb, &n);
    assert_true(ka == 51 && kb == 10 && n == 64);
    sess_close(&only);
    sess_close(&longest);
}

/* -------------------------------------- truncation against Hugging Face */

static void test_truncation_hf(void **state)
{
    (void)state;
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char args[1400], path[1200];
    snprintf(args, sizeof args, "--vocab bert-file '%s/tokenizers/bert-base-uncased/vocab.txt'", shared);
    qa_models bm;
    assert_int_equal(qa_models_make(&bm, args), 0);
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, bm.f32_path), TINYRANK_OK);
    snprintf(path, sizeof path, "%s/tokenizers/bert_uncased.pairs.jsonl", shared);
    tok_jsonl recs;
    assert_int_equal(tok_jsonl_load(&recs, path), 0);
    assert_true(recs.n >= 70);

    size_t checked = 0, truncated = 0, scored = 0;
    for (size_t r = 0; r < recs.n; r++) {
        const tr_json *rec = recs.rec[r];
        const tr_json *a = tr_json_get(rec, "text_a"), *b = tr_json_get(rec, "text_b");
        assert_true(a && a->type == TR_JSON_STRING && b && b->type == TR_JSON_STRING);
        const char *trunc = tr_json_get_string(rec, "truncation", "");
        int max_length = (int)tr_json_get_int(rec, "max_length", 0);
        int32_t *want_ids, *want_types;
        long n = tok_json_ints(tr_json_get(rec, "input_ids"), &want_ids);
        long nt = tok_json_ints(tr_json_get(rec, "token_type_ids"), &want_types);
        assert_true(n > 0 && nt == n);

        tinyrank_session_params p = tinyrank_session_params_default();
        p.max_length = max_length;
        if (strcmp(trunc, "only_second") == 0)
            p.truncation = TINYRANK_TRUNCATE_ONLY_SECOND;
        else if (strcmp(trunc, "longest_first") == 0)
            p.truncation = TINYRANK_TRUNCATE_LONGEST_FIRST;
        else
            fail_msg("record %zu: unknown truncation '%s'", r, trunc);
        sess x;
        sess_open(&x, tm.model, &p);
        int32_t ids[600], types[600];
        size_t count = 0;
        for (size_t i = 0; i < 600; i++)
            ids[i] = types[i] = -7;
        assert_int_equal(tinyrank_tokenize_pair(x.s, a->string, a->len, b->string, b->len, ids, types,
                                                600, &count),
                         TINYRANK_OK);
        if (count != (size_t)n || memcmp(ids, want_ids, (size_t)n * 4) != 0 ||
            memcmp(types, want_types, (size_t)n * 4) != 0) {
            for (size_t i = 0; i < (count > (size_t)n ? count : (size_t)n); i++)
                printf("  %3zu: got %6d/%d  hf %6d/%d\n", i, i < count ? ids[i] : -1,
                       i < count ? types[i] : -1, i < (size_t)n ? want_ids[i] : -1,
                       i < (size_t)n ? want_types[i] : -1);
            fail_msg("record %zu (pair %lld, %s, max_length %d): %zu tokens, Hugging Face %ld",
                     r, tr_json_get_int(rec, "pair", -1), trunc, max_length, count, n);
        }
        assert_int_equal(ids[count], -7); /* nothing written past count */
        checked++;
        truncated += tr_json_get_int(rec, "untruncated_length", 0) > max_length;

        /* a small cap writes cap entries and still reports the length */
        int32_t few[6];
        few[5] = -9;
        size_t count2 = 0;
        assert_int_equal(tinyrank_tokenize_pair(x.s, a->string, a->len, b->string, b->len, few, NULL,
                                                5, &count2),
                         TINYRANK_OK);
        assert_int_equal(count2, count);
        assert_memory_equal(few, want_ids, 5 * sizeof(int32_t));
        assert_int_equal(few[5], -9);

        /* scoring the texts is scoring Hugging Face's ids (every 7th record:
         * the tiny model is still a 30522-row embedding) */
        if (r % 7 == 0) {
            float from_text, from_ids;
            const char *pb[1] = {b->string};
            uint32_t len = (uint32_t)n;
            assert_int_equal(tinyrank_score_n(x.s, a->string, a->len, pb, &b->len, 1, &from_text),
                             TINYRANK_OK);
            assert_int_equal(tr_session_score_sequences(x.s, want_ids, want_types, &len, 1, &from_ids),
                             TINYRANK_OK);
            assert_memory_equal(&from_text, &from_ids, sizeof(float));
            scored++;
        }
        sess_close(&x);
        free(want_ids);
        free(want_types);
    }
    printf("bert_uncased.pairs.jsonl: %zu records match Hugging Face (%zu truncated), %zu scored "
           "from text == from ids\n",
           checked, truncated, scored);
    tok_jsonl_free(&recs);
    tr_test_model_close(&tm);
    qa_models_free(&bm);
}

/* ------------------------------------------------------ strings, version */

static void test_status_and_version(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        {TINYRANK_OK, "TINYRANK_OK"},
        {TINYRANK_ERR_INVALID_ARGUMENT, "TINYRANK_ERR_INVALID_ARGUMENT"},
        {TINYRANK_ERR_CORRUPT_MODEL, "TINYRANK_ERR_CORRUPT_MODEL"},
        {TINYRANK_ERR_VERSION, "TINYRANK_ERR_VERSION"},
        {TINYRANK_ERR_UNSUPPORTED, "TINYRANK_ERR_UNSUPPORTED"},
        {TINYRANK_ERR_ALIGNMENT, "TINYRANK_ERR_ALIGNMENT"},
        {TINYRANK_ERR_ARENA_TOO_SMALL, "TINYRANK_ERR_ARENA_TOO_SMALL"},
        {TINYRANK_ERR_INVALID_UTF8, "TINYRANK_ERR_INVALID_UTF8"},
        {TINYRANK_ERR_INPUT_TOO_LARGE, "TINYRANK_ERR_INPUT_TOO_LARGE"},
        {TINYRANK_ERR_IO, "TINYRANK_ERR_IO"},
        {TINYRANK_ERR_INTERNAL, "TINYRANK_ERR_INTERNAL"},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_string_equal(tinyrank_status_string(codes[i].code), codes[i].name);
    static const int unknown[] = {-1, 11, 1000, -2147483647 - 1};
    for (size_t i = 0; i < 4; i++) {
        const char *s = tinyrank_status_string(unknown[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        for (size_t j = 0; j < sizeof codes / sizeof codes[0]; j++)
            assert_string_not_equal(s, codes[j].name);
    }
    const char *v = tinyrank_version();
    assert_non_null(v);
    int major = -1, minor = -1, patch = -1, end = 0;
    assert_int_equal(sscanf(v, "%d.%d.%d%n", &major, &minor, &patch, &end), 3);
    assert_int_equal((size_t)end, strlen(v));
    assert_int_equal(major, TINYRANK_VERSION_MAJOR);
    assert_int_equal(minor, TINYRANK_VERSION_MINOR);
    assert_int_equal(patch, TINYRANK_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_and_version),
        cmocka_unit_test(test_arena_exact_f32),
        cmocka_unit_test(test_arena_exact_int8),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_batching_f32),
        cmocka_unit_test(test_batching_int8),
        cmocka_unit_test(test_score_n_and_odd_texts),
        cmocka_unit_test(test_huge_input),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_rerank),
        cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_truncation_rules),
        cmocka_unit_test(test_truncation_hf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
