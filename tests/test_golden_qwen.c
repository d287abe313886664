/* test_golden_qwen.c - Qwen2 / Qwen3 decoder rerankers against Hugging Face.
 *
 * For ../shared/golden/qwen2_tiny (Qwen2ForCausalLM, mxbai-rerank-v2 style:
 * score = logit(yes) - logit(no)) and qwen3_tiny (Qwen3ForCausalLM,
 * Qwen3-Reranker style: p(yes) = softmax([no, yes])[1]): convert with the
 * real converter (f32 and int8), feed transformers' own input ids (left
 * padding removed: the runtime packs sequences without padding) and compare
 * with expected.json, which transformers computed:
 *   f32: scores batched and one pair at a time within 1e-4 (printed: the
 *        largest difference), the per-layer checksums (sum, sum of |x| over
 *        real tokens) to locate a divergence, on every kernel set the CPU
 *        runs;
 *   prefix reuse: the prompt prefix shared by the pairs run once into the
 *        K/V caches gives the recomputed scores within 1e-5 (batches of all
 *        pairs, of 2, and of 1);
 *   int8: the score error against Hugging Face is printed and bounded.
 * The golden folders hold no tokenizer (their vocabulary is synthetic), so
 * the test writes a byte-level BPE tokenizer.json of the config's size with
 * <|endoftext|>, <|im_start|>, <|im_end|> at the ids inputs.json names;
 * the score tokens are given by id (--score-tokens "#no,#yes"). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "converter/convert.h"
#include "converter/hf/bpe_files.h"
#include "converter/hf/json.h"
#include "graph/session.h"
#include "kernels/kernels.h"
#include "support/tr_test.h"

#define MAX_PAIRS 16
#define MAX_LAYERS 32

typedef struct capture {
    size_t n_seqs;
    double sum[MAX_PAIRS][MAX_LAYERS + 1], abs_sum[MAX_PAIRS][MAX_LAYERS + 1];
    /* the converter gives the last layer one row per sequence (the last
     * token's: all the score reads), so its checksum over every token is
     * not there to compare; the score covers that layer */
    int last_layer_one_row;
} capture;

/* Checksum slot of a tensor: 0 = embeddings, 1 + i = output of layer i. */
static int slot_of(const tr_tensor *t)
{
    char name[128], tail[64];
    int layer;
    snprintf(name, sizeof name, "%.*s", (int)t->name_len, t->name);
    if (strcmp(name, "model.embed_tokens:out") == 0)
        return 0;
    if (sscanf(name, "model.layers.%d%63s", &layer, tail) == 2 && strcmp(tail, ":out") == 0)
        return 1 + layer;
    return -1;
}

static void observe(void *user, const tr_node *node, const tr_tensor *out, const float *data,
                    size_t rows, const uint32_t *seq_start, size_t n_seqs)
{
    capture *c = user;
    (void)node, (void)rows;
    int slot = slot_of(out);
    if (slot < 0 || slot > MAX_LAYERS)
        return;
    size_t h = (size_t)out->dims[1];
    if (out->dims[0] == TR_DIM_SEQUENCES) {
        c->last_layer_one_row = 1;
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
    }
}

typedef struct golden {
    char dir[1024];
    tr_json *inputs, *expected;
    size_t n, total;
    int32_t *ids, *types;
    uint32_t lens[MAX_PAIRS];
    int num_layers, max_len;
    long long vocab;
    int32_t yes, no;
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
    assert_non_null(ids);
    assert_non_null(mask);
    g->n = ids->len;
    assert_true(g->n <= MAX_PAIRS);
    for (size_t i = 0; i < g->n; i++)
        g->total += ids->items[i].len;
    g->ids = calloc(g->total, sizeof(int32_t));
    g->types = calloc(g->total, sizeof(int32_t)); /* unused by decoders: zeros */
    size_t at = 0;
    for (size_t i = 0; i < g->n; i++) {
        uint32_t len = 0;
        for (size_t j = 0; j < ids->items[i].len; j++) {
            if (mask->items[i].items[j].integer == 0)
                continue; /* left padding: the runtime packs without it */
            g->ids[at++] = (int32_t)ids->items[i].items[j].integer;
            len++;
        }
        g->lens[i] = len;
        g->max_len = (int)len > g->max_len ? (int)len : g->max_len;
    }
    const tr_json *sp = tr_json_get(g->inputs, "special_token_ids");
    g->yes = (int32_t)tr_json_get_int(sp, "yes", -1);
    g->no = (int32_t)tr_json_get_int(sp, "no", -1);
    assert_true(g->yes >= 0 && g->no >= 0);
    snprintf(path, sizeof path, "%s/config.json", g->dir);
    tr_json *cfg = tr_test_load_json(path);
    g->num_layers = (int)tr_json_get_int(cfg, "num_hidden_layers", 0);
    g->vocab = tr_json_get_int(cfg, "vocab_size", 0);
    tr_json_free(cfg);
    assert_true(g->num_layers <= MAX_LAYERS);
}

static void golden_free(golden *g)
{
    tr_json_free(g->inputs);
    tr_json_free(g->expected);
    free(g->ids);
    free(g->types);
}

/* GPT-2's byte-level alphabet: the code point that stands for byte b. */
static unsigned byte_char(unsigned b)
{
    if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff))
        return b;
    unsigned n = 0;
    for (unsigned k = 0; k < b; k++)
        if (!((k >= '!' && k <= '~') || (k >= 0xa1 && k <= 0xac) || (k >= 0xae && k <= 0xff)))
            n++;
    return 256 + n;
}

static void put_utf8_json(FILE *f, unsigned cp)
{
    if (cp == '"' || cp == '\\')
        fprintf(f, "\\%c", (char)cp);
    else if (cp < 0x80)
        fputc((int)cp, f);
    else if (cp < 0x800)
        fprintf(f, "%c%c", (char)(0xc0 | (cp >> 6)), (char)(0x80 | (cp & 0x3f)));
    else
        fprintf(f, "%c%c%c", (char)(0xe0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3f)),
                (char)(0x80 | (cp & 0x3f)));
}

/* A tokenizer.json of vocab_size tokens: the 256 bytes, two-letter merges
 * up to the special tokens' ids, and the three special tokens. */
static void write_tokenizer(const golden *g, const char *tmp)
{
    char path[1200];
    const tr_json *sp = tr_json_get(g->inputs, "special_token_ids");
    const long long eot = tr_json_get_int(sp, "pad_endoftext", -1);
    const long long ims = tr_json_get_int(sp, "im_start", -1), ime = tr_json_get_int(sp, "im_end", -1);
    assert_true(eot == g->vocab - 3 && ims == g->vocab - 2 && ime == g->vocab - 1);
    const long long n_pairs = g->vocab - 3 - 256;
    assert_true(n_pairs > 0 && n_pairs <= 52 * 26);
    snprintf(path, sizeof path, "%s/tokenizer.json", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[");
    static const char *specials[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    for (int i = 0; i < 3; i++)
        fprintf(f, "%s{\"id\":%lld,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,"
                   "\"rstrip\":false,\"normalized\":false,\"special\":true}",
                i ? "," : "", eot + i, specials[i]);
    fprintf(f, "],\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":\"Sequence\","
               "\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"");
    for (const char *p = TR_QWEN2_SPLIT_PATTERN; *p; p++)
        put_utf8_json(f, (unsigned char)*p);
    fprintf(f, "\"},\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\","
               "\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}]},"
               "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"BPE\","
               "\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":\"\","
               "\"end_of_word_suffix\":\"\",\"fuse_unk\":false,\"byte_fallback\":false,"
               "\"ignore_merges\":false,\"vocab\":{");
    for (unsigned b = 0; b < 256; b++) {
        fprintf(f, "%s\"", b ? "," : "");
        put_utf8_json(f, byte_char(b));
        fprintf(f, "\":%u", b);
    }
    for (long long i = 0; i < n_pairs; i++)
        fprintf(f, ",\"%c%c\":%lld", (char)(i < 676 ? 'a' + i / 26 : 'A' + (i - 676) / 26),
                (char)('a' + i % 26), 256 + i);
    fprintf(f, "},\"merges\":[");
    for (long long i = 0; i < n_pairs; i++)
        fprintf(f, "%s\"%c %c\"", i ? "," : "", (char)(i < 676 ? 'a' + i / 26 : 'A' + (i - 676) / 26),
                (char)('a' + i % 26));
    fprintf(f, "]}}\n");
    fclose(f);
}

static char *make_folder(const golden *g)
{
    char *tmp = tr_test_mkdtemp();
    assert_non_null(tmp);
    assert_int_equal(tr_test_system("ln -s '%s/config.json' '%s/model.safetensors' '%s/'", g->dir,
                                    g->dir, tmp),
                     0);
    write_tokenizer(g, tmp);
    return tmp;
}

static void convert_with(const golden *g, const char *dir, const char *out, bool qwen3, int dtype,
                         const char *keep_f32, int smooth)
{
    char err[512], tokens[64];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = out;
    o.dtype = dtype;
    o.template_name = qwen3 ? "qwen3-reranker" : "mxbai-rerank-v2";
    snprintf(tokens, sizeof tokens, "#%d,#%d", (int)g->no, (int)g->yes);
    o.score_tokens = tokens;
    o.keep_f32 = keep_f32;
    o.smooth = smooth;
    int rc = tr_convert(&o, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("convert %s: %s: %s", dir, tinyrank_status_string(rc), err);
}

static void convert(const golden *g, const char *dir, const char *out, bool qwen3, int dtype)
{
    convert_with(g, dir, out, qwen3, dtype, NULL, 0);
}

static double max_diff(const tr_json *want, const float *got, size_t n)
{
    assert_non_null(want);
    assert_int_equal(want->len, n);
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(want->items[i].number - (double)got[i]));
    return worst;
}

static void expect_scores(const tr_json *want, const float *got, size_t n, double tol,
                          const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(want->items[i].number - (double)got[i]);
        if (!(diff <= tol))
            fail_msg("%s[%zu]: got %.9g, Hugging Face %.9g (|diff| %.3g > %.1g)", what, i, got[i],
                     want->items[i].number, diff, tol);
    }
}

static void check_checksums(const golden *g, const capture *cap, const char *kset)
{
    const tr_json *sums = tr_json_get(g->expected, "layer_checksums");
    assert_non_null(sums);
    for (size_t i = 0; i < g->n; i++)
        for (int slot = 0; slot <= g->num_layers; slot++) {
            if (slot == g->num_layers && cap->last_layer_one_row)
                continue;
            char key[32];
            if (slot == 0)
                snprintf(key, sizeof key, "embed_tokens");
            else
                snprintf(key, sizeof key, "layer.%d", slot - 1);
            const tr_json *e = tr_json_get(&sums->items[i], key);
            assert_non_null(e);
            double want_sum = tr_json_get_number(e, "sum", 0);
            double want_abs = tr_json_get_number(e, "abs_sum", 0);
            double tol = 2e-6 * want_abs + 1e-4;
            if (fabs(cap->sum[i][slot] - want_sum) > tol || fabs(cap->abs_sum[i][slot] - want_abs) > tol)
                fail_msg("%s (%s) pair %zu %s: sum %.6f / abs %.6f, Hugging Face %.6f / %.6f",
                         g->dir, kset, i, key, cap->sum[i][slot], cap->abs_sum[i][slot], want_sum,
                         want_abs);
        }
}

/* Scores all pairs in batches of `batch` with prefix reuse on or off. */
static void score_batches(const tr_test_model *tm, const golden *g, int batch, bool reuse,
                          const tr_kernels *k, float *scores, size_t *cache_rows)
{
    tr_test_session ts;
    assert_int_equal(tr_test_session_open(&ts, tm->model, g->max_len, batch), TINYRANK_OK);
    ts.session->k = k;
    tr_session_set_prefix_reuse(ts.session, reuse);
    size_t at = 0;
    for (size_t first = 0; first < g->n; first += (size_t)batch) {
        size_t count = g->n - first < (size_t)batch ? g->n - first : (size_t)batch;
        int rc = tr_session_score_sequences(ts.session, g->ids + at, g->types + at,
                                            g->lens + first, count, scores + first);
        if (rc != TINYRANK_OK)
            fail_msg("score (batches of %d, reuse %d): %s: %s", batch, (int)reuse,
                     tinyrank_status_string(rc), tinyrank_session_errmsg(ts.session));
        for (size_t i = 0; i < count; i++)
            at += g->lens[first + i];
    }
    if (cache_rows != NULL)
        *cache_rows = ts.session->cache_len;
    tr_test_session_close(&ts);
}

/* Every pair in one batch with prefix reuse on `threads` threads of a pool:
 * the operators cut their work into tiles that do not depend on the thread
 * count, so the scores must be bit-identical to one thread's. */
static void score_threads(const tr_test_model *tm, const golden *g, int threads, float *scores)
{
    tinyrank_threadpool_storage storage;
    tinyrank_threadpool *pool;
    assert_int_equal(tinyrank_threadpool_create(&storage, threads, &pool), TINYRANK_OK);
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = g->max_len;
    p.max_batch = (int)g->n;
    p.threadpool = pool;
    size_t bytes;
    assert_int_equal(tinyrank_arena_size(tm->model, &p, &bytes), TINYRANK_OK);
    void *arena = malloc(bytes);
    tinyrank_session *s;
    assert_int_equal(tinyrank_session_create(tm->model, &p, arena, bytes, &s), TINYRANK_OK);
    assert_int_equal(tr_session_score_sequences(s, g->ids, g->types, g->lens, g->n, scores),
                     TINYRANK_OK);
    assert_true(s->cache_len > 0);
    free(arena);
    tinyrank_threadpool_destroy(pool);
}

static void run_case(const char *name, bool qwen3)
{
    const char *shared = tr_test_shared();
    if (shared == NULL) {
        skip();
        return;
    }
    golden g;
    golden_load(&g, shared, name);
    char *tmp = make_folder(&g);
    char f32_path[1200], i8_path[1200];
    snprintf(f32_path, sizeof f32_path, "%s/model-f32.trk", tmp);
    snprintf(i8_path, sizeof i8_path, "%s/model-int8.trk", tmp);
    convert(&g, tmp, f32_path, qwen3, TR_CONVERT_F32);
    convert(&g, tmp, i8_path, qwen3, TR_CONVERT_INT8);
    const tr_json *want = tr_json_get(g.expected, "scores");
    const tr_json *want_single = tr_json_get(g.expected, "scores_unbatched");

    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, f32_path), TINYRANK_OK);
    float scores[MAX_PAIRS], single[MAX_PAIRS], reuse[MAX_PAIRS], q8[MAX_PAIRS];
    for (size_t ks = 0; ks < tr_kernels_count(); ks++) {
        const tr_kernels *k = tr_kernels_at(ks);
        /* f32, all pairs in one batch, recomputed: scores and checksums */
        tr_test_session ts;
        assert_int_equal(tr_test_session_open(&ts, tm.model, g.max_len, (int)g.n), TINYRANK_OK);
        ts.session->k = k;
        tr_session_set_prefix_reuse(ts.session, false);
        capture *cap = calloc(1, sizeof *cap);
        tr_session_set_observer(ts.session, observe, cap);
        assert_int_equal(tr_session_score_sequences(ts.session, g.ids, g.types, g.lens, g.n, scores),
                         TINYRANK_OK);
        tr_test_session_close(&ts);
        check_checksums(&g, cap, k->name);
        free(cap);
        printf("%s [%s] f32 batched: max |score - HF| = %.3g\n", name, k->name,
               max_diff(want, scores, g.n));
        expect_scores(want, scores, g.n, 1e-4, "scores (batched)");

        /* f32, one pair per run */
        score_batches(&tm, &g, 1, false, k, single, NULL);
        printf("%s [%s] f32 one at a time: max |score - HF unbatched| = %.3g\n", name, k->name,
               max_diff(want_single, single, g.n));
        expect_scores(want_single, single, g.n, 1e-4, "scores (unbatched)");

        /* prefix reuse against recomputing, batches of all pairs, 2 and 1 */
        const int batches[] = {(int)g.n, 2, 1};
        for (int b = 0; b < 3; b++) {
            size_t rows = 0;
            score_batches(&tm, &g, batches[b], true, k, reuse, &rows);
            double worst = 0;
            for (size_t i = 0; i < g.n; i++)
                worst = fmax(worst, fabs((double)reuse[i] - (batches[b] == 1 ? single : scores)[i]));
            printf("%s [%s] prefix reuse, batches of %d (%zu cached rows): max |reuse - "
                   "recompute| = %.3g\n", name, k->name, batches[b], rows, worst);
            assert_true(rows > 0); /* the pairs share the prompt prefix: it was used */
            assert_true(worst <= 1e-5);
            expect_scores(want, reuse, g.n, 1e-4, "scores (prefix reuse)");
        }
    }
    /* threads: bit-identical scores with prefix reuse, default kernels */
    float one[MAX_PAIRS], three[MAX_PAIRS];
    score_batches(&tm, &g, (int)g.n, true, tr_kernels_select(), one, NULL);
    score_threads(&tm, &g, 3, three);
    assert_memory_equal(one, three, g.n * sizeof(float));
    tr_test_model_close(&tm);

    /* int8: bounded error against Hugging Face */
    assert_int_equal(tr_test_model_open(&tm, i8_path), TINYRANK_OK);
    score_batches(&tm, &g, (int)g.n, true, tr_kernels_select(), q8, NULL);
    double worst = max_diff(want, q8, g.n), lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < g.n; i++)
        lo = fmin(lo, want->items[i].number), hi = fmax(hi, want->items[i].number);
    printf("%s: int8 max |score - HF| = %.3g over %zu pairs (HF score spread %.3g)\n", name,
           worst, g.n, hi - lo);
    assert_true(worst < 2e-2);
    tr_test_model_close(&tm);

    /* int8 options (tests/test_qwen_int8.c has the same table on generated
     * checkpoints): printed for the report, not asserted */
    static const struct { const char *keep; int smooth; const char *label; } opts[] = {
        {NULL, 1, "smooth"}, {"down", 0, "f32 down"}, {"gate_up,down", 0, "f32 mlp"},
        {"embed", 1, "smooth+f32 embed"}};
    for (size_t v = 0; v < sizeof opts / sizeof opts[0]; v++) {
        convert_with(&g, tmp, i8_path, qwen3, TR_CONVERT_INT8, opts[v].keep, opts[v].smooth);
        assert_int_equal(tr_test_model_open(&tm, i8_path), TINYRANK_OK);
        score_batches(&tm, &g, (int)g.n, true, tr_kernels_select(), q8, NULL);
        printf("%s: int8 %-19s max |score - HF| = %.3g\n", name, opts[v].label,
               max_diff(want, q8, g.n));
        tr_test_model_close(&tm);
    }

    tr_test_rmtree(tmp);
    free(tmp);
    golden_free(&g);
}

static void test_qwen2_tiny(void **state)
{
    (void)state;
    run_case("qwen2_tiny", false);
}

static void test_qwen3_tiny(void **state)
{
    (void)state;
    run_case("qwen3_tiny", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qwen2_tiny),
        cmocka_unit_test(test_qwen3_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
