/* test_qwen_model.c - decoder rerankers through the public API, without
 * ../shared: a generated Qwen3-shaped checkpoint (tests/tools/
 * make_checkpoint.py, synthetic byte-level tokenizer) converted by the real
 * converter, then
 *   - the text path (template, tokenizer, packing): scores with the shared
 *     prefix reused equal the recomputed ones (1e-5), for batches of every
 *     size, and one call equals one call per passage;
 *   - a custom template file (docs/TEMPLATES.md): its fixed ids, texts and
 *     placeholders give the sequence the format describes, its score kind
 *     and tokens are used, and malformed template files are refused with a
 *     message; so are unsupported configs;
 *   - bad input gives a status and a message, never a crash: an arena one
 *     byte short, a sequence over max_length, invalid UTF-8, a token id
 *     outside the embedding, and model bytes corrupted at random (run under
 *     ASan/UBSan in CI). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "converter/convert.h"
#include "graph/session.h"
#include "support/tr_test.h"

static char *tmp_dir;
static char model_path[1200];

static int setup(void **state)
{
    (void)state;
    tmp_dir = tr_test_mkdtemp();
    if (tmp_dir == NULL ||
        tr_test_make_checkpoint(tmp_dir, "--preset qwen3-tiny --init-std 0.05 --seed 5") != 0)
        return -1;
    snprintf(model_path, sizeof model_path, "%s/m.trk", tmp_dir);
    return tr_test_convert(tmp_dir, model_path, "f32") == TINYRANK_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tr_test_rmtree(tmp_dir);
    free(tmp_dir);
    return 0;
}

static const char *const passages[] = {
    "the cat sat on the mat and looked at the door",
    "stocks fell sharply today after the report",
    "a cat is a small animal that likes to sleep",
    "yes",
    "rain is expected in the north for most of the week, with snow above a thousand metres",
    "cats and dogs",
    "the report said nothing about cats",
};
#define N_P (sizeof passages / sizeof passages[0])
static const char query[] = "where does the cat sleep";

static void score_text(const tr_test_model *tm, int batch, bool reuse, float *out, size_t *cached)
{
    tr_test_session ts;
    /* the synthetic tokenizer has few merges: the prompt is ~250 tokens */
    assert_int_equal(tr_test_session_open(&ts, tm->model, 512, batch), TINYRANK_OK);
    tr_session_set_prefix_reuse(ts.session, reuse);
    int rc = tinyrank_score(ts.session, query, passages, N_P, out);
    if (rc != TINYRANK_OK)
        fail_msg("score: %s: %s", tinyrank_status_string(rc), tinyrank_session_errmsg(ts.session));
    *cached = ts.session->cache_len;
    tr_test_session_close(&ts);
}

static void test_text_path_prefix_reuse(void **state)
{
    (void)state;
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, model_path), TINYRANK_OK);
    float ref[N_P], got[N_P];
    size_t cached;
    score_text(&tm, (int)N_P, false, ref, &cached);
    assert_int_equal(cached, 0);
    for (size_t i = 0; i < N_P; i++)
        assert_true(isfinite(ref[i]) && ref[i] >= 0.0f && ref[i] <= 1.0f); /* p(yes) */
    const int batches[] = {(int)N_P, 4, 2, 1};
    for (int b = 0; b < 4; b++) {
        score_text(&tm, batches[b], true, got, &cached);
        assert_true(cached > 0);
        for (size_t i = 0; i < N_P; i++)
            if (fabsf(got[i] - ref[i]) > 1e-5f)
                fail_msg("batch %d passage %zu: reuse %.9g, recompute %.9g", batches[b], i, got[i],
                         ref[i]);
    }
    /* one passage per call on one session: the cache of the previous call
     * serves the next one's common part */
    tr_test_session ts;
    assert_int_equal(tr_test_session_open(&ts, tm.model, 512, 1), TINYRANK_OK);
    for (size_t i = 0; i < N_P; i++) {
        assert_int_equal(tinyrank_score(ts.session, query, &passages[i], 1, &got[i]), TINYRANK_OK);
        assert_true(fabsf(got[i] - ref[i]) <= 1e-5f);
    }
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, model_path), TINYRANK_OK);
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = 512;
    p.max_batch = 2;
    size_t bytes;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &bytes), TINYRANK_OK);
    void *arena = malloc(bytes);
    tinyrank_session *s = NULL;
    assert_int_equal(tinyrank_session_create(tm.model, &p, arena, bytes - 1, &s),
                     TINYRANK_ERR_ARENA_TOO_SMALL);
    assert_non_null(strstr(tinyrank_session_errmsg(s), "arena"));
    assert_int_equal(tinyrank_session_create(tm.model, &p, arena, bytes, &s), TINYRANK_OK);

    int32_t ids[600], types[600] = {0};
    for (int i = 0; i < 600; i++)
        ids[i] = 100 + i % 50;
    uint32_t lens[2] = {513, 10};
    float sc[2];
    assert_int_equal(tr_session_score_sequences(s, ids, types, lens, 2, sc),
                     TINYRANK_ERR_INPUT_TOO_LARGE);
    lens[0] = 10;
    ids[15] = 1000; /* the embedding has 1000 rows */
    assert_int_not_equal(tr_session_score_sequences(s, ids, types, lens, 2, sc), TINYRANK_OK);
    assert_non_null(strstr(tinyrank_session_errmsg(s), "outside"));
    ids[15] = 7;
    assert_int_equal(tr_session_score_sequences(s, ids, types, lens, 2, sc), TINYRANK_OK);
    const char *bad[] = {"ok", "\xff\xfe not utf-8"};
    assert_int_equal(tinyrank_score(s, query, bad, 2, sc), TINYRANK_ERR_INVALID_UTF8);
    free(arena);
    tr_test_model_close(&tm);
}

static int convert_custom(const char *tpl_json, const char *out, char *err, size_t errlen)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tpl.json", tmp_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(tpl_json, f);
    fclose(f);
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = tmp_dir;
    o.output_path = out;
    o.dtype = TR_CONVERT_F32;
    o.template_name = "custom";
    o.template_file = path;
    return tr_convert(&o, err, errlen);
}

static void test_custom_template(void **state)
{
    (void)state;
    char out[1200], err[512];
    snprintf(out, sizeof out, "%s/custom.trk", tmp_dir);
    /* "yes"/"no" are merges of the synthetic tokenizer; 934 is <|im_start|>
     * there (256 bytes + 677 merges, then <|endoftext|>) */
    int rc = convert_custom(
        "{\"name\": \"mine\", \"segments\": ["
        "{\"ids\": [934, 10]},"
        "{\"text\": \"Q: {query} {{x}} D: {document}\", \"truncate_order\": 1},"
        "{\"text\": \"?\"}],"
        "\"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
        out, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("custom template: %s", err);
    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, out), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, 64, 2), TINYRANK_OK);
    int32_t ids[64];
    size_t n = 0;
    assert_int_equal(tinyrank_tokenize_pair(ts.session, "ab", 2, "cd", 2, ids, NULL, 64, &n),
                     TINYRANK_OK);
    /* [937, 10] then "Q: ab {x} D: cd" then "?": every character here is
     * one byte token (the pairs "ab", "cd" are merges of the tokenizer) */
    assert_true(n >= 4);
    assert_int_equal(ids[0], 934);
    assert_int_equal(ids[1], 10);
    assert_int_equal(ids[n - 1], '?' ); /* byte tokens of printable ASCII are their own ids */
    assert_int_equal(ids[2], 'Q');
    /* LOGIT_DIFF: unbounded raw scores (not probabilities) */
    float sc[2];
    const char *two[] = {"cats", "dogs and more dogs"};
    assert_int_equal(tinyrank_score(ts.session, "cat", two, 2, sc), TINYRANK_OK);
    assert_true(isfinite(sc[0]) && isfinite(sc[1]) && sc[0] != sc[1]);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);

    /* malformed templates and configs: refused with a message */
    static const char *const bad[] = {
        "{\"segments\": [{\"text\": \"{oops}\"}], \"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
        "{\"segments\": [], \"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
        "{\"segments\": [{\"text\": \"{document}\"}], \"score\": {\"kind\": \"max\", \"tokens\": [\"no\", \"yes\"]}}",
        "{\"segments\": [{\"text\": \"{document}\"}], \"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"no\"]}}",
        "{\"segments\": [{\"text\": \"{document}\", \"ids\": [1]}], \"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
        "[1, 2]",
        "{\"segments\": [{\"ids\": [936]}, {\"text\": \"{document}\"}], \"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        rc = convert_custom(bad[i], out, err, sizeof err);
        if (rc == TINYRANK_OK || err[0] == 0)
            fail_msg("bad template %zu was accepted (%s)", i, err);
    }
}

/* An explicit lm_head (tie_word_embeddings false) equal to the embedding
 * must give the tied model's scores: the head rows come from lm_head.weight
 * (and a random lm_head must change them). */
/* max_share / in_body (mxbai-rerank-v2's prepare_inputs): with a session
 * max_length L and fixed segments outside the body of F tokens, the query
 * keeps at most floor((L - F) * 750 / 1000) tokens (mxbai: max_length * 3
 * // 4 with max_length its body length), then the document is cut to fit. */
static void test_template_shares(void **state)
{
    (void)state;
    char out[1200], err[512];
    snprintf(out, sizeof out, "%s/shares.trk", tmp_dir);
    int rc = convert_custom(
        "{\"name\": \"shares\", \"segments\": ["
        "{\"ids\": [934]},"
        "{\"text\": \"{query}\", \"truncate_order\": 2, \"max_share\": 750},"
        "{\"ids\": [10], \"in_body\": true},"
        "{\"text\": \"{document}\", \"truncate_order\": 1},"
        "{\"ids\": [10]}],"
        "\"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
        out, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("shares template: %s", err);
    char longq[201], longd[401];
    for (int i = 0; i < 200; i++)
        longq[i] = "QZ?"[i % 3];
    longq[200] = 0;
    for (int i = 0; i < 400; i++)
        longd[i] = "DX!"[i % 3];
    longd[400] = 0;
    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, out), TINYRANK_OK);
    /* the untruncated token counts (max_length 512 holds them) */
    int32_t ids[512];
    size_t n = 0, qfull, dfull;
    assert_int_equal(tr_test_session_open(&ts, tm.model, 512, 1), TINYRANK_OK);
    assert_int_equal(tinyrank_tokenize_pair(ts.session, longq, 200, "D", 1, ids, NULL, 512, &n),
                     TINYRANK_OK);
    qfull = n - 4; /* [934] q [10] "D" [10] */
    assert_int_equal(tinyrank_tokenize_pair(ts.session, "Q", 1, longd, 400, ids, NULL, 512, &n),
                     TINYRANK_OK);
    dfull = n - 4;
    tr_test_session_close(&ts);
    const size_t L = 64, budget = L - 2, qcap = budget * 750 / 1000; /* 46 */
    assert_true(qfull > qcap && dfull > L); /* both long enough to be cut */

    assert_int_equal(tr_test_session_open(&ts, tm.model, (int)L, 1), TINYRANK_OK);
    /* long query, long document: the query keeps its share, the document
     * the rest, and the sequence is exactly L */
    assert_int_equal(tinyrank_tokenize_pair(ts.session, longq, 200, longd, 400, ids, NULL, 512, &n),
                     TINYRANK_OK);
    assert_int_equal(n, L);
    assert_int_equal(ids[0], 934);
    assert_int_equal(ids[1 + qcap], 10);   /* the body's separator right after qcap tokens */
    assert_int_equal(ids[L - 1], 10);
    assert_int_equal(ids[1], 'Q');         /* the query's start is kept, its end cut */
    assert_int_equal(ids[2 + qcap], 'D');  /* then the document's start */
    /* a short query keeps everything: the document takes the rest */
    assert_int_equal(tinyrank_tokenize_pair(ts.session, "Q", 1, longd, 400, ids, NULL, 512, &n),
                     TINYRANK_OK);
    assert_int_equal(n, L);
    assert_int_equal(ids[1], 'Q');
    assert_int_equal(ids[2], 10);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
    /* a share on a fixed segment is refused at conversion */
    rc = convert_custom("{\"segments\": [{\"ids\": [934], \"max_share\": 500},"
                        "{\"text\": \"{document}\", \"truncate_order\": 1}],"
                        "\"score\": {\"kind\": \"logit_diff\", \"tokens\": [\"no\", \"yes\"]}}",
                        out, err, sizeof err);
    assert_int_equal(rc, TINYRANK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "max_share"));
}

static void test_untied_head(void **state)
{
    (void)state;
    char *dir = tr_test_mkdtemp();
    char path[1200];
    float tied[N_P], copy[N_P], rnd[N_P];
    size_t cached;
    const char *modes[] = {"copy", "random"};
    float *outs[] = {copy, rnd};
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, model_path), TINYRANK_OK);
    score_text(&tm, 4, true, tied, &cached);
    tr_test_model_close(&tm);
    for (int k = 0; k < 2; k++) {
        char args[160];
        snprintf(args, sizeof args, "--preset qwen3-tiny --init-std 0.05 --seed 5 --untied-head %s",
                 modes[k]);
        tr_test_rmtree(dir);
        assert_int_equal(tr_test_system("mkdir -p '%s'", dir), 0);
        assert_int_equal(tr_test_make_checkpoint(dir, args), 0);
        snprintf(path, sizeof path, "%s/m.trk", dir);
        assert_int_equal(tr_test_convert(dir, path, "f32"), TINYRANK_OK);
        assert_int_equal(tr_test_model_open(&tm, path), TINYRANK_OK);
        score_text(&tm, 4, true, outs[k], &cached);
        tr_test_model_close(&tm);
    }
    assert_memory_equal(tied, copy, sizeof tied);
    assert_memory_not_equal(tied, rnd, sizeof tied);
    /* untied without lm_head.weight: refused by name */
    assert_int_equal(tr_test_system("rm '%s/model.safetensors' '%s/m.trk' && cp '%s/model.safetensors' '%s/'",
                                    dir, dir, tmp_dir, dir),
                     0);
    char err[512];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = path;
    o.dtype = TR_CONVERT_F32;
    assert_int_not_equal(tr_convert(&o, err, sizeof err), TINYRANK_OK);
    assert_non_null(strstr(err, "lm_head.weight"));
    tr_test_rmtree(dir);
    free(dir);
}

/* Random byte flips anywhere in the file: load refuses or the model runs;
 * never a crash or an out-of-bounds access (ASan/UBSan in CI). */
static void test_corrupt_bytes(void **state)
{
    (void)state;
    size_t len;
    char *file = tr_test_read(model_path, &len);
    assert_non_null(file);
    uint8_t *buf = aligned_alloc(64, (len + 63) / 64 * 64);
    uint32_t x = 7;
    int refused = 0, ran = 0;
    for (int trial = 0; trial < 400; trial++) {
        memcpy(buf, file, len);
        for (int k = 0; k < 1 + trial % 3; k++) {
            x = x * 1664525u + 1013904223u;
            /* mostly the FlatBuffer (the first part), sometimes the weights */
            size_t at = (trial % 4 == 0) ? (x >> 4) % len : (x >> 4) % (len < 40000 ? len : 40000);
            buf[at] ^= (uint8_t)(1u << ((x >> 28) & 7));
        }
        tinyrank_model_storage st;
        tinyrank_model *m;
        if (tinyrank_model_load(&st, buf, len, &m) != TINYRANK_OK) {
            assert_true(strlen(tinyrank_model_errmsg(m)) > 0);
            refused++;
            continue;
        }
        tinyrank_session_params p = tinyrank_session_params_default();
        p.max_length = 32;
        p.max_batch = 2;
        size_t bytes;
        if (tinyrank_arena_size(m, &p, &bytes) != TINYRANK_OK || bytes > (256u << 20))
            continue;
        void *arena = malloc(bytes);
        tinyrank_session *s;
        if (tinyrank_session_create(m, &p, arena, bytes, &s) == TINYRANK_OK) {
            const char *two[] = {"a cat", "a dog"};
            float sc[2];
            (void)tinyrank_score(s, "cat", two, 2, sc);
            ran++;
        }
        free(arena);
    }
    printf("corrupted models: %d refused at load, %d ran\n", refused, ran);
    assert_true(refused > 0);
    free(buf);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_path_prefix_reuse),
        cmocka_unit_test(test_custom_template),
        cmocka_unit_test(test_template_shares),
        cmocka_unit_test(test_untied_head),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_corrupt_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
