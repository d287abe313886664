/* test_golden_bert.c - BERT cross-encoders against Hugging Face.
 *
 * For every ../shared/golden/bert_* checkpoint: convert it (f32 and int8)
 * with the real converter, feed transformers' own input ids through the
 * runtime, and compare with expected.json, which transformers computed:
 *   f32: scores (batched and one pair at a time) within 1e-5, the first 8
 *        final hidden values of token 0 within 1e-4, and the per-layer
 *        checksums (sum, sum of |x| over real tokens) layer by layer;
 *   int8: the score error against the f32 path is printed and bounded.
 * The golden folders hold no tokenizer (their vocabularies are synthetic),
 * so the test writes a vocab.txt with the special tokens at the ids
 * inputs.json names; the ids are fed directly, bypassing the tokenizer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "converter/hf/json.h"
#include "graph/session.h"
#include "support/tr_test.h"

#define MAX_PAIRS 16
#define MAX_LAYERS 32

typedef struct capture {
    int num_layers;
    size_t n_seqs;
    double sum[MAX_PAIRS][MAX_LAYERS + 1], abs_sum[MAX_PAIRS][MAX_LAYERS + 1];
    float hidden0[MAX_PAIRS][8];
    /* the converter gives the last layer one row per sequence (the first
     * token's: all the score reads), so its checksum over every token is
     * not there to compare; its first row is (hidden0) */
    int last_layer_one_row;
} capture;

/* Index of the checksum slot a tensor feeds: 0 = embeddings, 1 + i = layer i. */
static int slot_of(const tr_tensor *t)
{
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)t->name_len, t->name);
    if (strcmp(name, "bert.embeddings.LayerNorm:out") == 0)
        return 0;
    int layer;
    char tail[64];
    if (sscanf(name, "bert.encoder.layer.%d.%63s", &layer, tail) == 2 &&
        strcmp(tail, "output.LayerNorm:out") == 0)
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
    if (slot < 0 || slot > MAX_LAYERS)
        return;
    size_t h = (size_t)out->dims[1];
    if (out->dims[0] == TR_DIM_SEQUENCES) {
        if (slot == c->num_layers)
            c->last_layer_one_row = 1;
        for (size_t s = 0; s < n_seqs && c->n_seqs + s < MAX_PAIRS; s++)
            for (int k = 0; k < 8; k++)
                c->hidden0[c->n_seqs + s][k] = data[s * h + (size_t)k];
        return;
    }
    for (size_t s = 0; s < n_seqs && c->n_seqs + s < MAX_PAIRS; s++) {
        double sum = 0, abs_sum = 0;
        for (size_t r = seq_start[s]; r < seq_start[s + 1]; r++)
            for (size_t k = 0; k < h; k++) {
                sum += data[r * h + k];
                abs_sum += fabs(data[r * h + k]);
            }
        c->sum[c->n_seqs + s][slot] = sum;
        c->abs_sum[c->n_seqs + s][slot] = abs_sum;
        if (slot == c->num_layers)
            for (int k = 0; k < 8; k++)
                c->hidden0[c->n_seqs + s][k] = data[seq_start[s] * h + (size_t)k];
    }
}

typedef struct golden {
    char dir[1024];
    tr_json *inputs, *expected;
    size_t n;
    int32_t *ids, *types;
    uint32_t lens[MAX_PAIRS];
    int num_layers;
} golden;


static void golden_load(golden *g, const char *shared, const char *name)
{
    char path[1200];
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "%s/golden/%s", shared, name);
    snprintf(path, sizeof path, "%s/inputs.json", g->dir);
    g->inputs = tr_test_load_json(path);
    snprintf(path, sizeof path, "%s/expected.json", g->dir);
    g->expected = tr_test_load_json(path);
    const tr_json *ids = tr_json_get(g->inputs, "input_ids");
    const tr_json *mask = tr_json_get(g->inputs, "attention_mask");
    const tr_json *types = tr_json_get(g->inputs, "token_type_ids");
    assert_non_null(ids);
    g->n = ids->len;
    assert_true(g->n <= MAX_PAIRS);
    size_t total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += ids->items[i].len;
    g->ids = calloc(total, sizeof(int32_t));
    g->types = calloc(total, sizeof(int32_t));
    size_t at = 0;
    for (size_t i = 0; i < g->n; i++) {
        uint32_t len = 0;
        for (size_t j = 0; j < ids->items[i].len; j++) {
            if (mask->items[i].items[j].integer == 0)
                continue; /* padding: the runtime packs sequences without it */
            g->ids[at] = (int32_t)ids->items[i].items[j].integer;
            g->types[at] = (int32_t)types->items[i].items[j].integer;
            at++;
            len++;
        }
        g->lens[i] = len;
    }
    char cfgpath[1200];
    snprintf(cfgpath, sizeof cfgpath, "%s/config.json", g->dir);
    tr_json *cfg = tr_test_load_json(cfgpath);
    g->num_layers = (int)tr_json_get_int(cfg, "num_hidden_layers", 0);
    tr_json_free(cfg);
}

static void golden_free(golden *g)
{
    tr_json_free(g->inputs);
    tr_json_free(g->expected);
    free(g->ids);
    free(g->types);
}

/* A checkpoint folder: the golden config and weights, plus a vocab.txt whose
 * special tokens sit at the ids inputs.json names. */
static void make_folder(const golden *g, const char *tmp)
{
    char path[1200];
    assert_int_equal(tr_test_system("ln -s '%s/config.json' '%s/model.safetensors' '%s/'", g->dir,
                                    g->dir, tmp),
                     0);
    const tr_json *sp = tr_json_get(g->inputs, "special_token_ids");
    snprintf(path, sizeof path, "%s/config.json", g->dir);
    tr_json *cfg = tr_test_load_json(path);
    long long vocab = tr_json_get_int(cfg, "vocab_size", 0);
    tr_json_free(cfg);
    snprintf(path, sizeof path, "%s/vocab.txt", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (long long i = 0; i < vocab; i++) {
        const char *tok = NULL;
        static const char *names[] = {"pad", "unk", "cls", "sep", "mask"};
        static const char *texts[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
        for (int k = 0; k < 5; k++)
            if (tr_json_get_int(sp, names[k], -1) == i)
                tok = texts[k];
        if (tok)
            fprintf(f, "%s\n", tok);
        else
            fprintf(f, "tok%lld\n", i);
    }
    fclose(f);
}

static void expect_array(const tr_json *a, size_t n, const float *got, double tol, const char *what)
{
    assert_non_null(a);
    assert_int_equal(a->len, n);
    for (size_t i = 0; i < n; i++) {
        double want = a->items[i].number;
        double diff = fabs(want - got[i]);
        if (!(diff <= tol))
            fail_msg("%s[%zu]: got %.9g, Hugging Face %.9g (|diff| %.3g > %.1g)", what, i, got[i],
                     want, diff, tol);
    }
}

static void run_case(const char *name)
{
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    golden g;
    golden_load(&g, shared, name);
    char *tmp = tr_test_mkdtemp();
    assert_non_null(tmp);
    make_folder(&g, tmp);
    char f32_path[1200], i8_path[1200];
    snprintf(f32_path, sizeof f32_path, "%s/model-f32.trk", tmp);
    snprintf(i8_path, sizeof i8_path, "%s/model-int8.trk", tmp);
    assert_int_equal(tr_test_convert(tmp, f32_path, "f32"), TINYRANK_OK);
    assert_int_equal(tr_test_convert(tmp, i8_path, "int8"), TINYRANK_OK);

    int max_len = 0;
    for (size_t i = 0; i < g.n; i++)
        max_len = (int)g.lens[i] > max_len ? (int)g.lens[i] : max_len;

    /* f32, batched: scores, hidden values, layer checksums */
    tr_test_model tm;
    tr_test_session ts;
    assert_int_equal(tr_test_model_open(&tm, f32_path), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, max_len, (int)g.n), TINYRANK_OK);
    capture *cap = calloc(1, sizeof *cap);
    cap->num_layers = g.num_layers;
    tr_session_set_observer(ts.session, observe, cap);
    float scores[MAX_PAIRS], single[MAX_PAIRS], q8[MAX_PAIRS];
    assert_int_equal(tr_session_score_sequences(ts.session, g.ids, g.types, g.lens, g.n, scores),
                     TINYRANK_OK);
    expect_array(tr_json_get(g.expected, "scores"), g.n, scores, 1e-5, "scores (batched)");
    const tr_json *hid = tr_json_get(tr_json_get(g.expected, "hidden"), "final_hidden_token0_first8");
    for (size_t i = 0; i < g.n; i++)
        expect_array(&hid->items[i], 8, cap->hidden0[i], 1e-4, "final hidden token 0");
    const tr_json *sums = tr_json_get(g.expected, "layer_checksums");
    for (size_t i = 0; i < g.n; i++) {
        for (int slot = 0; slot <= g.num_layers; slot++) {
            if (slot == g.num_layers && cap->last_layer_one_row)
                continue;
            char key[32];
            if (slot == 0)
                snprintf(key, sizeof key, "embeddings");
            else
                snprintf(key, sizeof key, "layer.%d", slot - 1);
            const tr_json *e = tr_json_get(&sums->items[i], key);
            assert_non_null(e);
            double want_sum = tr_json_get_number(e, "sum", 0), want_abs = tr_json_get_number(e, "abs_sum", 0);
            double tol = 2e-6 * want_abs + 1e-4;
            if (fabs(cap->sum[i][slot] - want_sum) > tol || fabs(cap->abs_sum[i][slot] - want_abs) > tol)
                fail_msg("%s pair %zu %s: sum %.6f / abs %.6f, Hugging Face %.6f / %.6f", name, i,
                         key, cap->sum[i][slot], cap->abs_sum[i][slot], want_sum, want_abs);
        }
    }
    tr_test_session_close(&ts);

    /* f32, one pair per run: same scores as batched (no padding effects) */
    assert_int_equal(tr_test_session_open(&ts, tm.model, max_len, 1), TINYRANK_OK);
    size_t at = 0;
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(tr_session_score_sequences(ts.session, g.ids + at, g.types + at, &g.lens[i], 1,
                                                    &single[i]),
                         TINYRANK_OK);
        at += g.lens[i];
    }
    expect_array(tr_json_get(g.expected, "scores_unbatched"), g.n, single, 1e-5, "scores (unbatched)");
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);

    /* int8: bounded error against the f32 path */
    assert_int_equal(tr_test_model_open(&tm, i8_path), TINYRANK_OK);
    assert_int_equal(tr_test_session_open(&ts, tm.model, max_len, (int)g.n), TINYRANK_OK);
    assert_int_equal(tr_session_score_sequences(ts.session, g.ids, g.types, g.lens, g.n, q8), TINYRANK_OK);
    double worst = 0;
    for (size_t i = 0; i < g.n; i++)
        worst = fmax(worst, fabs((double)q8[i] - scores[i]));
    printf("%s: int8 max |score - f32 score| = %.3g over %zu pairs\n", name, worst, g.n);
    assert_true(worst < 5e-3);
    tr_test_session_close(&ts);
    tr_test_model_close(&tm);

    free(cap);
    tr_test_rmtree(tmp);
    free(tmp);
    golden_free(&g);
}

static void test_bert_tiny(void **state)
{
    (void)state;
    run_case("bert_tiny");
}

static void test_bert_minilm_l6_shape(void **state)
{
    (void)state;
    run_case("bert_minilm_l6_shape");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bert_tiny),
        cmocka_unit_test(test_bert_minilm_l6_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
