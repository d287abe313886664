/* test_bpe.c - the byte-level BPE tokenizer (Qwen2/Qwen3), end to end as the
 * runtime sees it: tokenizer.json -> converter (converter/hf/bpe_files.c)
 * -> model writer -> the Tokenizer table of the written file ->
 * tr_tokenizer_load -> tr_tokenizer_encode.
 *
 * Reference: ../shared/tokenizers/qwen3.ids.jsonl (the Rust Hugging Face
 * tokenizers library on the Qwen3 tokenizer.json, see REFERENCE.md) for
 * every line of corpus.txt; invalid_utf8.bin must be rejected. The core
 * tests need no ../shared: a small tokenizer.json written here, with
 * expectations worked out by hand from the BPE rules in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "converter/hf/bpe_files.h"
#include "converter/write/model_writer.h"
#include "format/schema_ids.h"
#include "support/tok_fixture.h"
#include "support/tr_test.h"
#include "tinyrank.h"
#include "tokenizer/bpe_nfc.h"
#include "tokenizer/regex_class.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

/* A tokenizer as a model file holds it: written by the model writer, read
 * back, and verified by tr_tokenizer_load. */
typedef struct loaded {
    uint8_t *file;
    tr_tokenizer tok;
    void *scratch;
} loaded;

static int load_from_files(const tr_bpe_files *f, loaded *out, char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    tr_ir ir;
    tr_ir_init(&ir);
    tr_bpe_files_fill_ir(f, &ir.tok);
    snprintf(ir.name, sizeof ir.name, "bpe-test");
    char *dir = tr_test_mkdtemp();
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/tok.trk", dir);
    int rc = tr_model_write(&ir, path, 0, err, sizeof err);
    tr_ir_free(&ir);
    if (rc != TINYRANK_OK) {
        snprintf(msg, msglen, "write: %.200s", err);
        tr_test_rmtree(dir);
        free(dir);
        return rc;
    }
    size_t len;
    out->file = (uint8_t *)tr_test_read(path, &len);
    tr_test_rmtree(dir);
    free(dir);
    tr_fb_table root, tk;
    bool present;
    if (!out->file || len < 8 ||
        !tr_fb_root(out->file, (uint32_t)len, 4, TR_FB_IDENT, &root) ||
        !tr_fb_table_field(&root, F_MODEL_TOKENIZER, &tk, &present) || !present) {
        snprintf(msg, msglen, "the written file has no tokenizer table");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    rc = tr_tokenizer_load(&out->tok, &tk, msg, msglen);
    if (rc == TINYRANK_OK) {
        out->scratch = malloc(tr_tokenizer_scratch_bytes(&out->tok));
        if (!out->scratch)
            rc = TINYRANK_ERR_INTERNAL;
    }
    return rc;
}

static void loaded_free(loaded *l)
{
    free(l->file);
    free(l->scratch);
    memset(l, 0, sizeof *l);
}

static int encode1(const loaded *l, const char *s, size_t len, int32_t *ids, size_t cap, size_t *n,
                   bool *trunc)
{
    tr_span sp = {s, len};
    return tr_tokenizer_encode(&l->tok, &sp, 1, l->scratch, ids, cap, n, trunc);
}

/* ------------------------------------------------------------ core */

/* The byte-level alphabet of GPT-2 (bytes_to_unicode), written as a JSON
 * \u escape: printable bytes stand for themselves, the other 68 for
 * U+0100 + their order. */
static unsigned alphabet_cp(unsigned b)
{
    unsigned k = 0;
    for (unsigned x = 0; x < 256; x++) {
        int printable = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174;
        if (x == b)
            return printable ? x : 256 + k;
        if (!printable)
            k++;
    }
    return 0;
}

/* Ids 0..255: the single bytes (id = byte value), then:
 *   256 "bc"   merge rank 0: b c
 *   257 "ab"   merge rank 1: a b
 *   258 "abc"  merge rank 2: a bc
 *   259 " a"   merge rank 3: (space) a
 *   260 "<|x|>"  added token, special
 *   261 "[M]"    added token, lstrip + rstrip */
static char *core_json(const char *pre_behavior)
{
    size_t cap = 64 * 1024, n = 0;
    char *j = malloc(cap);
    n += (size_t)snprintf(j + n, cap - n,
        "{\"version\":\"1.0\",\"added_tokens\":["
        "{\"id\":260,\"content\":\"<|x|>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
        "\"normalized\":false,\"special\":true},"
        "{\"id\":261,\"content\":\"[M]\",\"single_word\":false,\"lstrip\":true,\"rstrip\":true,"
        "\"normalized\":false,\"special\":true}],"
        "\"normalizer\":{\"type\":\"NFC\"},"
        "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":"
        "{\"Regex\":\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}|"
        " ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"},"
        "\"behavior\":\"%s\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
        "\"trim_offsets\":false,\"use_regex\":false}]},"
        "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":\"\","
        "\"end_of_word_suffix\":\"\",\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false,"
        "\"vocab\":{", pre_behavior);
    for (unsigned b = 0; b < 256; b++)
        n += (size_t)snprintf(j + n, cap - n, "\"\\u%04x\":%u,", alphabet_cp(b), b);
    /* "bc", "ab", "abc" and " a" (space = U+0120 in the alphabet); merges
     * in both accepted forms */
    n += (size_t)snprintf(j + n, cap - n,
                          "\"bc\":256,\"ab\":257,\"abc\":258,\"\\u0120a\":259},"
                          "\"merges\":[\"b c\",[\"a\",\"b\"],\"a bc\",[\"\\u0120\",\"a\"]]}}");
    return j;
}

static void core_load(loaded *l)
{
    char *json = core_json("Isolated");
    tr_bpe_files f;
    char err[256];
    int rc = tr_bpe_files_parse(json, strlen(json), NULL, 0, &f, err, sizeof err);
    free(json);
    if (rc != TINYRANK_OK)
        fail_msg("parse: %s", err);
    assert_int_equal(f.count, 262);
    assert_int_equal(f.n_merges, 4);
    assert_int_equal(tr_bpe_files_find(&f, "abc"), 258);
    assert_int_equal(tr_bpe_files_find(&f, "<|x|>"), 260);
    assert_int_equal(tr_bpe_files_find(&f, " a"), 259);
    assert_int_equal(tr_bpe_files_find(&f, "zz"), -1);
    rc = load_from_files(&f, l, err, sizeof err);
    tr_bpe_files_free(&f);
    if (rc != TINYRANK_OK)
        fail_msg("load: %s", err);
}

static void expect_ids(const loaded *l, const char *text, size_t len, const int32_t *want, size_t n_want)
{
    int32_t ids[64];
    size_t n;
    bool trunc;
    assert_int_equal(encode1(l, text, len, ids, 64, &n, &trunc), TINYRANK_OK);
    assert_false(trunc);
    if (n != n_want)
        fail_msg("\"%s\": %zu ids, want %zu", text, n, n_want);
    for (size_t i = 0; i < n; i++)
        if (ids[i] != want[i])
            fail_msg("\"%s\": id %zu is %d, want %d", text, i, ids[i], want[i]);
}

#define EXPECT(text, ...)                                                               \
    do {                                                                                \
        static const int32_t w_[] = {__VA_ARGS__};                                      \
        expect_ids(&l, text, sizeof(text) - 1, w_, sizeof w_ / sizeof w_[0]);           \
    } while (0)

static void test_core_merges(void **state)
{
    (void)state;
    loaded l;
    core_load(&l);
    /* (b,c) has rank 0 < (a,b) rank 1: bc first, then a+bc (rank 2) */
    EXPECT("abc", 258);
    /* two (a,b) of the same rank: both merge; (b,a) has no merge */
    EXPECT("abab", 257, 257);
    /* " abc" is one pre-token; bc (0), then a+bc (2) before " a" (3)
     * could apply: the space stays alone */
    EXPECT(" abc", 32, 258);
    /* " ab": (a,b) rank 1 before (space,a) rank 3 */
    EXPECT(" ab", 32, 257);
    /* " a": only (space, a) */
    EXPECT(" a", 259);
    /* bytes without merges stay single-byte tokens: "x", "\x01y" are the
     * pre-tokens ([^\r\n\p{L}\p{N}]?\p{L}+) */
    EXPECT("x\x01y", 'x', 1, 'y');
    /* NFC: e + U+0301 becomes U+00E9 = C3 A9 */
    EXPECT("e\xcc\x81", 0xC3, 0xA9);
    /* a pre-token boundary stops merges: "a" "." "bc" */
    EXPECT("a.bc", 'a', '.', 256);
    loaded_free(&l);
}

static void test_core_added_tokens(void **state)
{
    (void)state;
    loaded l;
    core_load(&l);
    EXPECT("ab<|x|>abc", 257, 260, 258);
    EXPECT("<|x|><|x|>", 260, 260);
    /* "<|x|" is not the token: plain bytes "<|" (other+) and "x" and "|" */
    EXPECT("<|x|", '<', '|', 'x', '|');
    /* lstrip/rstrip: the spaces around [M] belong to it */
    EXPECT("a  [M]  a", 'a', 261, 'a');
    /* without stripping, " a" stays a word: "a", " ", "<|x|>", " a" */
    EXPECT("a <|x|> a", 'a', ' ', 260, 259);
    /* an added token splits words: "a" and "bc" are merged separately */
    EXPECT("a<|x|>bc", 'a', 260, 256);
    loaded_free(&l);
}

static void test_core_spans_cap_errors(void **state)
{
    (void)state;
    loaded l;
    core_load(&l);
    int32_t ids[16];
    size_t n;
    bool trunc;
    /* spans are one string: "a" + "b" + "c" merges across them, and the
     * added token may straddle spans, and so may a code point */
    tr_span sp[3] = {{"a", 1}, {"b<|", 3}, {"x|>c", 4}};
    assert_int_equal(tr_tokenizer_encode(&l.tok, sp, 3, l.scratch, ids, 16, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 257);
    assert_int_equal(ids[1], 260);
    assert_int_equal(ids[2], 'c');
    tr_span e[2] = {{"e\xcc", 2}, {"\x81", 1}};
    assert_int_equal(tr_tokenizer_encode(&l.tok, e, 2, l.scratch, ids, 16, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 0xC3);
    /* cap: stops, says so, and the ids written are the first ones */
    assert_int_equal(encode1(&l, "abab abab", 9, ids, 2, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 2);
    assert_true(trunc);
    assert_int_equal(ids[0], 257);
    assert_int_equal(encode1(&l, "abab", 4, ids, 2, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 2);
    assert_false(trunc);
    assert_int_equal(encode1(&l, "abab", 4, ids, 0, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    assert_true(trunc);
    /* empty text, no spans */
    assert_int_equal(encode1(&l, "", 0, ids, 16, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    assert_false(trunc);
    assert_int_equal(tr_tokenizer_encode(&l.tok, NULL, 0, l.scratch, ids, 16, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    /* invalid UTF-8 anywhere, even after the cap is reached, even when a
     * sequence is cut by a span boundary */
    assert_int_equal(encode1(&l, "ab\xff", 3, ids, 16, &n, &trunc), TINYRANK_ERR_INVALID_UTF8);
    assert_int_equal(encode1(&l, "abab abab \xc3", 11, ids, 1, &n, &trunc), TINYRANK_ERR_INVALID_UTF8);
    tr_span bad[2] = {{"e\xcc", 2}, {"x", 1}};
    assert_int_equal(tr_tokenizer_encode(&l.tok, bad, 2, l.scratch, ids, 16, &n, &trunc),
                     TINYRANK_ERR_INVALID_UTF8);
    assert_int_equal(n, 0);
    loaded_free(&l);
}

/* A pre-token longer than TR_BPE_MAX_WORD bytes is merged in chunks (the
 * documented bound): no overflow, every byte is covered once, and the
 * result does not depend on how the text is cut into spans. */
static void test_core_huge_word(void **state)
{
    (void)state;
    loaded l;
    core_load(&l);
    size_t len = 3 * TR_BPE_MAX_WORD + 7;
    char *s = malloc(len);
    for (size_t i = 0; i < len; i++)
        s[i] = "ab"[i % 2];
    int32_t *ids = malloc(len * sizeof *ids), *ids2 = malloc(len * sizeof *ids);
    size_t n, n2;
    bool trunc;
    assert_int_equal(encode1(&l, s, len, ids, len, &n, &trunc), TINYRANK_OK);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += ids[i] == 257 ? 2 : 1;
    assert_int_equal(bytes, len);
    tr_span sp[2] = {{s, 5000}, {s + 5000, len - 5000}};
    assert_int_equal(tr_tokenizer_encode(&l.tok, sp, 2, l.scratch, ids2, len, &n2, &trunc), TINYRANK_OK);
    assert_int_equal(n, n2);
    assert_memory_equal(ids, ids2, n * sizeof *ids);
    /* a huge run of spaces and of combining marks (past the NFC bound) */
    memset(s, ' ', len);
    assert_int_equal(encode1(&l, s, len, ids, len, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, len); /* no merges of spaces here: one id a byte */
    for (size_t i = 0; i + 1 < len; i += 2) {
        s[i] = '\xcc';
        s[i + 1] = '\x81';
    }
    s[len - 1] = 'a';
    assert_int_equal(encode1(&l, s, len, ids, len, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, len);
    free(s);
    free(ids);
    free(ids2);
    loaded_free(&l);
}

static void test_core_refusals(void **state)
{
    (void)state;
    tr_bpe_files f;
    char err[256];
    /* another pre-tokenizer behaviour is not implemented */
    char *json = core_json("Removed");
    assert_int_equal(tr_bpe_files_parse(json, strlen(json), NULL, 0, &f, err, sizeof err),
                     TINYRANK_ERR_UNSUPPORTED);
    tr_bpe_files_free(&f);
    free(json);
    /* a merge of tokens that are not in the vocabulary */
    json = core_json("Isolated");
    char *m = strstr(json, "\"a bc\"");
    memcpy(m, "\"a zz\"", 6);
    assert_int_equal(tr_bpe_files_parse(json, strlen(json), NULL, 0, &f, err, sizeof err),
                     TINYRANK_ERR_CORRUPT_MODEL);
    tr_bpe_files_free(&f);
    free(json);
    /* the runtime rejects a model whose merge index is out of order */
    json = core_json("Isolated");
    assert_int_equal(tr_bpe_files_parse(json, strlen(json), NULL, 0, &f, err, sizeof err), TINYRANK_OK);
    free(json);
    uint32_t t = f.merge_order[0];
    f.merge_order[0] = f.merge_order[1];
    f.merge_order[1] = t;
    loaded l;
    assert_int_equal(load_from_files(&f, &l, err, sizeof err), TINYRANK_ERR_CORRUPT_MODEL);
    loaded_free(&l);
    f.merge_order[1] = f.merge_order[0];
    f.merge_order[0] = t;
    /* ... and a merge whose result is not its two parts */
    f.merge_ids[0] = 257;
    assert_int_equal(load_from_files(&f, &l, err, sizeof err), TINYRANK_ERR_CORRUPT_MODEL);
    loaded_free(&l);
    tr_bpe_files_free(&f);
}

/* ------------------------------------------------------ reference */

typedef struct qwen {
    const char *shared;
    loaded l;
    tok_jsonl ref;
} qwen;

static qwen g_qwen;
static int g_qwen_state; /* 0 not tried, 1 ready, -1 skipped/failed */

static qwen *qwen_get(void)
{
    if (g_qwen_state == 0) {
        g_qwen_state = -1;
        g_qwen.shared = tok_shared_dir();
        if (!g_qwen.shared)
            return NULL;
        char dir[4200], path[4300], err[256];
        snprintf(dir, sizeof dir, "%s/tokenizers/qwen3", g_qwen.shared);
        tr_bpe_files f;
        int rc = tr_bpe_files_load(dir, &f, err, sizeof err);
        if (rc != TINYRANK_OK)
            fail_msg("%s: %s", dir, err);
        if (f.count != 151669 || f.n_merges != 151387 || f.n_added != 26)
            fail_msg("qwen3: %zu tokens, %zu merges, %zu added", f.count, f.n_merges, f.n_added);
        /* ids REFERENCE.md lists */
        assert_int_equal(tr_bpe_files_find(&f, "yes"), 9693);
        assert_int_equal(tr_bpe_files_find(&f, "no"), 2152);
        assert_int_equal(tr_bpe_files_find(&f, "1"), 16);
        assert_int_equal(tr_bpe_files_find(&f, "0"), 15);
        assert_int_equal(tr_bpe_files_find(&f, "<|im_end|>"), 151645);
        assert_int_equal(tr_bpe_files_find(&f, "</think>"), 151668);
        rc = load_from_files(&f, &g_qwen.l, err, sizeof err);
        tr_bpe_files_free(&f);
        if (rc != TINYRANK_OK)
            fail_msg("qwen3 model tokenizer: %s", err);
        snprintf(path, sizeof path, "%s/tokenizers/qwen3.ids.jsonl", g_qwen.shared);
        if (tok_jsonl_load(&g_qwen.ref, path) != 0 || g_qwen.ref.n != 823)
            fail_msg("%s: cannot read 823 records", path);
        g_qwen_state = 1;
    }
    return g_qwen_state == 1 ? &g_qwen : NULL;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_qwen_state == 1) {
        loaded_free(&g_qwen.l);
        tok_jsonl_free(&g_qwen.ref);
    }
    return 0;
}

static void test_qwen3_corpus(void **state)
{
    (void)state;
    qwen *q = qwen_get();
    if (!q) {
        skip();
        return;
    }
    size_t bad = 0;
    int32_t *ids = malloc(65536 * sizeof *ids);
    for (size_t r = 0; r < q->ref.n; r++) {
        const tr_json *rec = q->ref.rec[r];
        const tr_json *text = tr_json_get(rec, "text");
        int32_t *want;
        long n_want = tok_json_ints(tr_json_get(rec, "ids"), &want);
        assert_non_null(text);
        assert_true(n_want >= 0);
        size_t n;
        bool trunc;
        int rc = encode1(&q->l, text->string, text->len, ids, 65536, &n, &trunc);
        if (rc != TINYRANK_OK || trunc || n != (size_t)n_want ||
            memcmp(ids, want, n * sizeof *ids) != 0) {
            if (bad < 10) {
                printf("line %lld: rc %d, %zu ids, want %ld:", tr_json_get_int(rec, "line", 0), rc, n, n_want);
                for (size_t i = 0; i < n && i < 40; i++)
                    printf(" %d%s", ids[i], i < (size_t)n_want && ids[i] == want[i] ? "" : "*");
                printf("\n  want:");
                for (long i = 0; i < n_want && i < 40; i++)
                    printf(" %d", want[i]);
                printf("\n");
            }
            bad++;
        }
        free(want);
    }
    free(ids);
    printf("qwen3: %zu of %zu lines identical to the reference\n", q->ref.n - bad, q->ref.n);
    assert_int_equal(bad, 0);
}

/* Spans are one string: the corpus cut at byte positions (also inside a
 * code point or an added token) gives the ids of the whole line. */
static void test_qwen3_spans_and_cap(void **state)
{
    (void)state;
    qwen *q = qwen_get();
    if (!q) {
        skip();
        return;
    }
    int32_t *ids = malloc(65536 * sizeof *ids), *ids2 = malloc(65536 * sizeof *ids);
    for (size_t r = 0; r < q->ref.n; r++) {
        const tr_json *text = tr_json_get(q->ref.rec[r], "text");
        int32_t *want;
        long n_want = tok_json_ints(tr_json_get(q->ref.rec[r], "ids"), &want);
        size_t len = text->len, a = len / 3, b = 2 * len / 3 + (len > 4 ? 1 : 0);
        if (b > len)
            b = len;
        tr_span sp[4] = {{text->string, a}, {text->string + a, 0}, {text->string + a, b - a},
                         {text->string + b, len - b}};
        size_t n, n2;
        bool trunc;
        assert_int_equal(tr_tokenizer_encode(&q->l.tok, sp, 4, q->l.scratch, ids, 65536, &n, &trunc),
                         TINYRANK_OK);
        if (n != (size_t)n_want || memcmp(ids, want, n * sizeof *ids) != 0)
            fail_msg("line %zu: split into spans gives other ids", r + 1);
        /* cap one short of the count: the first ids, truncated */
        if (n_want >= 1) {
            assert_int_equal(encode1(&q->l, text->string, len, ids2, (size_t)n_want - 1, &n2, &trunc),
                             TINYRANK_OK);
            assert_true(trunc);
            assert_int_equal(n2, (size_t)n_want - 1);
            assert_memory_equal(ids2, want, n2 * sizeof *ids2);
            /* and half of it: a stop inside the text */
            assert_int_equal(encode1(&q->l, text->string, len, ids2, (size_t)n_want / 2, &n2, &trunc),
                             TINYRANK_OK);
            assert_true(trunc);
            assert_int_equal(n2, (size_t)n_want / 2);
            assert_memory_equal(ids2, want, n2 * sizeof *ids2);
            assert_int_equal(encode1(&q->l, text->string, len, ids2, (size_t)n_want, &n2, &trunc),
                             TINYRANK_OK);
            assert_false(trunc);
        }
        free(want);
    }
    free(ids);
    free(ids2);
}

static void test_qwen3_invalid_utf8(void **state)
{
    (void)state;
    qwen *q = qwen_get();
    if (!q) {
        skip();
        return;
    }
    char path[4300];
    snprintf(path, sizeof path, "%s/tokenizers/invalid_utf8.bin", q->shared);
    size_t len;
    char *data = tok_read_file(path, &len);
    assert_non_null(data);
    int lines = 0;
    int32_t ids[256];
    for (size_t s = 0, i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        size_t n;
        bool trunc;
        assert_int_equal(encode1(&q->l, data + s, i - s, ids, 256, &n, &trunc), TINYRANK_ERR_INVALID_UTF8);
        assert_int_equal(encode1(&q->l, data + s, i - s, ids, 0, &n, &trunc), TINYRANK_ERR_INVALID_UTF8);
        lines++;
        s = i + 1;
    }
    assert_int_equal(lines, 10);
    free(data);
}

/* The prompt pieces of the Qwen3 reranker: added tokens written in the text
 * give their ids (REFERENCE.md), and the text around them is tokenized as
 * if it stood alone. */
static void test_qwen3_added_tokens(void **state)
{
    (void)state;
    qwen *q = qwen_get();
    if (!q) {
        skip();
        return;
    }
    const char *s = "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
    int32_t ids[64], part[16];
    size_t n, np;
    bool trunc;
    assert_int_equal(encode1(&q->l, s, strlen(s), ids, 64, &n, &trunc), TINYRANK_OK);
    static const struct { const char *text; int32_t id; } seq[] = {
        {"<|im_start|>", 151644}, {"user\nhello", -1}, {"<|im_end|>", 151645}, {"\n", -1},
        {"<|im_start|>", 151644}, {"assistant\n", -1}, {"<think>", 151667}, {"\n\n", -1},
        {"</think>", 151668}, {"\n\n", -1}};
    size_t at = 0;
    for (size_t k = 0; k < sizeof seq / sizeof seq[0]; k++) {
        if (seq[k].id >= 0) {
            assert_true(at < n);
            assert_int_equal(ids[at++], seq[k].id);
            continue;
        }
        assert_int_equal(encode1(&q->l, seq[k].text, strlen(seq[k].text), part, 16, &np, &trunc), TINYRANK_OK);
        assert_true(at + np <= n);
        assert_memory_equal(ids + at, part, np * sizeof *part);
        at += np;
    }
    assert_int_equal(at, n);
}

/* ---- streaming NFC (bpe_nfc.c) and the regex classes against Python's
 * unicodedata (Unicode 14, $TINYRANK_PYTHON): random strings drawn mostly
 * from combining marks, decomposable and composable characters and Hangul
 * jamo, each with unicodedata.normalize('NFC'); and the class of every
 * code point (\p{L}, \p{N}, and \s = the White_Space property, listed here
 * from PropList.txt). */
static const char nfc_script[] =
    "import random, sys, unicodedata as ud\n"
    "assert ud.unidata_version == '14.0.0'\n"
    "ws = set(range(9, 14)) | {0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}"
    " | set(range(0x2000, 0x200B))\n"
    "out = sys.stdout\n"
    "for c in range(0x110000):\n"
    "    cat = ud.category(chr(c))\n"
    "    v = 1 if cat[0] == 'L' else 2 if cat[0] == 'N' else 4 if c in ws else 0\n"
    "    out.write('%x\\n' % v)\n"
    "marks = [c for c in range(0x110000) if ud.combining(chr(c))]\n"
    "decomp = [c for c in range(0x110000) if ud.decomposition(chr(c)) and"
    " not ud.decomposition(chr(c)).startswith('<')]\n"
    "jamo = list(range(0x1100, 0x1113)) + list(range(0x1161, 0x1176)) + list(range(0x11A8, 0x11C3))"
    " + [0xAC00, 0xAC01, 0xD7A3]\n"
    "starters = [ord(x) for x in 'aeiouAEOUcnsyzkKR '] + [0x3B1, 0x3B7, 0x415, 0x418, 0x627,"
    " 0x648, 0x64A, 0x928, 0x9C7, 0xB47, 0xBC6, 0xCC6, 0xD46, 0x1025, 0x1B05, 0x3046, 0x30AB]\n"
    "rng = random.Random(4)\n"
    "for i in range(30000):\n"
    "    s = []\n"
    "    for k in range(rng.randint(1, 10)):\n"
    "        r = rng.random()\n"
    "        pool = marks if r < 0.4 else decomp if r < 0.6 else jamo if r < 0.75 else starters\n"
    "        s.append(rng.choice(pool))\n"
    "    t = ud.normalize('NFC', ''.join(map(chr, s)))\n"
    "    out.write(' '.join('%x' % c for c in s) + ' | ' + ' '.join('%x' % ord(c) for c in t) + '\\n')\n";

static void test_nfc_and_classes_vs_python(void **state)
{
    (void)state;
    const char *py = getenv("TINYRANK_PYTHON");
    if (!py || !*py) {
        printf("SKIPPED: TINYRANK_PYTHON not set (run through ctest)\n");
        skip();
    }
    char script_path[] = "/tmp/tinyrank_nfc_XXXXXX";
    int fd = mkstemp(script_path);
    assert_true(fd >= 0);
    FILE *sf = fdopen(fd, "w");
    assert_non_null(sf);
    fputs(nfc_script, sf);
    fclose(sf);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' '%s'", py, script_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    size_t bad = 0, cases = 0;
    uint32_t cp = 0;
    for (; cp < 0x110000 && fgets(line, sizeof line, p); cp++) {
        int want = (int)strtol(line, NULL, 16);
        if (tr_regex_class(cp) != want && ++bad <= 10)
            printf("U+%04X: python class %d, table %d\n", (unsigned)cp, want, tr_regex_class(cp));
    }
    assert_int_equal(cp, 0x110000);
    while (fgets(line, sizeof line, p)) {
        uint8_t text[64];
        size_t len = 0;
        char *at = line;
        while (*at && *at != '|') {
            char *end;
            unsigned long c = strtoul(at, &end, 16);
            if (end == at)
                break;
            len += tr_utf8_encode((uint32_t)c, text + len);
            at = end;
            while (*at == ' ')
                at++;
        }
        assert_true(*at == '|');
        at++;
        tr_span sp = {(const char *)text, len};
        tr_bpe_text tx;
        tr_bpe_text_init(&tx, &sp, 1);
        tr_nfc nfc;
        tr_nfc_start(&nfc, &tx, 0, len);
        uint32_t got;
        bool same = true;
        for (;;) {
            char *end;
            unsigned long want = strtoul(at, &end, 16);
            bool more = end != at;
            at = end;
            bool have = tr_nfc_next(&nfc, &got);
            if (have != more || (have && got != want)) {
                same = false;
                break;
            }
            if (!have)
                break;
        }
        if (!same && ++bad <= 10)
            printf("NFC differs from Python for: %s", line);
        cases++;
    }
    int status = pclose(p);
    remove(script_path);
    assert_int_equal(status, 0);
    assert_int_equal(cases, 30000);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_merges),
        cmocka_unit_test(test_core_added_tokens),
        cmocka_unit_test(test_core_spans_cap_errors),
        cmocka_unit_test(test_core_huge_word),
        cmocka_unit_test(test_core_refusals),
        cmocka_unit_test(test_qwen3_corpus),
        cmocka_unit_test(test_qwen3_spans_and_cap),
        cmocka_unit_test(test_qwen3_invalid_utf8),
        cmocka_unit_test(test_qwen3_added_tokens),
        cmocka_unit_test(test_nfc_and_classes_vs_python),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
