/* test_golden_t5.c - T5 rerankers (monoT5 and MVP) against Hugging Face.
 *
 * Every ../shared/golden T5 case is converted with the real converter and
 * transformers' own input ids are fed through the runtime
 * (tr_session_score_sequences), on every kernel set this CPU runs:
 *   t5_relu_tiny, t5_gatedgelu_tiny (T5 v1.0 ReLU / tied head, v1.1
 *     gated-gelu / untied head; monoT5 scoring, vocabulary of 1000 stand-in
 *     ids): p(true) within 1e-5 batched and one pair at a time, log p(true)
 *     within 1e-5, the encoder's and decoder's final-norm checksums;
 *   monot5_ids (the real T5 vocabulary; score tokens found in the real T5
 *     tokenizer as "▁false" / "▁true"): p(true) within 1e-5, both ways;
 *   mvp_ids (model/ and model_wrapped/, the MVP authors' FiD layout): the
 *     12 passages of each query scored in ONE call within 2e-5, the anchors
 *     and view embeddings (first 8 values) within 2e-5 to locate errors, the
 *     same scores for the passages in reverse order, and more passages than
 *     max_batch refused.
 * int8: the error against the f32 path and the Spearman correlation are
 * printed and bounded.
 * The tiny golden folders have no tokenizer: the test writes a tokenizer.json
 * (Unigram) with their 1000 stand-in pieces and names the score tokens by id. */
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
#include "kernels/kernels.h"
#include "support/tr_test.h"

#define MAX_SEQS 32
#define MAX_IDS 16384
#define VIEWS 4

typedef struct capture {
    size_t n_seqs;         /* sequences seen so far (one-at-a-time runs) */
    double enc_sum[MAX_SEQS], enc_abs[MAX_SEQS], dec_sum[MAX_SEQS], dec_abs[MAX_SEQS];
    float e8[MAX_SEQS][VIEWS][8]; /* encoder output, rows 0..3 of each sequence */
    float a8[VIEWS][8];           /* decoder output rows (MVP anchors) */
} capture;

static bool named(const tr_tensor *t, const char *want)
{
    size_t n = strlen(want);
    return t->name_len == n && memcmp(t->name, want, n) == 0;
}

static bool ends_with(const tr_tensor *t, const char *tail)
{
    size_t n = strlen(tail);
    return t->name_len >= n && memcmp(t->name + t->name_len - n, tail, n) == 0;
}

static void observe(void *user, const tr_node *node, const tr_tensor *out, const float *data,
                    size_t rows, const uint32_t *seq_start, size_t n_seqs)
{
    capture *c = user;
    (void)node;
    const size_t h = (size_t)out->dims[1];
    if (ends_with(out, "final_layer_norm.weight:out") && out->dims[0] == TR_DIM_TOKENS) {
        for (size_t s = 0; s < n_seqs && c->n_seqs + s < MAX_SEQS; s++) {
            double sum = 0, abs_sum = 0;
            for (size_t r = seq_start[s]; r < seq_start[s + 1]; r++)
                for (size_t k = 0; k < h; k++) {
                    sum += data[r * h + k];
                    abs_sum += fabs(data[r * h + k]);
                }
            c->enc_sum[c->n_seqs + s] = sum;
            c->enc_abs[c->n_seqs + s] = abs_sum;
            for (size_t v = 0; v < VIEWS && seq_start[s] + v < seq_start[s + 1]; v++)
                for (size_t k = 0; k < 8 && k < h; k++)
                    c->e8[c->n_seqs + s][v][k] = data[(seq_start[s] + v) * h + k];
        }
    } else if (named(out, "decoder.final_layer_norm.weight:out")) {
        if (out->dims[0] == TR_DIM_SEQUENCES) {
            for (size_t s = 0; s < n_seqs && c->n_seqs + s < MAX_SEQS; s++) {
                double sum = 0, abs_sum = 0;
                for (size_t k = 0; k < h; k++) {
                    sum += data[s * h + k];
                    abs_sum += fabs(data[s * h + k]);
                }
                c->dec_sum[c->n_seqs + s] = sum;
                c->dec_abs[c->n_seqs + s] = abs_sum;
            }
        } else {
            for (size_t v = 0; v < VIEWS && v < rows; v++)
                for (size_t k = 0; k < 8 && k < h; k++)
                    c->a8[v][k] = data[v * h + k];
        }
    } else if (out->dims[0] == TR_DIM_SEQUENCES && out->dims[1] <= 2) {
        c->n_seqs += n_seqs; /* the last operator: the next run appends */
    }
}


/* Sequences of a golden batch without their padding. */
typedef struct seqs {
    size_t n;
    int32_t ids[MAX_IDS], types[MAX_IDS];
    uint32_t lens[MAX_SEQS];
    size_t total;
} seqs;

/* ids rows; mask rows (NULL: the row ends at its first </s>, id 1) */
static void seqs_from(seqs *s, const tr_json *ids, const tr_json *mask)
{
    memset(s, 0, sizeof *s);
    assert_non_null(ids);
    s->n = ids->len;
    assert_true(s->n <= MAX_SEQS);
    for (size_t i = 0; i < s->n; i++) {
        uint32_t len = 0;
        for (size_t j = 0; j < ids->items[i].len; j++) {
            if (mask != NULL && mask->items[i].items[j].integer == 0)
                continue;
            assert_true(s->total < MAX_IDS);
            s->ids[s->total++] = (int32_t)ids->items[i].items[j].integer;
            len++;
            if (mask == NULL && ids->items[i].items[j].integer == 1)
                break;
        }
        s->lens[i] = len;
    }
}

static uint32_t max_len(const seqs *s)
{
    uint32_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        m = s->lens[i] > m ? s->lens[i] : m;
    return m;
}

/* Largest |diff| of the f32 checks of the current case (printed). */
static double g_worst;

static void expect_near(const tr_json *a, size_t n, const float *got, double tol, const char *what,
                        const char *kset)
{
    assert_non_null(a);
    assert_int_equal(a->len, n);
    for (size_t i = 0; i < n; i++) {
        double want = a->items[i].number, diff = fabs(want - got[i]);
        g_worst = diff > g_worst ? diff : g_worst;
        if (!(diff <= tol))
            fail_msg("%s [kernels %s] %zu: got %.9g, Hugging Face %.9g (|diff| %.3g > %.1g)", what,
                     kset, i, got[i], want, diff, tol);
    }
}

/* A Unigram tokenizer.json of `vocab` stand-in pieces (<pad> </s> <unk> at
 * 0, 1, 2, as T5). */
static void write_tiny_tokenizer(const char *dir, long long vocab)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": \"1.0\", \"added_tokens\": [");
    static const char *special[3] = {"<pad>", "</s>", "<unk>"};
    for (int i = 0; i < 3; i++)
        fprintf(f, "%s{\"id\": %d, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, "
                   "\"rstrip\": false, \"normalized\": false, \"special\": true}",
                i ? ", " : "", i, special[i]);
    fprintf(f, "], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Metaspace\", "
               "\"replacement\": \"\\u2581\", \"add_prefix_space\": true}, \"post_processor\": null, "
               "\"decoder\": {\"type\": \"Metaspace\", \"replacement\": \"\\u2581\", "
               "\"add_prefix_space\": true}, \"model\": {\"type\": \"Unigram\", \"unk_id\": 2, "
               "\"vocab\": [");
    for (long long i = 0; i < vocab; i++) {
        if (i < 3)
            fprintf(f, "%s[\"%s\", 0.0]", i ? ", " : "", special[i]);
        else
            fprintf(f, ", [\"\\u2581p%lld\", %.1f]", i, -1.0 - (double)i / 100.0);
    }
    fprintf(f, "]}}\n");
    fclose(f);
}

/* Converts `dir` with the given options; returns the model path (static). */
static void convert(const char *dir, const char *out, int dtype, const char *tpl,
                    const char *score_tokens)
{
    char err[512];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = out;
    o.dtype = dtype;
    o.template_name = tpl;
    o.score_tokens = score_tokens;
    int rc = tr_convert(&o, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("convert %s: %s: %s", dir, tinyrank_status_string(rc), err);
}

/* Scores s (batched when batch > 1, else one at a time) with kernel set
 * `kset` and the given score kind; fills cap when not NULL. */
static void score(const char *path, const char *kset, const seqs *s, int batch, int score_kind,
                  float *out, capture *cap)
{
    setenv("TINYRANK_KERNELS", kset, 1);
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, path), TINYRANK_OK);
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = (int)max_len(s);
    p.max_batch = batch;
    p.score = score_kind;
    size_t bytes = 0;
    assert_int_equal(tinyrank_arena_size(tm.model, &p, &bytes), TINYRANK_OK);
    void *arena = malloc(bytes);
    tinyrank_session *session = NULL;
    int rc = tinyrank_session_create(tm.model, &p, arena, bytes, &session);
    if (rc != TINYRANK_OK)
        fail_msg("session: %s", session ? tinyrank_session_errmsg(session) : "?");
    assert_string_equal(session->k->name, kset);
    if (cap != NULL) {
        memset(cap, 0, sizeof *cap);
        tr_session_set_observer(session, observe, cap);
    }
    size_t at = 0;
    for (size_t first = 0; first < s->n; first += (size_t)batch) {
        size_t count = s->n - first < (size_t)batch ? s->n - first : (size_t)batch;
        rc = tr_session_score_sequences(session, s->ids + at, s->types + at, s->lens + first, count,
                                        out + first);
        if (rc != TINYRANK_OK)
            fail_msg("score: %s", tinyrank_session_errmsg(session));
        for (size_t i = 0; i < count; i++)
            at += s->lens[first + i];
    }
    free(arena);
    tr_test_model_close(&tm);
    unsetenv("TINYRANK_KERNELS");
}

static void print_int8(const char *name, const float *f32, const float *q8, size_t n)
{
    printf("%s: f32 max |diff| to Hugging Face %.3g (every kernel set, scores and the values "
           "checked)\n", name, g_worst);
    g_worst = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)q8[i] - f32[i]));
    double rho = tr_test_spearman(f32, q8, n);
    printf("%s: int8 max |score - f32 score| = %.3g, Spearman vs f32 = %.4f over %zu\n", name,
           worst, rho, n);
}

/* ---- monoT5 style: tiny T5 v1.0 / v1.1 */

static void run_tiny(const char *name)
{
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char dir[1200], path[1400], f32[1400], i8[1400], tokens[64];
    snprintf(dir, sizeof dir, "%s/golden/%s", shared, name);
    snprintf(path, sizeof path, "%s/inputs.json", dir);
    tr_json *in = tr_test_load_json(path);
    snprintf(path, sizeof path, "%s/expected.json", dir);
    tr_json *ex = tr_test_load_json(path);
    snprintf(path, sizeof path, "%s/config.json", dir);
    tr_json *cfg = tr_test_load_json(path);
    char *tmp = tr_test_mkdtemp();
    assert_int_equal(tr_test_system("ln -s '%s/config.json' '%s/model.safetensors' '%s/'", dir, dir, tmp), 0);
    write_tiny_tokenizer(tmp, tr_json_get_int(cfg, "vocab_size", 0));
    const tr_json *sp = tr_json_get(in, "special_token_ids");
    snprintf(tokens, sizeof tokens, "#%lld,#%lld", tr_json_get_int(sp, "false", -1),
             tr_json_get_int(sp, "true", -1));
    snprintf(f32, sizeof f32, "%s/f32.trk", tmp);
    snprintf(i8, sizeof i8, "%s/int8.trk", tmp);
    convert(tmp, f32, TR_CONVERT_F32, "monot5", tokens);
    convert(tmp, i8, TR_CONVERT_INT8, "monot5", tokens);

    seqs *s = calloc(1, sizeof *s);
    seqs_from(s, tr_json_get(in, "input_ids"), tr_json_get(in, "attention_mask"));
    capture *cap = calloc(1, sizeof *cap);
    float got[MAX_SEQS], q8[MAX_SEQS];
    for (size_t k = 0; k < tr_kernels_count(); k++) {
        const char *kset = tr_kernels_at(k)->name;
        score(f32, kset, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, got, cap);
        expect_near(tr_json_get(ex, "p_true"), s->n, got, 1e-5, "p(true) batched", kset);
        const tr_json *sums = tr_json_get(ex, "layer_checksums");
        for (size_t i = 0; i < s->n; i++) {
            const tr_json *enc = tr_json_get(&sums->items[i], "encoder.final_layer_norm");
            const tr_json *dec = tr_json_get(&sums->items[i], "decoder.final_layer_norm");
            double ea = tr_json_get_number(enc, "abs_sum", 0), da = tr_json_get_number(dec, "abs_sum", 0);
            if (fabs(cap->enc_sum[i] - tr_json_get_number(enc, "sum", 0)) > 2e-6 * ea + 1e-4 ||
                fabs(cap->enc_abs[i] - ea) > 2e-6 * ea + 1e-4)
                fail_msg("%s pair %zu: encoder output sum %.6f / abs %.6f, Hugging Face %.6f / %.6f",
                         name, i, cap->enc_sum[i], cap->enc_abs[i],
                         tr_json_get_number(enc, "sum", 0), ea);
            if (fabs(cap->dec_sum[i] - tr_json_get_number(dec, "sum", 0)) > 2e-6 * da + 1e-4 ||
                fabs(cap->dec_abs[i] - da) > 2e-6 * da + 1e-4)
                fail_msg("%s pair %zu: decoder output sum %.6f / abs %.6f, Hugging Face %.6f / %.6f",
                         name, i, cap->dec_sum[i], cap->dec_abs[i],
                         tr_json_get_number(dec, "sum", 0), da);
        }
        score(f32, kset, s, 1, TINYRANK_SCORE_MODEL_DEFAULT, got, NULL);
        expect_near(tr_json_get(ex, "scores_unbatched"), s->n, got, 1e-5, "p(true) unbatched", kset);
        score(f32, kset, s, (int)s->n, TINYRANK_SCORE_LOG, got, NULL);
        expect_near(tr_json_get(ex, "log_p_true"), s->n, got, 1e-5, "log p(true)", kset);
    }
    score(f32, "ref", s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, got, NULL);
    score(i8, tr_kernels_select()->name, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, q8, NULL);
    print_int8(name, got, q8, s->n);
    for (size_t i = 0; i < s->n; i++)
        assert_true(fabs(q8[i] - got[i]) < 0.05);

    free(cap);
    free(s);
    tr_test_rmtree(tmp);
    free(tmp);
    tr_json_free(in);
    tr_json_free(ex);
    tr_json_free(cfg);
}

static void test_t5_relu_tiny(void **state)
{
    (void)state;
    run_tiny("t5_relu_tiny");
}

static void test_t5_gatedgelu_tiny(void **state)
{
    (void)state;
    run_tiny("t5_gatedgelu_tiny");
}

/* A checkpoint folder: the golden weights plus the real T5 tokenizer. */
static char *real_folder(const char *shared, const char *model_dir)
{
    char *tmp = tr_test_mkdtemp();
    assert_non_null(tmp);
    assert_int_equal(tr_test_system("ln -s '%s/config.json' '%s/model.safetensors' '%s/'", model_dir,
                                    model_dir, tmp),
                     0);
    assert_int_equal(tr_test_system("ln -s '%s/tokenizers/t5/spiece.model' "
                                    "'%s/tokenizers/t5/tokenizer.json' "
                                    "'%s/tokenizers/t5/tokenizer_config.json' '%s/'",
                                    shared, shared, shared, tmp),
                     0);
    return tmp;
}

static void test_monot5_ids(void **state)
{
    (void)state;
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char dir[1200], path[1400], f32[1400], i8[1400];
    snprintf(dir, sizeof dir, "%s/golden/monot5_ids", shared);
    snprintf(path, sizeof path, "%s/expected.json", dir);
    tr_json *ex = tr_test_load_json(path);
    snprintf(path, sizeof path, "%s/model", dir);
    char *tmp = real_folder(shared, path);
    snprintf(f32, sizeof f32, "%s/f32.trk", tmp);
    snprintf(i8, sizeof i8, "%s/int8.trk", tmp);
    /* no --score-tokens: ▁false / ▁true are looked up in the tokenizer */
    convert(tmp, f32, TR_CONVERT_F32, "monot5", NULL);
    convert(tmp, i8, TR_CONVERT_INT8, "monot5", NULL);
    const tr_json *batches = tr_json_get(ex, "batches");
    seqs *s = calloc(1, sizeof *s);
    float all_f32[64], all_q8[64];
    size_t n_all = 0;
    for (size_t b = 0; b < batches->len; b++) {
        const tr_json *B = &batches->items[b];
        seqs_from(s, tr_json_get(B, "input_ids"), NULL);
        float got[MAX_SEQS];
        for (size_t k = 0; k < tr_kernels_count(); k++) {
            const char *kset = tr_kernels_at(k)->name;
            score(f32, kset, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, got, NULL);
            expect_near(tr_json_get(B, "scores"), s->n, got, 1e-5, "monot5_ids p(true) batched", kset);
            score(f32, kset, s, 1, TINYRANK_SCORE_MODEL_DEFAULT, got, NULL);
            expect_near(tr_json_get(B, "scores_unbatched"), s->n, got, 1e-5,
                        "monot5_ids p(true) unbatched", kset);
            score(f32, kset, s, (int)s->n, TINYRANK_SCORE_LOG, got, NULL);
            expect_near(tr_json_get(B, "log_p_true"), s->n, got, 1e-5, "monot5_ids log p(true)", kset);
        }
        score(f32, "ref", s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, all_f32 + n_all, NULL);
        score(i8, tr_kernels_select()->name, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT,
              all_q8 + n_all, NULL);
        n_all += s->n;
    }
    print_int8("monot5_ids", all_f32, all_q8, n_all);
    for (size_t i = 0; i < n_all; i++)
        assert_true(fabs(all_q8[i] - all_f32[i]) < 0.02);
    free(s);
    tr_test_rmtree(tmp);
    free(tmp);
    tr_json_free(ex);
}

/* ---- MVP */

static void check_views(const tr_json *B, const capture *cap, size_t n, const char *kset)
{
    const tr_json *anchors = tr_json_get(B, "anchors_first8"), *e = tr_json_get(B, "e_first8");
    assert_non_null(anchors);
    assert_non_null(e);
    for (size_t v = 0; v < VIEWS; v++)
        expect_near(&anchors->items[v], 8, cap->a8[v], 2e-5, "MVP anchor a_k (first 8)", kset);
    for (size_t i = 0; i < n; i++)
        for (size_t v = 0; v < VIEWS; v++)
            expect_near(&e->items[i].items[v], 8, cap->e8[i][v], 2e-5, "MVP view embedding e_ik", kset);
}

static void run_mvp(const char *layout)
{
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char dir[1200], path[1400], f32[1400], i8[1400];
    snprintf(dir, sizeof dir, "%s/golden/mvp_ids", shared);
    snprintf(path, sizeof path, "%s/expected.json", dir);
    tr_json *ex = tr_test_load_json(path);
    snprintf(path, sizeof path, "%s/%s", dir, layout);
    char *tmp = real_folder(shared, path);
    snprintf(f32, sizeof f32, "%s/f32.trk", tmp);
    snprintf(i8, sizeof i8, "%s/int8.trk", tmp);
    convert(tmp, f32, TR_CONVERT_F32, "mvp", NULL);
    convert(tmp, i8, TR_CONVERT_INT8, "mvp", NULL);
    const tr_json *batches = tr_json_get(ex, "batches");
    seqs *s = calloc(1, sizeof *s), *rev = calloc(1, sizeof *rev);
    capture *cap = calloc(1, sizeof *cap);
    float all_f32[64], all_q8[64];
    size_t n_all = 0;
    for (size_t b = 0; b < batches->len; b++) {
        const tr_json *B = &batches->items[b];
        seqs_from(s, tr_json_get(B, "input_ids"), tr_json_get(B, "attention_mask"));
        float got[MAX_SEQS], back[MAX_SEQS];
        for (size_t k = 0; k < tr_kernels_count(); k++) {
            const char *kset = tr_kernels_at(k)->name;
            score(f32, kset, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, got, cap);
            expect_near(tr_json_get(B, "scores"), s->n, got, 2e-5, "MVP scores", kset);
            expect_near(tr_json_get(B, "scores_no_padding"), s->n, got, 2e-5, "MVP scores", kset);
            check_views(B, cap, s->n, kset);
        }
        /* the same passages in reverse order: the same score for each */
        memset(rev, 0, sizeof *rev);
        rev->n = s->n;
        size_t starts[MAX_SEQS], at = 0;
        for (size_t i = 0; i < s->n; i++) {
            starts[i] = at;
            at += s->lens[i];
        }
        for (size_t i = s->n; i-- > 0;) {
            memcpy(rev->ids + rev->total, s->ids + starts[i], s->lens[i] * sizeof(int32_t));
            rev->lens[s->n - 1 - i] = s->lens[i];
            rev->total += s->lens[i];
        }
        score(f32, tr_kernels_select()->name, rev, (int)rev->n, TINYRANK_SCORE_MODEL_DEFAULT, back, NULL);
        score(f32, tr_kernels_select()->name, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, got, NULL);
        for (size_t i = 0; i < s->n; i++)
            if (fabsf(back[s->n - 1 - i] - got[i]) > 1e-6f)
                fail_msg("MVP passage %zu: %.9g in order, %.9g in reverse order", i, got[i],
                         back[s->n - 1 - i]);
        score(f32, "ref", s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT, all_f32 + n_all, NULL);
        score(i8, tr_kernels_select()->name, s, (int)s->n, TINYRANK_SCORE_MODEL_DEFAULT,
              all_q8 + n_all, NULL);
        n_all += s->n;
    }
    char what[64];
    snprintf(what, sizeof what, "mvp_ids/%s", layout);
    print_int8(what, all_f32, all_q8, n_all);
    assert_true(tr_test_spearman(all_f32, all_q8, n_all) > 0.9);

    /* a call is one candidate list: more passages than max_batch are refused */
    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, f32), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, (int)max_len(s), 4), TINYRANK_OK);
    float out[MAX_SEQS];
    assert_int_equal(tr_session_score_sequences(ts.session, s->ids, s->types, s->lens, s->n, out),
                     TINYRANK_ERR_INPUT_TOO_LARGE);
    assert_non_null(strstr(tinyrank_session_errmsg(ts.session), "one candidate list"));
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);

    free(cap);
    free(s);
    free(rev);
    tr_test_rmtree(tmp);
    free(tmp);
    tr_json_free(ex);
}

static void test_mvp_plain(void **state)
{
    (void)state;
    run_mvp("model");
}

static void test_mvp_wrapped(void **state)
{
    (void)state;
    run_mvp("model_wrapped");
}

/* ---- the templates: the text path against the reference input ids */

/* Line `no` (from 1) of corpus.txt (split on \n only, nothing stripped). */
static char *corpus_line(const char *text, long no, size_t *len)
{
    const char *at = text;
    for (long i = 1; i < no; i++) {
        at = strchr(at, '\n');
        assert_non_null(at);
        at++;
    }
    const char *end = strchr(at, '\n');
    *len = end ? (size_t)(end - at) : strlen(at);
    char *out = malloc(*len + 1);
    memcpy(out, at, *len);
    out[*len] = 0;
    return out;
}

/* Each record of t5.<file>: (query, passage) through tinyrank_tokenize_pair
 * of a model converted with `tpl` and `max_length` must give the reference
 * ids; with a max_length below the reference length, `cut` says what the
 * reference ids become: 0 plain (ids[:L-1] + </s>), 1 document-first
 * (head cut, the last `keep` ids before </s> kept). */
static void template_ids(const char *file, const char *model_sub, const char *tpl,
                         const char *trunc, int max_length, int keep)
{
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char path[1400], model[1400];
    snprintf(path, sizeof path, "%s/golden/%s", shared, model_sub);
    char *tmp = real_folder(shared, path);
    snprintf(model, sizeof model, "%s/m.trk", tmp);
    char err[512];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = tmp;
    o.output_path = model;
    o.dtype = TR_CONVERT_F32;
    o.template_name = tpl;
    o.truncation = trunc;
    o.max_length = max_length;
    if (tr_convert(&o, err, sizeof err) != TINYRANK_OK)
        fail_msg("convert: %s", err);
    snprintf(path, sizeof path, "%s/tokenizers/corpus.txt", shared);
    size_t corpus_len;
    char *corpus = tr_test_read(path, &corpus_len);
    snprintf(path, sizeof path, "%s/tokenizers/%s", shared, file);
    size_t len;
    char *lines = tr_test_read(path, &len);
    assert_non_null(lines);
    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, model), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, 0, 1), TINYRANK_OK);
    int32_t *ids = malloc(4096 * sizeof(int32_t)), *want = malloc(4096 * sizeof(int32_t));
    size_t records = 0;
    for (char *line = strtok(lines, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char why[256];
        tr_json *r = tr_json_parse(line, strlen(line), why, sizeof why);
        assert_non_null(r);
        size_t ql, pl;
        char *q = corpus_line(corpus, tr_json_get_int(r, "query_line", 0), &ql);
        char *d = corpus_line(corpus, tr_json_get_int(r, "passage_line", 0), &pl);
        const tr_json *ref = tr_json_get(r, "input_ids");
        size_t n_want = ref->len;
        for (size_t i = 0; i < n_want; i++)
            want[i] = (int32_t)ref->items[i].integer;
        if ((int)n_want > max_length) {
            if (keep == 0) {
                n_want = (size_t)max_length;
                want[n_want - 1] = 1;
            } else {
                size_t head = (size_t)max_length - (size_t)keep - 1;
                memmove(want + head, want + ref->len - keep - 1, ((size_t)keep + 1) * sizeof(int32_t));
                n_want = (size_t)max_length;
            }
        }
        size_t count = 0;
        int rc = tinyrank_tokenize_pair(ts.session, q, ql, d, pl, ids, NULL, 4096, &count);
        if (rc != TINYRANK_OK)
            fail_msg("%s record %zu: %s", file, records, tinyrank_session_errmsg(ts.session));
        if (count != n_want || memcmp(ids, want, count * sizeof(int32_t)) != 0) {
            size_t at = 0;
            while (at < count && at < n_want && ids[at] == want[at])
                at++;
            fail_msg("%s record %zu (max_length %d): %zu ids, reference %zu; first difference at %zu "
                     "(%d vs %d)", file, records, max_length, count, n_want, at,
                     at < count ? ids[at] : -1, at < n_want ? want[at] : -1);
        }
        records++;
        free(q);
        free(d);
        tr_json_free(r);
    }
    assert_true(records >= 10);
    free(ids);
    free(want);
    free(lines);
    free(corpus);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
    tr_test_rmtree(tmp);
    free(tmp);
}

static void test_template_monot5(void **state)
{
    (void)state;
    template_ids("t5.monot5_inputs.jsonl", "monot5_ids/model", "monot5", NULL, 512, 0);
    template_ids("t5.monot5_inputs.jsonl", "monot5_ids/model", "monot5", "plain", 96, 0);
    /* " Relevant:" is 3 ids (▁Relevan t :), kept with </s> */
    template_ids("t5.monot5_inputs.jsonl", "monot5_ids/model", "monot5", "document", 96, 3);
}

static void test_template_mvp(void **state)
{
    (void)state;
    template_ids("t5.mvp_inputs.jsonl", "mvp_ids/model", "mvp", NULL, 512, 0);
    template_ids("t5.mvp_inputs.jsonl", "mvp_ids/model", "mvp", NULL, 100, 0);
}

/* The public text path of an MVP model: tinyrank_score on 6 passages equals
 * scoring the ids tinyrank_tokenize_pair gives (one candidate list), and a
 * call with more passages than max_batch is refused. */
static void test_mvp_text_api(void **state)
{
    (void)state;
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char path[1400], model[1400];
    snprintf(path, sizeof path, "%s/golden/mvp_ids/model", shared);
    char *tmp = real_folder(shared, path);
    snprintf(model, sizeof model, "%s/m.trk", tmp);
    convert(tmp, model, TR_CONVERT_F32, "mvp", NULL);
    snprintf(path, sizeof path, "%s/tokenizers/corpus.txt", shared);
    size_t corpus_len;
    char *corpus = tr_test_read(path, &corpus_len);
    enum { N = 6 };
    char *texts[N];
    size_t lens[N];
    for (int i = 0; i < N; i++)
        texts[i] = corpus_line(corpus, 44 + i, &lens[i]);
    size_t qlen;
    char *query = corpus_line(corpus, 1, &qlen);

    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, model), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, 0, N), TINYRANK_OK);
    float by_text[N], by_ids[N];
    assert_int_equal(tinyrank_score_n(ts.session, query, qlen, (const char *const *)texts, lens, N,
                                      by_text),
                     TINYRANK_OK);
    seqs *s = calloc(1, sizeof *s);
    s->n = N;
    for (int i = 0; i < N; i++) {
        size_t count = 0;
        assert_int_equal(tinyrank_tokenize_pair(ts.session, query, qlen, texts[i], lens[i],
                                                s->ids + s->total, NULL, 4096, &count),
                         TINYRANK_OK);
        assert_true(count >= VIEWS && s->ids[s->total] == 32099); /* <extra_id_0> first */
        s->lens[i] = (uint32_t)count;
        s->total += count;
    }
    assert_int_equal(tr_session_score_sequences(ts.session, s->ids, s->types, s->lens, N, by_ids),
                     TINYRANK_OK);
    for (int i = 0; i < N; i++)
        assert_true(by_text[i] == by_ids[i]);
    /* scores of 3 of the passages alone differ: the call is the candidate list */
    float three[3];
    assert_int_equal(tinyrank_score_n(ts.session, query, qlen, (const char *const *)texts, lens, 3,
                                      three),
                     TINYRANK_OK);
    assert_true(three[0] != by_text[0]);
    tr_test_session_close(&ts);
    assert_int_equal(tr_test_session_open(&ts, tm.model, 0, N - 1), TINYRANK_OK);
    assert_int_equal(tinyrank_score_n(ts.session, query, qlen, (const char *const *)texts, lens, N,
                                      by_text),
                     TINYRANK_ERR_INPUT_TOO_LARGE);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
    for (int i = 0; i < N; i++)
        free(texts[i]);
    free(query);
    free(s);
    free(corpus);
    tr_test_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t5_relu_tiny),  cmocka_unit_test(test_t5_gatedgelu_tiny),
        cmocka_unit_test(test_monot5_ids),    cmocka_unit_test(test_mvp_plain),
        cmocka_unit_test(test_mvp_wrapped),   cmocka_unit_test(test_template_monot5),
        cmocka_unit_test(test_template_mvp),  cmocka_unit_test(test_mvp_text_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
