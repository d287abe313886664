/* test_unigram.c - the SentencePiece Unigram tokenizer (T5), end to end:
 * converter parse (spiece.model or tokenizer.json) -> the Tokenizer table
 * exactly as the model writer stores it -> the runtime's loader ->
 * tr_tokenizer_encode, against transformers' slow T5Tokenizer ids in
 * ../shared/tokenizers (t5.ids.jsonl, t5.monot5_inputs.jsonl,
 * t5.mvp_inputs.jsonl). The core tests need no ../shared: they write a
 * tiny tokenizer.json whose expected ids are worked out by hand below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "converter/hf/unigram_files.h"
#include "converter/write/model_writer.h"
#include "format/fb_reader.h"
#include "support/tok_fixture.h"
#include "tinyrank.h"
#include "tokenizer/tokenizer.h"

/* A tokenizer as the runtime sees it, built from a checkpoint folder. */
typedef struct uni {
    tr_unigram_files files;
    uint8_t *fb;
    size_t fb_len;
    tr_tokenizer tok;
    void *scratch;
} uni;

static int uni_open(uni *u, const char *dir, int source)
{
    memset(u, 0, sizeof *u);
    char err[512];
    int rc = tr_unigram_files_load(dir, source, &u->files, err, sizeof err);
    if (rc != TINYRANK_OK) {
        printf("load %s: %s\n", dir, err);
        return rc;
    }
    tr_ir_tokenizer ir;
    memset(&ir, 0, sizeof ir);
    tr_unigram_files_fill_ir(&u->files, &ir);
    rc = tr_tokenizer_fb_build(&ir, &u->fb, &u->fb_len);
    if (rc != TINYRANK_OK)
        return rc;
    tr_fb_table root;
    if (!tr_fb_root(u->fb, (uint32_t)u->fb_len, 4, "TKNZ", &root))
        return TINYRANK_ERR_CORRUPT_MODEL;
    rc = tr_tokenizer_load(&u->tok, &root, err, sizeof err);
    if (rc != TINYRANK_OK) {
        printf("runtime load: %s\n", err);
        return rc;
    }
    u->scratch = malloc(tr_tokenizer_scratch_bytes(&u->tok));
    return u->scratch ? TINYRANK_OK : TINYRANK_ERR_INTERNAL;
}

static void uni_close(uni *u)
{
    tr_unigram_files_free(&u->files);
    free(u->fb);
    free(u->scratch);
}

static int encode1(const uni *u, const char *s, size_t len, int32_t *ids, size_t cap, size_t *n,
                   bool *trunc)
{
    tr_span sp = {s, len};
    return tr_tokenizer_encode(&u->tok, &sp, 1, u->scratch, ids, cap, n, trunc);
}

static void print_ids(const char *what, const int32_t *ids, size_t n)
{
    printf("  %s:", what);
    for (size_t i = 0; i < n && i < 40; i++)
        printf(" %d", (int)ids[i]);
    printf("%s\n", n > 40 ? " ..." : "");
}

/* Compares the ids of text with want; prints the first difference. */
static bool same_ids(const int32_t *got, size_t n, const int32_t *want, size_t m)
{
    if (n == m && memcmp(got, want, n * sizeof *got) == 0)
        return true;
    print_ids("got ", got, n);
    print_ids("want", want, m);
    return false;
}

/* ---- core: a tiny tokenizer.json written here (no ../shared) */

static char g_tiny_dir[256];

/* Pieces and scores chosen so that each rule has one visible outcome:
 *   "▁ab" (-5) beats "▁" + "ab" (-2 + -4 = -6) and "▁a" + "b" (-3 + -3);
 *   "c" is in no piece: unknown, score min(-6) - 10; runs of them merge;
 *   "<x>" is an added token with rstrip+lstrip only through its name
 *   <extra_id_0> (the slow T5Tokenizer's rule). */
#define TINY_ADDED                                                                                 \
    "{\"version\":\"1.0\",\"added_tokens\":["                                                      \
    "{\"id\":0,\"content\":\"<pad>\",\"special\":true,\"lstrip\":false,\"rstrip\":false,"          \
    "\"single_word\":false,\"normalized\":false},"                                                 \
    "{\"id\":1,\"content\":\"</s>\",\"special\":true,\"lstrip\":false,\"rstrip\":false,"           \
    "\"single_word\":false,\"normalized\":false},"                                                 \
    "{\"id\":2,\"content\":\"<unk>\",\"special\":true,\"lstrip\":false,\"rstrip\":false,"          \
    "\"single_word\":false,\"normalized\":false}"
#define TINY_EXTRA_ID                                                                              \
    ",{\"id\":10,\"content\":\"<extra_id_0>\",\"special\":true,\"lstrip\":false,"                  \
    "\"rstrip\":false,\"single_word\":false,\"normalized\":false}"
#define TINY_PRE_T5                                                                                \
    "],\"normalizer\":null,"                                                                       \
    "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"WhitespaceSplit\"},"  \
    "{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"add_prefix_space\":true}]},"
#define TINY_PRE_HF                                                                                \
    "],\"normalizer\":null,"                                                                       \
    "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\","                       \
    "\"add_prefix_space\":true},"
#define TINY_MODEL                                                                                 \
    "\"model\":{\"type\":\"Unigram\",\"unk_id\":2,\"vocab\":["                                     \
    "[\"<pad>\",0.0],[\"</s>\",0.0],[\"<unk>\",0.0],[\"\\u2581\",-2.0],[\"a\",-3.0],"              \
    "[\"b\",-3.0],[\"ab\",-4.0],[\"\\u2581ab\",-5.0],[\"\\u2581a\",-3.0],[\"\\u2581b\",-6.0],"     \
    "[\"<extra_id_0>\",0.0]]}}"
static const char *k_tiny_json = TINY_ADDED TINY_EXTRA_ID TINY_PRE_T5 TINY_MODEL;
/* without <extra_id_0> and WhitespaceSplit: not a T5 tokenizer */
static const char *k_tiny_hf_json = TINY_ADDED TINY_PRE_HF TINY_MODEL;

static int tiny_setup(void **state)
{
    (void)state;
    snprintf(g_tiny_dir, sizeof g_tiny_dir, "/tmp/tinyrank_unigram_%d", (int)getpid());
    mkdir(g_tiny_dir, 0700);
    char path[512];
    snprintf(path, sizeof path, "%s/tokenizer.json", g_tiny_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(k_tiny_json, f);
    fclose(f);
    return 0;
}

static int tiny_teardown(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/tokenizer.json", g_tiny_dir);
    remove(path);
    rmdir(g_tiny_dir);
    return 0;
}

static void expect_text(const uni *u, const char *text, const int32_t *want, size_t m)
{
    int32_t ids[64];
    size_t n;
    bool trunc;
    assert_int_equal(encode1(u, text, strlen(text), ids, 64, &n, &trunc), TINYRANK_OK);
    if (!same_ids(ids, n, want, m))
        fail_msg("text \"%s\"", text);
    assert_false(trunc);
}

static void test_core_rules(void **state)
{
    (void)state;
    uni u;
    assert_int_equal(uni_open(&u, g_tiny_dir, TR_UNI_SOURCE_TOKENIZER_JSON), TINYRANK_OK);
    /* Viterbi: ▁ab (-5) over ▁ + ab (-6) and ▁a + b (-6) */
    expect_text(&u, "ab", (const int32_t[]){7}, 1);
    /* words: spaces collapse, leading/trailing ones vanish */
    expect_text(&u, "  ab   ab ", (const int32_t[]){7, 7}, 2);
    /* "abab": ▁ab + ab (-9) beats ▁a + b + ab (-10) */
    expect_text(&u, "abab", (const int32_t[]){7, 6}, 2);
    /* unknown: "c" has no piece; "cc" is ONE <unk> (runs merge), "▁" stays */
    expect_text(&u, "acca", (const int32_t[]){8, 2, 4}, 3);
    expect_text(&u, "c", (const int32_t[]){3, 2}, 2);
    /* added tokens split first; <extra_id_0> eats spaces on both sides, so
     * the text after it gets its own "▁" prefix; "▁b" (-6) loses to
     * "▁" + "b" (-5) */
    expect_text(&u, "a <extra_id_0> b", (const int32_t[]){8, 10, 3, 5}, 4);
    expect_text(&u, "a</s>", (const int32_t[]){8, 1}, 2);
    /* </s> strips nothing: " " before it is encoded alone (nothing) */
    expect_text(&u, "b </s> a", (const int32_t[]){3, 5, 1, 8}, 4);
    expect_text(&u, "", (const int32_t[]){0}, 0);
    expect_text(&u, "   ", (const int32_t[]){0}, 0);
    uni_close(&u);
}

static void test_core_spans_cap_utf8(void **state)
{
    (void)state;
    uni u;
    assert_int_equal(uni_open(&u, g_tiny_dir, TR_UNI_SOURCE_TOKENIZER_JSON), TINYRANK_OK);
    const char *text = "ab <extra_id_0>abab c";
    int32_t whole[64], parts[64];
    size_t n1, n2;
    bool t1, t2;
    assert_int_equal(encode1(&u, text, strlen(text), whole, 64, &n1, &t1), TINYRANK_OK);
    /* every split point, including inside the added token */
    for (size_t cut = 0; cut <= strlen(text); cut++) {
        tr_span sp[3] = {{text, cut}, {"", 0}, {text + cut, strlen(text) - cut}};
        assert_int_equal(tr_tokenizer_encode(&u.tok, sp, 3, u.scratch, parts, 64, &n2, &t2),
                         TINYRANK_OK);
        assert_true(same_ids(parts, n2, whole, n1));
    }
    /* cap: a prefix of the ids and truncated; exactly enough: not truncated */
    for (size_t cap = 0; cap < n1; cap++) {
        assert_int_equal(encode1(&u, text, strlen(text), parts, cap, &n2, &t2), TINYRANK_OK);
        assert_int_equal(n2, cap);
        assert_true(t2);
        assert_memory_equal(parts, whole, cap * sizeof *parts);
    }
    assert_int_equal(encode1(&u, text, strlen(text), parts, n1, &n2, &t2), TINYRANK_OK);
    assert_int_equal(n2, n1);
    assert_false(t2);
    /* invalid UTF-8 anywhere is an error, even after the cap is reached */
    const char bad[] = "ab ab ab \xC0\xAF";
    assert_int_equal(encode1(&u, bad, strlen(bad), parts, 1, &n2, &t2), TINYRANK_ERR_INVALID_UTF8);
    tr_span split[2] = {{"ab \xE2\x96", 5}, {"x", 1}}; /* a character cut short by the next span */
    assert_int_equal(tr_tokenizer_encode(&u.tok, split, 2, u.scratch, parts, 64, &n2, &t2),
                     TINYRANK_ERR_INVALID_UTF8);
    uni_close(&u);
}

/* The same pieces without <extra_id_N> and without a T5 tokenizer_config:
 * the Rust `tokenizers` semantics (XLM-R's). Expected ids by its rules:
 * nothing trimmed, a "▁" in front unless the text starts with a space,
 * every "▁" starts a word, runs of spaces collapse only through
 * Replace(" {2,}"), which this file does not have. */
static void test_core_hf_semantics(void **state)
{
    (void)state;
    char dir[300], path[512];
    snprintf(dir, sizeof dir, "%.250s_hf", g_tiny_dir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(k_tiny_hf_json, f);
    fclose(f);
    uni u;
    int rc = uni_open(&u, dir, TR_UNI_SOURCE_TOKENIZER_JSON);
    remove(path);
    rmdir(dir);
    assert_int_equal(rc, TINYRANK_OK);
    assert_int_equal(u.files.semantics, TR_UNIGRAM_HF_TOKENIZERS);
    expect_text(&u, "ab", (const int32_t[]){7}, 1);
    expect_text(&u, " ab", (const int32_t[]){7}, 1);           /* no second "▁" */
    expect_text(&u, "ab ", (const int32_t[]){7, 3}, 2);        /* trailing "▁" kept */
    expect_text(&u, "a  b", (const int32_t[]){8, 3, 3, 5}, 4); /* ▁a ▁ ▁b */
    expect_text(&u, "b </s>", (const int32_t[]){3, 5, 3, 1}, 4);
    expect_text(&u, "   ", (const int32_t[]){3, 3, 3}, 3);
    uni_close(&u);
}

/* ---- ../shared: the real T5 vocabulary against the slow T5Tokenizer */

static const char *t5_dir(char *buf, size_t len)
{
    const char *shared = tok_shared_dir();
    if (!shared)
        return NULL;
    snprintf(buf, len, "%s/tokenizers/t5", shared);
    return buf;
}

#define REQUIRE_SHARED(dir)                                                                        \
    char dir##_buf[4200];                                                                          \
    const char *dir = t5_dir(dir##_buf, sizeof dir##_buf);                                         \
    if (!dir) {                                                                                    \
        printf("SKIPPED: ../shared not found\n");                                                  \
        skip();                                                                                    \
    }

/* Runs every record of a JSONL file; ids_key: the reference ids; with_eos:
 * the reference ends with </s> (added after the text, as the slow
 * tokenizer's build_inputs_with_special_tokens). Returns mismatches. */
static size_t run_file(const uni *u, const char *path, const char *ids_key, bool with_eos,
                       size_t *records)
{
    tok_jsonl j;
    if (tok_jsonl_load(&j, path) != 0) {
        printf("cannot read %s\n", path);
        *records = 0;
        return 1;
    }
    size_t bad = 0;
    int32_t *ids = malloc(8192 * sizeof *ids);
    for (size_t r = 0; r < j.n; r++) {
        const tr_json *text = tr_json_get(j.rec[r], "text");
        int32_t *want = NULL;
        long m = tok_json_ints(tr_json_get(j.rec[r], ids_key), &want);
        assert_non_null(text);
        assert_true(m >= 0);
        size_t n;
        bool trunc;
        int rc = encode1(u, text->string, text->len, ids, 8190, &n, &trunc);
        if (rc == TINYRANK_OK && with_eos)
            ids[n++] = u->tok.eos_id;
        if (rc != TINYRANK_OK || !same_ids(ids, n, want, (size_t)m)) {
            printf("%s record %zu (line %lld) differs (rc %d)\n", path, r + 1,
                   tr_json_get_int(j.rec[r], "line", -1), rc);
            bad++;
        }
        free(want);
    }
    free(ids);
    *records = j.n;
    tok_jsonl_free(&j);
    return bad;
}

static void check_all_files(int source)
{
    REQUIRE_SHARED(dir);
    uni u;
    assert_int_equal(uni_open(&u, dir, source), TINYRANK_OK);
    assert_int_equal(u.files.source, source);
    assert_int_equal(u.tok.eos_id, 1);
    char path[4300];
    size_t recs, bad;
    snprintf(path, sizeof path, "%s/../t5.ids.jsonl", dir);
    bad = run_file(&u, path, "ids", false, &recs);
    printf("t5.ids.jsonl: %zu/%zu lines equal\n", recs - bad, recs);
    assert_int_equal(recs, 823);
    assert_int_equal(bad, 0);
    snprintf(path, sizeof path, "%s/../t5.monot5_inputs.jsonl", dir);
    bad = run_file(&u, path, "input_ids", true, &recs);
    printf("t5.monot5_inputs.jsonl: %zu/%zu equal\n", recs - bad, recs);
    assert_int_equal(recs, 30);
    assert_int_equal(bad, 0);
    snprintf(path, sizeof path, "%s/../t5.mvp_inputs.jsonl", dir);
    bad = run_file(&u, path, "input_ids", true, &recs);
    printf("t5.mvp_inputs.jsonl: %zu/%zu equal\n", recs - bad, recs);
    assert_int_equal(recs, 10);
    assert_int_equal(bad, 0);
    uni_close(&u);
}

static void test_t5_from_spiece_model(void **state)
{
    (void)state;
    check_all_files(TR_UNI_SOURCE_SPIECE_MODEL);
}

static void test_t5_from_tokenizer_json(void **state)
{
    (void)state;
    check_all_files(TR_UNI_SOURCE_TOKENIZER_JSON);
}

/* Both readers must describe the same tokenizer. */
static void test_t5_sources_agree(void **state)
{
    (void)state;
    REQUIRE_SHARED(dir);
    tr_unigram_files a, b;
    char err[512];
    assert_int_equal(tr_unigram_files_load(dir, TR_UNI_SOURCE_SPIECE_MODEL, &a, err, sizeof err),
                     TINYRANK_OK);
    assert_int_equal(tr_unigram_files_load(dir, TR_UNI_SOURCE_TOKENIZER_JSON, &b, err, sizeof err),
                     TINYRANK_OK);
    assert_int_equal(a.count, 32100);
    assert_int_equal(b.count, a.count);
    for (size_t i = 0; i < a.count; i++) {
        assert_int_equal(a.lens[i], b.lens[i]);
        assert_memory_equal(a.tokens[i], b.tokens[i], a.lens[i]);
        assert_true(a.scores[i] == b.scores[i]);
        assert_int_equal(a.types[i], b.types[i]);
    }
    assert_int_equal(a.charsmap_len, b.charsmap_len);
    assert_memory_equal(a.charsmap, b.charsmap, a.charsmap_len);
    assert_int_equal(a.n_added, 103);
    assert_int_equal(b.n_added, a.n_added);
    assert_memory_equal(a.added, b.added, a.n_added * sizeof *a.added);
    assert_true(a.add_dummy_prefix && b.add_dummy_prefix);
    assert_true(a.remove_extra_whitespaces && b.remove_extra_whitespaces);
    assert_int_equal(a.unk_id, 2);
    assert_int_equal(b.unk_id, 2);
    assert_int_equal(a.eos_id, 1);
    assert_int_equal(a.pad_id, 0);
    /* the ids monoT5 scores with (pygaggle: token_false_id 6136, token_true_id 1176) */
    assert_int_equal(tr_unigram_files_find(&a, "\xe2\x96\x81true"), 1176);
    assert_int_equal(tr_unigram_files_find(&a, "\xe2\x96\x81"
                                               "false"),
                     6136);
    assert_int_equal(tr_unigram_files_find(&b, "<extra_id_0>"), 32099);
    assert_int_equal(tr_unigram_files_find(&b, "<extra_id_99>"), 32000);
    tr_unigram_files_free(&a);
    tr_unigram_files_free(&b);
}

/* Spans: any cut of the MVP inputs (inside "<extra_id_1>", inside a UTF-8
 * character) gives the ids of the whole text. */
static void test_t5_spans(void **state)
{
    (void)state;
    REQUIRE_SHARED(dir);
    uni u;
    assert_int_equal(uni_open(&u, dir, TR_UNI_SOURCE_SPIECE_MODEL), TINYRANK_OK);
    char path[4300];
    snprintf(path, sizeof path, "%s/../t5.mvp_inputs.jsonl", dir);
    tok_jsonl j;
    assert_int_equal(tok_jsonl_load(&j, path), 0);
    int32_t *whole = malloc(4096 * sizeof *whole), *parts = malloc(4096 * sizeof *parts);
    for (size_t r = 0; r < j.n; r++) {
        const tr_json *text = tr_json_get(j.rec[r], "text");
        size_t n1, n2;
        bool t1, t2;
        assert_int_equal(encode1(&u, text->string, text->len, whole, 4096, &n1, &t1), TINYRANK_OK);
        for (size_t cut = 0; cut <= text->len; cut += 1 + (cut > 80 ? 37 : 0)) {
            size_t cut2 = cut + (text->len - cut) / 2;
            tr_span sp[3] = {{text->string, cut},
                             {text->string + cut, cut2 - cut},
                             {text->string + cut2, text->len - cut2}};
            assert_int_equal(tr_tokenizer_encode(&u.tok, sp, 3, u.scratch, parts, 4096, &n2, &t2),
                             TINYRANK_OK);
            if (!same_ids(parts, n2, whole, n1))
                fail_msg("record %zu, cut %zu", r, cut);
        }
    }
    free(whole);
    free(parts);
    tok_jsonl_free(&j);
    uni_close(&u);
}

/* invalid_utf8.bin: every line is refused with TINYRANK_ERR_INVALID_UTF8. */
static void test_t5_invalid_utf8(void **state)
{
    (void)state;
    REQUIRE_SHARED(dir);
    uni u;
    assert_int_equal(uni_open(&u, dir, TR_UNI_SOURCE_SPIECE_MODEL), TINYRANK_OK);
    char path[4300];
    snprintf(path, sizeof path, "%s/../invalid_utf8.bin", dir);
    size_t len;
    char *data = tok_read_file(path, &len);
    assert_non_null(data);
    size_t lines = 0, start = 0;
    int32_t ids[256];
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        size_t n;
        bool t;
        assert_int_equal(encode1(&u, data + start, i - start, ids, 256, &n, &t),
                         TINYRANK_ERR_INVALID_UTF8);
        lines++;
        start = i + 1;
    }
    assert_int_equal(lines, 10);
    free(data);
    uni_close(&u);
}

/* A word longer than TR_UNIGRAM_MAX_WORD: the documented windowed rule, no
 * overflow, and the same ids every time. */
static void test_t5_long_word(void **state)
{
    (void)state;
    REQUIRE_SHARED(dir);
    uni u;
    assert_int_equal(uni_open(&u, dir, TR_UNI_SOURCE_SPIECE_MODEL), TINYRANK_OK);
    size_t len = 3 * TR_UNIGRAM_MAX_WORD + 7;
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = "abcdefghij"[i % 10];
    int32_t *a = malloc(len * sizeof *a), *b = malloc(len * sizeof *b);
    size_t na, nb;
    bool ta, tb;
    assert_int_equal(encode1(&u, text, len, a, len, &na, &ta), TINYRANK_OK);
    assert_int_equal(encode1(&u, text, len, b, len, &nb, &tb), TINYRANK_OK);
    assert_true(na > 0 && na < len && !ta);
    assert_true(same_ids(a, na, b, nb));
    free(text);
    free(a);
    free(b);
    uni_close(&u);
}

/* Corrupt inputs: a damaged spiece.model, and a model whose Unigram table
 * is damaged, give error codes, not crashes. */
static void test_t5_corrupt(void **state)
{
    (void)state;
    REQUIRE_SHARED(dir);
    char path[4300], err[512];
    snprintf(path, sizeof path, "%s/spiece.model", dir);
    size_t len;
    char *data = tok_read_file(path, &len);
    assert_non_null(data);
    /* truncated protobuf */
    for (size_t cut = 1; cut < len; cut = cut * 3 + 1) {
        tr_unigram_files f;
        memset(&f, 0, sizeof f);
        int rc = tr_unigram_parse_spiece((const uint8_t *)data, cut, &f, err, sizeof err);
        assert_true(rc == TINYRANK_ERR_CORRUPT_MODEL || rc == TINYRANK_OK);
        tr_unigram_files_free(&f);
    }
    tr_unigram_files f;
    memset(&f, 0, sizeof f);
    assert_int_equal(tr_unigram_parse_spiece((const uint8_t *)data, len, &f, err, sizeof err),
                     TINYRANK_OK);
    free(data);
    /* the charsmap: its trie offsets damaged, byte by byte in the header
     * and the first units */
    tr_ir_tokenizer ir;
    memset(&ir, 0, sizeof ir);
    tr_unigram_files_fill_ir(&f, &ir);
    size_t bad_seen = 0;
    for (size_t k = 0; k < 64; k++) {
        uint8_t saved = f.charsmap[k];
        f.charsmap[k] ^= 0xA5;
        uint8_t *fb;
        size_t fb_len;
        assert_int_equal(tr_tokenizer_fb_build(&ir, &fb, &fb_len), TINYRANK_OK);
        tr_fb_table root;
        tr_tokenizer tok;
        assert_true(tr_fb_root(fb, (uint32_t)fb_len, 4, "TKNZ", &root));
        int rc = tr_tokenizer_load(&tok, &root, err, sizeof err);
        if (rc != TINYRANK_OK) {
            assert_int_equal(rc, TINYRANK_ERR_CORRUPT_MODEL);
            bad_seen++;
        } else {
            /* accepted: then encoding must stay in bounds (ASan checks) */
            void *scratch = malloc(tr_tokenizer_scratch_bytes(&tok));
            int32_t ids[512];
            size_t n;
            bool t;
            const char *probe = "Ｈｅｌｌｏ ﬁ ½ Å ㈱ a\tb";
            tr_span sp = {probe, strlen(probe)};
            assert_int_equal(tr_tokenizer_encode(&tok, &sp, 1, scratch, ids, 512, &n, &t),
                             TINYRANK_OK);
            free(scratch);
        }
        free(fb);
        f.charsmap[k] = saved;
    }
    assert_true(bad_seen > 0);
    /* piece types that the runtime does not run */
    f.types[100] = TR_PIECE_USER_DEFINED;
    uint8_t *fb;
    size_t fb_len;
    assert_int_equal(tr_tokenizer_fb_build(&ir, &fb, &fb_len), TINYRANK_OK);
    tr_fb_table root;
    tr_tokenizer tok;
    assert_true(tr_fb_root(fb, (uint32_t)fb_len, 4, "TKNZ", &root));
    assert_int_equal(tr_tokenizer_load(&tok, &root, err, sizeof err), TINYRANK_ERR_UNSUPPORTED);
    free(fb);
    tr_unigram_files_free(&f);
}

/* XLM-R (stretch): the Rust `tokenizers` library on its tokenizer.json is
 * the reference (xlmr.ids.jsonl); every line must be equal. Lines 681 and
 * 688 need Rust's per-grapheme-cluster charsmap (see unigram.h). */
static void test_xlmr_lines(void **state)
{
    (void)state;
    const char *shared = tok_shared_dir();
    if (!shared) {
        printf("SKIPPED: ../shared not found\n");
        skip();
    }
    char dir[256], cmd[9000];
    snprintf(dir, sizeof dir, "/tmp/tinyrank_xlmr_%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(cmd, sizeof cmd,
             "gzip -dc '%s/tokenizers/xlm-roberta/tokenizer.json.gz' > '%s/tokenizer.json' && "
             "cp '%s/tokenizers/xlm-roberta/tokenizer_config.json' '%s/'",
             shared, dir, shared, dir);
    if (system(cmd) != 0) {
        printf("SKIPPED: gzip could not unpack the XLM-R tokenizer.json\n");
        skip();
    }
    uni u;
    assert_int_equal(uni_open(&u, dir, TR_UNI_SOURCE_TOKENIZER_JSON), TINYRANK_OK);
    assert_int_equal(u.files.semantics, TR_UNIGRAM_HF_TOKENIZERS);
    char path[4300];
    snprintf(path, sizeof path, "%s/tokenizers/xlmr.ids.jsonl", shared);
    tok_jsonl j;
    assert_int_equal(tok_jsonl_load(&j, path), 0);
    int32_t *ids = malloc(8192 * sizeof *ids);
    size_t equal = 0;
    for (size_t r = 0; r < j.n; r++) {
        const tr_json *text = tr_json_get(j.rec[r], "text");
        long long line = tr_json_get_int(j.rec[r], "line", -1);
        int32_t *want = NULL;
        long m = tok_json_ints(tr_json_get(j.rec[r], "ids"), &want);
        size_t n;
        bool trunc;
        int rc = encode1(&u, text->string, text->len, ids, 8192, &n, &trunc);
        if (rc == TINYRANK_OK && n == (size_t)m && memcmp(ids, want, n * sizeof *ids) == 0) {
            equal++;
        } else {
            printf("xlmr line %lld differs\n", line);
            same_ids(ids, n, want, (size_t)m);
        }
        free(want);
    }
    printf("xlmr.ids.jsonl: %zu/%zu lines equal\n", equal, j.n);
    assert_int_equal(j.n, 823);
    assert_int_equal(equal, 823);
    free(ids);
    tok_jsonl_free(&j);
    uni_close(&u);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_rules),
        cmocka_unit_test(test_core_spans_cap_utf8),
        cmocka_unit_test(test_core_hf_semantics),
        cmocka_unit_test(test_t5_from_spiece_model),
        cmocka_unit_test(test_t5_from_tokenizer_json),
        cmocka_unit_test(test_t5_sources_agree),
        cmocka_unit_test(test_t5_spans),
        cmocka_unit_test(test_t5_invalid_utf8),
        cmocka_unit_test(test_t5_long_word),
        cmocka_unit_test(test_t5_corrupt),
        cmocka_unit_test(test_xlmr_lines),
    };
    return cmocka_run_group_tests(tests, tiny_setup, tiny_teardown);
}
