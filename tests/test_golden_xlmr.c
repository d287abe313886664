/* test_golden_xlmr.c - XLM-RoBERTa cross-encoders against Hugging Face.
 *
 * 1. ../shared/golden/xlmr_tiny (XLMRobertaForSequenceClassification, made
 *    and run by transformers 4.47.1): converted f32 and int8 with the real
 *    converter; transformers' own input ids are fed through the runtime
 *    under every kernel set this CPU runs, and compared with expected.json:
 *    f32 scores batched and one pair at a time within 1e-5, the first 8
 *    final hidden values of <s> within 1e-4, the per-module checksums
 *    (embeddings, each layer over real tokens; classifier.dense of <s>,
 *    before its tanh); int8: the
 *    score error against the f32 path is printed and bounded.
 *    The golden folder holds no tokenizer (its vocabulary is synthetic), so
 *    the test writes a tokenizer.json with <s>=0 <pad>=1 </s>=2 <unk>=3
 *    <mask>=999 and stand-in pieces "▁p<id>" for the other ids. Then the
 *    text path: the texts "p891 p271 p540" ... tokenize to exactly the
 *    golden pairs' ids, so tinyrank_score_n must give expected.json's scores
 *    too (template <s> q </s></s> d </s>, positions from padding_idx + 1).
 * 2. The real XLM-R tokenizer (../shared/tokenizers/xlm-roberta, 250,002
 *    pieces) on a generated XLM-R checkpoint of that vocabulary
 *    (make_checkpoint.py --preset xlmr-tiny): tinyrank_tokenize_pair at
 *    max_length 128 must give the input_ids of xlmr.pairs.jsonl (Rust
 *    `tokenizers`, truncation only_second at 128) on all 30 pairs. */
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
#include "support/tok_fixture.h"
#include "support/tr_test.h"

#define MAX_PAIRS 16
#define MAX_LAYERS 8
#define DENSE_SLOT (MAX_LAYERS + 1) /* classifier.dense output */

typedef struct capture {
    int num_layers;
    double sum[MAX_PAIRS][MAX_LAYERS + 2], abs_sum[MAX_PAIRS][MAX_LAYERS + 2];
    float hidden0[MAX_PAIRS][8];
    /* the converter gives the last layer one row per sequence (the first
     * token's: all the score reads), so its checksum over every token is
     * not there to compare; its first row is (hidden0) */
    int last_layer_one_row;
} capture;

/* Index of the checksum slot a tensor feeds: 0 = embeddings, 1 + i = layer
 * i, DENSE_SLOT = the head's dense (fused with its tanh); -1: none. */
static int slot_of(const tr_tensor *t)
{
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)t->name_len, t->name);
    if (strcmp(name, "roberta.embeddings.LayerNorm:out") == 0)
        return 0;
    if (strcmp(name, "classifier.dense:out") == 0)
        return DENSE_SLOT;
    int layer;
    char tail[64];
    if (sscanf(name, "roberta.encoder.layer.%d.%63s", &layer, tail) == 2 &&
        strcmp(tail, "output.LayerNorm:out") == 0 && layer >= 0 && layer < MAX_LAYERS)
        return 1 + layer;
    return -1;
}

static void observe(void *user, const tr_node *node, const tr_tensor *out, const float *data,
                    size_t rows, const uint32_t *seq_start, size_t n_seqs)
{
    capture *c = user;
    (void)node;
    (void)rows;
    int slot = slot_of(out);
    if (slot < 0)
        return;
    size_t h = (size_t)out->dims[1];
    if (slot != DENSE_SLOT && out->dims[0] == TR_DIM_SEQUENCES) {
        if (slot == c->num_layers)
            c->last_layer_one_row = 1;
        for (size_t s = 0; s < n_seqs && s < MAX_PAIRS; s++)
            for (int k = 0; k < 8; k++)
                c->hidden0[s][k] = data[s * h + (size_t)k];
        return;
    }
    for (size_t s = 0; s < n_seqs && s < MAX_PAIRS; s++) {
        /* token rows: the sequence's; the head's output: one row per sequence */
        size_t r0 = slot == DENSE_SLOT ? s : seq_start[s];
        size_t r1 = slot == DENSE_SLOT ? s + 1 : seq_start[s + 1];
        double sum = 0, abs_sum = 0;
        for (size_t r = r0; r < r1; r++)
            for (size_t k = 0; k < h; k++) {
                /* transformers' hook sees classifier.dense before the tanh
                 * that the runtime fuses into it: undo the tanh */
                double x = slot == DENSE_SLOT ? atanh((double)data[r * h + k]) : data[r * h + k];
                sum += x;
                abs_sum += fabs(x);
            }
        c->sum[s][slot] = sum;
        c->abs_sum[s][slot] = abs_sum;
        if (slot == c->num_layers)
            for (int k = 0; k < 8; k++)
                c->hidden0[s][k] = data[seq_start[s] * h + (size_t)k];
    }
}


typedef struct golden {
    char dir[1024];
    tr_json *inputs, *expected;
    size_t n;
    int32_t *ids, *types;
    uint32_t lens[MAX_PAIRS];
    int num_layers, max_len;
    long long vocab;
} golden;

static void golden_load(golden *g, const char *shared)
{
    char path[1200];
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "%s/golden/xlmr_tiny", shared);
    snprintf(path, sizeof path, "%s/inputs.json", g->dir);
    g->inputs = tr_test_load_json(path);
    snprintf(path, sizeof path, "%s/expected.json", g->dir);
    g->expected = tr_test_load_json(path);
    const tr_json *ids = tr_json_get(g->inputs, "input_ids");
    const tr_json *mask = tr_json_get(g->inputs, "attention_mask");
    assert_non_null(ids);
    assert_non_null(mask);
    g->n = ids->len;
    assert_true(g->n >= 2 && g->n <= MAX_PAIRS);
    size_t total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += ids->items[i].len;
    g->ids = calloc(total, sizeof(int32_t));
    g->types = calloc(total, sizeof(int32_t)); /* type_vocab_size 1: all zeros */
    size_t at = 0;
    for (size_t i = 0; i < g->n; i++) {
        uint32_t len = 0;
        for (size_t j = 0; j < ids->items[i].len; j++) {
            if (mask->items[i].items[j].integer == 0)
                continue; /* padding: the runtime packs sequences without it */
            g->ids[at++] = (int32_t)ids->items[i].items[j].integer;
            len++;
        }
        g->lens[i] = len;
        g->max_len = (int)len > g->max_len ? (int)len : g->max_len;
    }
    snprintf(path, sizeof path, "%s/config.json", g->dir);
    tr_json *cfg = tr_test_load_json(path);
    g->num_layers = (int)tr_json_get_int(cfg, "num_hidden_layers", 0);
    g->vocab = tr_json_get_int(cfg, "vocab_size", 0);
    tr_json_free(cfg);
    assert_true(g->num_layers >= 1 && g->num_layers <= MAX_LAYERS);
}

static void golden_free(golden *g)
{
    tr_json_free(g->inputs);
    tr_json_free(g->expected);
    free(g->ids);
    free(g->types);
}

/* A checkpoint folder: the golden config and weights, plus a Unigram
 * tokenizer.json whose special pieces sit at the ids inputs.json names and
 * whose other pieces are "▁p<id>" (so the text "p<id>" is that one id). */
static void make_folder(const golden *g, const char *tmp)
{
    char path[1200];
    assert_int_equal(tr_test_system("ln -s '%s/config.json' '%s/model.safetensors' '%s/'", g->dir,
                                    g->dir, tmp),
                     0);
    const tr_json *sp = tr_json_get(g->inputs, "special_token_ids");
    static const char *keys[] = {"bos_cls", "pad", "eos_sep", "unk", "mask"};
    static const char *texts[] = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
    long long special_id[5];
    for (int k = 0; k < 5; k++)
        special_id[k] = tr_json_get_int(sp, keys[k], -1);
    /* the fairseq layout this test's tokenizer.json assumes (unk_id below) */
    assert_int_equal(special_id[0], 0);
    assert_int_equal(special_id[1], 1);
    assert_int_equal(special_id[2], 2);
    assert_int_equal(special_id[3], 3);
    snprintf(path, sizeof path, "%s/tokenizer.json", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\": \"1.0\", \"added_tokens\": [");
    for (int k = 0; k < 5; k++)
        fprintf(f, "%s{\"id\": %lld, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, "
                   "\"rstrip\": false, \"normalized\": false, \"special\": true}",
                k ? ", " : "", special_id[k], texts[k]);
    fprintf(f, "], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Metaspace\", "
               "\"replacement\": \"\\u2581\", \"add_prefix_space\": true}, "
               "\"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"Unigram\", "
               "\"unk_id\": %lld, \"vocab\": [",
            special_id[3]);
    for (long long i = 0; i < g->vocab; i++) {
        const char *tok = NULL;
        for (int k = 0; k < 5; k++)
            if (special_id[k] == i)
                tok = texts[k];
        if (tok)
            fprintf(f, "%s[\"%s\", 0.0]", i ? ", " : "", tok);
        else
            fprintf(f, "%s[\"\\u2581p%lld\", %.2f]", i ? ", " : "", i, -2.0 - (double)i / 1000.0);
    }
    fprintf(f, "]}}\n");
    fclose(f);
}

static void convert(const char *dir, const char *out, int dtype)
{
    char err[512];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = out;
    o.dtype = dtype;
    int rc = tr_convert(&o, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("convert %s: %s: %s", dir, tinyrank_status_string(rc), err);
}

static void expect_near(const tr_json *a, size_t n, const float *got, double tol, const char *what,
                        const char *kset)
{
    assert_non_null(a);
    assert_int_equal(a->len, n);
    for (size_t i = 0; i < n; i++) {
        double want = a->items[i].number, diff = fabs(want - got[i]);
        if (!(diff <= tol))
            fail_msg("%s [kernels %s] %zu: got %.9g, Hugging Face %.9g (|diff| %.3g > %.1g)", what,
                     kset, i, got[i], want, diff, tol);
    }
}

/* Opens a session with kernel set `kset` (NULL: the default choice). */
static void open_session(tr_test_model *tm, tr_test_session *ts, const char *path,
                         const char *kset, int max_len, int batch)
{
    if (kset != NULL)
        setenv("TINYRANK_KERNELS", kset, 1);
    assert_int_equal(tr_test_model_open(tm, path), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(ts, tm->model, max_len, batch), TINYRANK_OK);
    if (kset != NULL)
        assert_string_equal(ts->session->k->name, kset);
    unsetenv("TINYRANK_KERNELS");
}

static void check_checksums(const golden *g, const capture *cap, const char *kset)
{
    const tr_json *sums = tr_json_get(g->expected, "layer_checksums");
    assert_non_null(sums);
    assert_int_equal(sums->len, g->n);
    for (size_t i = 0; i < g->n; i++) {
        for (int slot = 0; slot <= g->num_layers + 1; slot++) {
            if (slot == g->num_layers && cap->last_layer_one_row)
                continue;
            char key[48];
            int at = slot;
            if (slot == 0)
                snprintf(key, sizeof key, "embeddings");
            else if (slot <= g->num_layers)
                snprintf(key, sizeof key, "layer.%d", slot - 1);
            else {
                snprintf(key, sizeof key, "classifier.dense_out[vec]");
                at = DENSE_SLOT;
            }
            const tr_json *e = tr_json_get(&sums->items[i], key);
            if (e == NULL)
                fail_msg("expected.json has no checksum '%s'", key);
            double want_sum = tr_json_get_number(e, "sum", 0);
            double want_abs = tr_json_get_number(e, "abs_sum", 0);
            double tol = 2e-6 * want_abs + 1e-4;
            if (fabs(cap->sum[i][at] - want_sum) > tol || fabs(cap->abs_sum[i][at] - want_abs) > tol)
                fail_msg("[kernels %s] pair %zu %s: sum %.6f / abs %.6f, Hugging Face %.6f / %.6f",
                         kset, i, key, cap->sum[i][at], cap->abs_sum[i][at], want_sum, want_abs);
        }
    }
}

/* The golden ids through the f32 model under kernel set kset. */
static void check_f32(const golden *g, const char *path, const char *kset)
{
    tr_test_model tm;
    tr_test_session ts;
    float scores[MAX_PAIRS], single[MAX_PAIRS];
    open_session(&tm, &ts, path, kset, g->max_len, (int)g->n);
    capture *cap = calloc(1, sizeof *cap);
    cap->num_layers = g->num_layers;
    tr_session_set_observer(ts.session, observe, cap);
    int rc = tr_session_score_sequences(ts.session, g->ids, g->types, g->lens, g->n, scores);
    if (rc != TINYRANK_OK)
        fail_msg("score: %s", tinyrank_session_errmsg(ts.session));
    expect_near(tr_json_get(g->expected, "scores"), g->n, scores, 1e-5, "scores (batched)", kset);
    const tr_json *hid =
        tr_json_get(tr_json_get(g->expected, "hidden"), "final_hidden_token0_first8");
    assert_non_null(hid);
    for (size_t i = 0; i < g->n; i++)
        expect_near(&hid->items[i], 8, cap->hidden0[i], 1e-4, "final hidden <s>", kset);
    check_checksums(g, cap, kset);
    free(cap);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);

    /* one pair per run: the same scores (nothing depends on the batch) */
    open_session(&tm, &ts, path, kset, g->max_len, 1);
    size_t at = 0;
    for (size_t i = 0; i < g->n; i++) {
        assert_int_equal(tr_session_score_sequences(ts.session, g->ids + at, g->types + at,
                                                    &g->lens[i], 1, &single[i]),
                         TINYRANK_OK);
        at += g->lens[i];
    }
    expect_near(tr_json_get(g->expected, "scores_unbatched"), g->n, single, 1e-5,
                "scores (unbatched)", kset);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
}

/* "p<id> p<id> ..." of a list of ids. */
static char *ids_text(const tr_json *list)
{
    char *s = calloc(list->len * 8 + 1, 1);
    size_t at = 0;
    for (size_t i = 0; i < list->len; i++)
        at += (size_t)sprintf(s + at, "%sp%lld", i ? " " : "", list->items[i].integer);
    return s;
}

/* The text path on the f32 model: the template, tokenizer and positions. */
static void check_text_path(const golden *g, const char *path)
{
    const tr_json *pairs = tr_json_get(g->inputs, "pairs");
    assert_non_null(pairs);
    assert_int_equal(pairs->len, g->n);
    tr_test_model tm;
    tr_test_session ts;
    open_session(&tm, &ts, path, NULL, 128, 1);
    size_t at = 0;
    float scores[MAX_PAIRS];
    for (size_t i = 0; i < g->n; i++) {
        char *q = ids_text(tr_json_get(&pairs->items[i], "query_ids"));
        char *d = ids_text(tr_json_get(&pairs->items[i], "doc_ids"));
        int32_t ids[256], types[256];
        size_t count = 0;
        assert_int_equal(tinyrank_tokenize_pair(ts.session, q, strlen(q), d, strlen(d), ids, types,
                                                256, &count),
                         TINYRANK_OK);
        assert_int_equal(count, g->lens[i]);
        for (size_t k = 0; k < count; k++) {
            if (ids[k] != g->ids[at + k])
                fail_msg("pair %zu token %zu: id %d, transformers %d", i, k, ids[k], g->ids[at + k]);
            assert_int_equal(types[k], 0);
        }
        const char *passages[1] = {d};
        size_t plen[1] = {strlen(d)};
        assert_int_equal(tinyrank_score_n(ts.session, q, strlen(q), passages, plen, 1, &scores[i]),
                         TINYRANK_OK);
        at += count;
        free(q);
        free(d);
    }
    expect_near(tr_json_get(g->expected, "scores"), g->n, scores, 1e-5, "scores (text path)",
                ts.session->k->name);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);
}

static void test_xlmr_tiny(void **state)
{
    (void)state;
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    golden g;
    golden_load(&g, shared);
    char *tmp = tr_test_mkdtemp();
    assert_non_null(tmp);
    make_folder(&g, tmp);
    char f32_path[1200], i8_path[1200];
    snprintf(f32_path, sizeof f32_path, "%s/model-f32.trk", tmp);
    snprintf(i8_path, sizeof i8_path, "%s/model-int8.trk", tmp);
    convert(tmp, f32_path, TR_CONVERT_F32);
    convert(tmp, i8_path, TR_CONVERT_INT8);

    /* the file says what it is */
    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, f32_path), TINYRANK_OK);
    tinyrank_model_info info;
    assert_int_equal(tinyrank_model_get_info(tm.model, &info), TINYRANK_OK);
    assert_string_equal(info.family, "xlm-roberta");
    /* max_position_embeddings 130 - padding_idx 1 - 1 */
    assert_int_equal(info.default_max_length, 128);
    tr_test_model_close(&tm);

    for (size_t k = 0; k < tr_kernels_count(); k++)
        check_f32(&g, f32_path, tr_kernels_at(k)->name);
    check_text_path(&g, f32_path);

    /* int8: bounded error against the f32 path, under every kernel set */
    for (size_t k = 0; k < tr_kernels_count(); k++) {
        const char *kset = tr_kernels_at(k)->name;
        tr_test_session ts;
        float f32[MAX_PAIRS], q8[MAX_PAIRS];
        open_session(&tm, &ts, f32_path, kset, g.max_len, (int)g.n);
        assert_int_equal(tr_session_score_sequences(ts.session, g.ids, g.types, g.lens, g.n, f32),
                         TINYRANK_OK);
        tr_test_session_close(&ts);
        tr_test_model_close(&tm);
        open_session(&tm, &ts, i8_path, kset, g.max_len, (int)g.n);
        assert_int_equal(tr_session_score_sequences(ts.session, g.ids, g.types, g.lens, g.n, q8),
                         TINYRANK_OK);
        double worst = 0;
        for (size_t i = 0; i < g.n; i++)
            worst = fmax(worst, fabs((double)q8[i] - f32[i]));
        printf("xlmr_tiny [kernels %s]: int8 max |score - f32 score| = %.3g over %zu pairs\n",
               kset, worst, g.n);
        /* the 4 pairs' scores span 1.08e-3 (random head): stay under half of it */
        assert_true(worst < 5e-4);
        tr_test_session_close(&ts);
        tr_test_model_close(&tm);
    }

    tr_test_rmtree(tmp);
    free(tmp);
    golden_free(&g);
}

/* Converts dir with --max-length ml (0: default); returns the status. */
static int convert_status(const char *dir, const char *out, int ml, char *err, size_t errlen)
{
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = out;
    o.dtype = TR_CONVERT_F32;
    o.max_length = ml;
    return tr_convert(&o, err, errlen);
}

static void test_xlmr_real_tokenizer_pairs(void **state)
{
    (void)state;
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    char *tmp = tr_test_mkdtemp();
    assert_non_null(tmp);
    char ck[1200], model[1200], args[1400], err[512];
    snprintf(ck, sizeof ck, "%s/ck", tmp);
    snprintf(model, sizeof model, "%s/xlmr.trk", tmp);
    /* the generator unpacks tokenizer.json.gz with Python's gzip module */
    snprintf(args, sizeof args, "--preset xlmr-tiny --tokenizer-dir '%s/tokenizers/xlm-roberta'",
             shared);
    if (tr_test_make_checkpoint(ck, args) != 0)
        fail_msg("make_checkpoint.py --preset xlmr-tiny failed (python3-numpy missing?)");
    int rc = convert_status(ck, model, 0, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("convert: %s: %s", tinyrank_status_string(rc), err);

    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, model), TINYRANK_OK);
    tinyrank_model_info info;
    assert_int_equal(tinyrank_model_get_info(tm.model, &info), TINYRANK_OK);
    assert_string_equal(info.family, "xlm-roberta");
    assert_int_equal(info.vocab_size, 250002);
    /* min(512, max_position_embeddings 514 - padding_idx 1 - 1) */
    assert_int_equal(info.default_max_length, 512);
    assert_int_equal(info.max_position, 512);
    assert_int_equal(tr_test_session_open(&ts, tm.model, 128, 1), TINYRANK_OK);

    char path[1300];
    snprintf(path, sizeof path, "%s/tokenizers/xlmr.pairs.jsonl", shared);
    tok_jsonl j;
    assert_int_equal(tok_jsonl_load(&j, path), 0);
    assert_int_equal(j.n, 30);
    size_t equal = 0, truncated = 0;
    for (size_t r = 0; r < j.n; r++) {
        const tr_json *a = tr_json_get(j.rec[r], "text_a"), *b = tr_json_get(j.rec[r], "text_b");
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(tr_json_get_int(j.rec[r], "max_length", 0), 128);
        assert_string_equal(tr_json_get_string(j.rec[r], "truncation", ""), "only_second");
        int32_t *want = NULL, *want_types = NULL;
        long m = tok_json_ints(tr_json_get(j.rec[r], "input_ids"), &want);
        long mt = tok_json_ints(tr_json_get(j.rec[r], "token_type_ids"), &want_types);
        assert_true(m > 0 && mt == m);
        int32_t ids[256], types[256];
        size_t n = 0;
        rc = tinyrank_tokenize_pair(ts.session, a->string, a->len, b->string, b->len, ids, types,
                                    256, &n);
        if (rc != TINYRANK_OK)
            fail_msg("pair %zu: %s", r, tinyrank_session_errmsg(ts.session));
        if (n == (size_t)m && memcmp(ids, want, n * sizeof *ids) == 0 &&
            memcmp(types, want_types, n * sizeof *types) == 0)
            equal++;
        else
            printf("pair %zu differs: %zu ids, reference %ld\n", r, n, m);
        truncated += tr_json_get_int(j.rec[r], "untruncated_length", 0) > 128;
        free(want);
        free(want_types);
    }
    printf("xlmr.pairs.jsonl: %zu/%zu pairs equal (%zu of them truncated at 128)\n", equal, j.n,
           truncated);
    assert_int_equal(equal, j.n);

    /* beyond the reference: a query alone longer than max_length loses the
     * whole document, then its own end (transformers' only_second would
     * refuse and return the pair whole); the fixed ids stay: <s> q </s></s></s> */
    const tr_json *long_q = tr_json_get(j.rec[0], "text_b");
    int32_t ids[256];
    size_t n = 0;
    assert_int_equal(tinyrank_tokenize_pair(ts.session, long_q->string, long_q->len, "passage", 7,
                                            ids, NULL, 256, &n),
                     TINYRANK_OK);
    assert_int_equal(n, 128);
    assert_int_equal(ids[0], 0);
    assert_int_not_equal(ids[124], 2);
    assert_int_equal(ids[125], 2);
    assert_int_equal(ids[126], 2);
    assert_int_equal(ids[127], 2);
    /* invalid UTF-8 is an error that names the text at fault */
    assert_int_equal(tinyrank_tokenize_pair(ts.session, "ok", 2, "bad \xff", 5, ids, NULL, 256, &n),
                     TINYRANK_ERR_INVALID_UTF8);
    assert_non_null(strstr(tinyrank_session_errmsg(ts.session), "passage"));
    assert_int_equal(tinyrank_tokenize_pair(ts.session, "\xc3", 1, "ok", 2, ids, NULL, 256, &n),
                     TINYRANK_ERR_INVALID_UTF8);
    assert_non_null(strstr(tinyrank_session_errmsg(ts.session), "query"));
    /* empty texts: only the template's ids */
    assert_int_equal(tinyrank_tokenize_pair(ts.session, "", 0, "", 0, ids, NULL, 256, &n),
                     TINYRANK_OK);
    assert_int_equal(n, 4);
    tok_jsonl_free(&j);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);

    /* a max_length beyond the position table is refused at conversion */
    rc = convert_status(ck, model, 513, err, sizeof err);
    assert_int_equal(rc, TINYRANK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "max-length"));
    /* only sentencepiece.bpe.model (fairseq ids): refused, not mis-converted */
    assert_int_equal(tr_test_system("rm '%s/tokenizer.json' && : > '%s/sentencepiece.bpe.model'",
                                    ck, ck),
                     0);
    rc = convert_status(ck, model, 0, err, sizeof err);
    assert_int_equal(rc, TINYRANK_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "sentencepiece.bpe.model"));

    tr_test_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlmr_tiny),
        cmocka_unit_test(test_xlmr_real_tokenizer_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
