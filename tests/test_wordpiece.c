/* test_wordpiece.c - the BERT tokenizer against Hugging Face's reference
 * (../shared/tokenizers: transformers v4.47.1 slow BertTokenizer on
 * bert-base-uncased): every line of corpus.txt and every pair of
 * bert_uncased.pairs.jsonl, plus cap/truncation, huge, empty and blank
 * inputs, pair truncation rules, vocab.txt reading, bad configurations and
 * the Unicode tables against Python's unicodedata for every code point.
 * Hand-made expectations follow from the rules of transformers'
 * tokenization_bert.py (worked out in the comments), not from this code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/tok_fixture.h"
#include "tinyrank.h"
#include "tokenizer/pair.h"
#include "tokenizer/unicode.h"
#include "tokenizer/wordpiece.h"

typedef struct fixture {
    const char *shared;
    tok_bert bert;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->shared = tok_shared_dir();
    if (f->shared && tok_bert_load(&f->bert, f->shared) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->shared)
        tok_bert_free(&f->bert);
    free(f);
    return 0;
}

#define NEED_SHARED(f)                                                                             \
    do {                                                                                           \
        if (!(f)->shared) {                                                                        \
            printf("SKIPPED: ../shared not found\n");                                              \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void print_ids(const char *what, const int32_t *ids, size_t n)
{
    printf("  %s (%zu):", what, n);
    for (size_t i = 0; i < n; i++)
        printf(" %d", ids[i]);
    printf("\n");
}

/* ---- corpus.txt: every line, read as bytes and split on \n only */

static void test_corpus_lines(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizers/corpus.txt", f->shared);
    size_t len;
    char *corpus = tok_read_file(path, &len);
    assert_non_null(corpus);
    snprintf(path, sizeof path, "%s/tokenizers/bert_uncased.ids.jsonl", f->shared);
    tok_jsonl ref;
    assert_int_equal(tok_jsonl_load(&ref, path), 0);
    assert_int_equal(ref.n, 823);

    size_t line = 0, start = 0, ok = 0;
    int32_t *ids = malloc(65536 * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < len; i++) {
        if (corpus[i] != '\n')
            continue;
        line++;
        assert_true(line <= ref.n);
        const tr_json *rec = ref.rec[line - 1];
        assert_int_equal(tr_json_get_int(rec, "line", -1), (long long)line);
        int32_t *want;
        long nwant = tok_json_ints(tr_json_get(rec, "ids"), &want);
        assert_true(nwant >= 0);
        size_t n;
        bool trunc;
        int rc = tr_wordpiece_encode(&f->bert.wp, corpus + start, i - start, ids, 65536, &n, &trunc);
        bool same = rc == TINYRANK_OK && !trunc && n == (size_t)nwant &&
                    (n == 0 || memcmp(ids, want, n * sizeof *ids) == 0);
        if (same) {
            ok++;
        } else {
            printf("line %zu differs (rc %d): %s\n", line, rc, tr_json_get_string(rec, "text", "?"));
            print_ids("want", want, (size_t)nwant);
            print_ids("got ", ids, n);
        }
        free(want);
        start = i + 1;
    }
    printf("corpus lines identical: %zu/%zu\n", ok, line);
    assert_int_equal(line, 823);
    assert_int_equal(ok, 823);
    free(ids);
    tok_jsonl_free(&ref);
    free(corpus);
}

/* ---- bert_uncased.pairs.jsonl: [CLS] a [SEP] b [SEP] with truncation */

static void test_pairs(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizers/bert_uncased.pairs.jsonl", f->shared);
    tok_jsonl ref;
    assert_int_equal(tok_jsonl_load(&ref, path), 0);
    assert_int_equal(ref.n, 70);
    size_t ok = 0;
    for (size_t p = 0; p < ref.n; p++) {
        const tr_json *rec = ref.rec[p];
        const tr_json *ta = tr_json_get(rec, "text_a"), *tb = tr_json_get(rec, "text_b");
        assert_non_null(ta);
        assert_non_null(tb);
        size_t max_length = (size_t)tr_json_get_int(rec, "max_length", 0);
        const char *trunc = tr_json_get_string(rec, "truncation", "");
        int strategy = strcmp(trunc, "only_second") == 0 ? TR_PAIR_ONLY_SECOND : TR_PAIR_LONGEST_FIRST;
        assert_true(strcmp(trunc, "only_second") == 0 || strcmp(trunc, "longest_first") == 0);
        /* each side encoded with cap = max_length, as the session does */
        int32_t *a = malloc(max_length * sizeof *a), *b = malloc(max_length * sizeof *b);
        int32_t *ids = malloc(max_length * sizeof *ids), *types = malloc(max_length * sizeof *types);
        assert_true(a && b && ids && types);
        size_t na, nb, n = 0;
        bool tra, trb;
        assert_int_equal(tr_wordpiece_encode(&f->bert.wp, ta->string, ta->len, a, max_length, &na, &tra),
                         TINYRANK_OK);
        assert_int_equal(tr_wordpiece_encode(&f->bert.wp, tb->string, tb->len, b, max_length, &nb, &trb),
                         TINYRANK_OK);
        int rc = tr_pair_build(a, na, tra, b, nb, trb, f->bert.cls_id, f->bert.sep_id, max_length, strategy,
                               ids, types, &n);
        int32_t *want_ids, *want_types;
        long nw = tok_json_ints(tr_json_get(rec, "input_ids"), &want_ids);
        long nt = tok_json_ints(tr_json_get(rec, "token_type_ids"), &want_types);
        assert_true(nw >= 0 && nt == nw);
        bool same = rc == TINYRANK_OK && n == (size_t)nw && memcmp(ids, want_ids, n * sizeof *ids) == 0 &&
                    memcmp(types, want_types, n * sizeof *types) == 0;
        if (same) {
            ok++;
        } else {
            printf("pair %zu (%s, %zu) differs, rc %d\n", p, trunc, max_length, rc);
            print_ids("want ids  ", want_ids, (size_t)nw);
            print_ids("got ids   ", ids, n);
            print_ids("want types", want_types, (size_t)nt);
            print_ids("got types ", types, n);
        }
        free(want_ids);
        free(want_types);
        free(a);
        free(b);
        free(ids);
        free(types);
    }
    printf("pairs identical: %zu/%zu\n", ok, ref.n);
    assert_int_equal(ok, 70);
    tok_jsonl_free(&ref);
}

/* ---- cap: the output is a prefix of the full encoding, truncated says
 * whether anything was left out. */

static void test_cap_and_truncated(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    /* specials, punctuation, CJK, an unknown word and a long word */
    const char *text = "[CLS] Hello, wörld! 你好 unaffable \xF0\x9F\x98\x80 "
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       " end [SEP]  ";
    int32_t full[256];
    size_t nfull;
    bool trunc;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, strlen(text), full, 256, &nfull, &trunc),
                     TINYRANK_OK);
    assert_false(trunc);
    assert_true(nfull > 10);
    assert_int_equal(full[0], f->bert.cls_id);
    assert_int_equal(full[nfull - 1], f->bert.sep_id);
    for (size_t cap = 0; cap <= nfull + 2; cap++) {
        int32_t ids[256];
        size_t n = 999;
        assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, strlen(text), ids, cap, &n, &trunc),
                         TINYRANK_OK);
        assert_int_equal(n, cap < nfull ? cap : nfull);
        assert_true(trunc == (cap < nfull));
        assert_memory_equal(ids, full, n * sizeof *ids);
    }
    /* cap 0 with NULL ids is allowed */
    size_t n;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, "a", 1, NULL, 0, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    assert_true(trunc);
}

/* ---- empty, blank and huge texts */

static void test_empty_and_blank(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    int32_t ids[8];
    size_t n = 99;
    bool trunc = true;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, "", 0, ids, 8, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    assert_false(trunc);
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, NULL, 0, ids, 8, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    /* only whitespace, controls and zero-width characters: nothing */
    const char *blank = "   \t\r\n \xC2\xA0\xE2\x80\x83\xE3\x80\x80\x01\x7F\xEF\xBB\xBF\xE2\x80\x8B "
                        "\xE2\x80\xA8\xE2\x80\xA9\xC2\x85";
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, blank, strlen(blank), ids, 8, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    assert_false(trunc);
    /* with cap 0 a blank text is not truncated */
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, blank, strlen(blank), ids, 0, &n, &trunc), TINYRANK_OK);
    assert_false(trunc);
    /* an embedded NUL is dropped like a control character: "a\0b" = "ab" */
    int32_t ab[8];
    size_t nab;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, "ab", 2, ab, 8, &nab, &trunc), TINYRANK_OK);
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, "a\0b", 3, ids, 8, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, nab);
    assert_memory_equal(ids, ab, n * sizeof *ids);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_huge_inputs(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    size_t big = 10u << 20;
    char *text = malloc(big);
    assert_non_null(text);
    const char *sentence = "The quick brown fox jumps over the lazy dog. Übermäßig 東京 caf\xC3\xA9! ";
    size_t sl = strlen(sentence);
    for (size_t i = 0; i < big; i++)
        text[i] = sentence[i % sl];
    size_t cut = big - big % sl; /* whole sentences only */
    int32_t ids[512];
    size_t n;
    bool trunc;
    double t0 = seconds();
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, cut, ids, 512, &n, &trunc), TINYRANK_OK);
    double t_capped = seconds() - t0;
    assert_int_equal(n, 512);
    assert_true(trunc);
    /* the same ids as the first sentences alone */
    int32_t one[64];
    size_t n1;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, sentence, sl, one, 64, &n1, &trunc), TINYRANK_OK);
    for (size_t i = 0; i < 512; i++)
        assert_int_equal(ids[i], one[i % n1]);

    /* all of it, uncapped */
    size_t cap = big;
    int32_t *all = malloc(cap * sizeof *all);
    assert_non_null(all);
    t0 = seconds();
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, cut, all, cap, &n, &trunc), TINYRANK_OK);
    double t_all = seconds() - t0;
    assert_false(trunc);
    assert_int_equal(n, n1 * (cut / sl));
    free(all);

    /* one 10 MB word: a single [UNK], in linear time */
    memset(text, 'a', big);
    t0 = seconds();
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, big, ids, 512, &n, &trunc), TINYRANK_OK);
    double t_word = seconds() - t0;
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], f->bert.unk_id);
    /* 10 MB of spaces and of combining marks after one letter */
    memset(text, ' ', big);
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, big, ids, 512, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 0);
    text[0] = 'e';
    for (size_t i = 1; i + 1 < big; i += 2) {
        text[i] = (char)0xCC; /* U+0301 */
        text[i + 1] = (char)0x81;
    }
    size_t marks_len = 1 + (big - 1) / 2 * 2;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, text, marks_len, ids, 512, &n, &trunc), TINYRANK_OK);
    /* strip_accents removes every mark: the word is "e" */
    int32_t e[4];
    size_t ne;
    assert_int_equal(tr_wordpiece_encode(&f->bert.wp, "e", 1, e, 4, &ne, &trunc), TINYRANK_OK);
    assert_int_equal(n, ne);
    assert_int_equal(ids[0], e[0]);
    printf("10 MB: capped %.3f s, all (%zu ids) %.3f s, one word %.3f s\n", t_capped, n1 * (cut / sl), t_all,
           t_word);
    assert_true(t_capped < 1.0);
    free(text);
}

/* ---- rules worked out by hand from tokenization_bert.py */

static int32_t id_of(const fixture *f, const char *tok)
{
    return tr_vocab_find(&f->bert.wp.vocab, tok, strlen(tok));
}

static void expect_tokens(const fixture *f, const tr_wordpiece *wp, const char *text, size_t len,
                          const char *const *toks, size_t ntoks)
{
    int32_t ids[64];
    size_t n;
    bool trunc;
    assert_int_equal(tr_wordpiece_encode(wp, text, len, ids, 64, &n, &trunc), TINYRANK_OK);
    bool same = n == ntoks;
    for (size_t i = 0; same && i < n; i++)
        same = ids[i] == id_of(f, toks[i]);
    if (!same) {
        printf("text '%.*s':\n", (int)len, text);
        print_ids("got", ids, n);
        for (size_t i = 0; i < ntoks; i++)
            printf("  want %s = %d\n", toks[i], id_of(f, toks[i]));
        fail();
    }
}
#define EXPECT(f, wp, text, ...)                                                                   \
    do {                                                                                           \
        static const char *const toks_[] = {__VA_ARGS__};                                         \
        expect_tokens(f, wp, text, sizeof(text) - 1, toks_, sizeof toks_ / sizeof toks_[0]);       \
    } while (0)

static void test_rules_by_hand(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    tr_wordpiece wp = f->bert.wp;
    /* special tokens are split off even inside words; lowercase ones are
     * plain text */
    EXPECT(f, &wp, "a[SEP]b", "a", "[SEP]", "b");
    EXPECT(f, &wp, "[cls]", "[", "cl", "##s", "]");
    /* U+0130 lowercases to i + U+0307, the mark is stripped */
    EXPECT(f, &wp, "\xC4\xB0stanbul", "istanbul");
    /* decomposed e + U+0301 gives "e"; the syllable 가 (U+AC00) is
     * decomposed again by accent stripping into jamo U+1100 U+1161 (Lo,
     * not Mn: kept) */
    EXPECT(f, &wp, "cafe\xCC\x81", "cafe");
    EXPECT(f, &wp, "\xEA\xB0\x80", "\xE1\x84\x80", "##\xE1\x85\xA1");
    /* a control character inside a word disappears, U+2028 splits */
    EXPECT(f, &wp, "he\x01llo", "hello");
    EXPECT(f, &wp, "hello\xE2\x80\xA8world", "hello", "world");
    /* ASCII symbols are punctuation */
    EXPECT(f, &wp, "a$b^c`d", "a", "$", "b", "^", "c", "`", "d");
    /* 100 characters is still a word, 101 is [UNK] */
    char w[128];
    memset(w, 'a', sizeof w);
    int32_t ids[64];
    size_t n;
    bool trunc;
    assert_int_equal(tr_wordpiece_encode(&wp, w, 100, ids, 64, &n, &trunc), TINYRANK_OK);
    assert_true(n >= 1 && ids[0] != f->bert.unk_id);
    assert_int_equal(tr_wordpiece_encode(&wp, w, 101, ids, 64, &n, &trunc), TINYRANK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], f->bert.unk_id);
    /* ...counted after punctuation split: 60 a, '.', 60 a is three tokens */
    memset(w, 'a', 121);
    w[60] = '.';
    assert_int_equal(tr_wordpiece_encode(&wp, w, 121, ids, 64, &n, &trunc), TINYRANK_OK);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(ids[i], f->bert.unk_id);

    /* Cased settings (lowercase off, accents kept): a word that becomes a
     * special token once a control character is cleaned out is that token
     * (BasicTokenizer never_split), while "[CLS]x" is split by the text
     * matcher and "x[CLS" is not special at all. */
    wp.lowercase = false;
    wp.strip_accents = false;
    EXPECT(f, &wp, "[CL\x01S]", "[CLS]");
    EXPECT(f, &wp, "[CLS]x", "[CLS]", "x");
    /* NFC composes jamo U+1100 U+1161 into 가, which this vocabulary lacks
     * (without composition the jamo would be two known tokens) */
    EXPECT(f, &wp, "\xE1\x84\x80\xE1\x85\xA1", "[UNK]");
    /* accents kept: "é" (and any mark) is unknown to the uncased vocab */
    EXPECT(f, &wp, "e\xCC\x81", "[UNK]");
    /* lowercase on, strip explicitly off: the accent stays */
    wp.lowercase = true;
    EXPECT(f, &wp, "E\xCC\x81", "[UNK]");
    /* Chinese characters not split: a run is one word (not in vocab) */
    wp = f->bert.wp;
    wp.split_chinese_chars = false;
    EXPECT(f, &wp, "\xE4\xBD\xA0\xE5\xA5\xBD", "[UNK]");
}

/* ---- configuration and argument errors */

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    int32_t ids[4];
    size_t n;
    bool trunc;
    tr_wordpiece wp = f->bert.wp;
    const char *msg = NULL;
    assert_int_equal(tr_wordpiece_validate(&wp, &msg), TINYRANK_OK);
    assert_string_equal(msg, "");
    assert_int_equal(tr_wordpiece_encode(NULL, "a", 1, ids, 4, &n, &trunc), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_wordpiece_encode(&wp, NULL, 1, ids, 4, &n, &trunc), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_wordpiece_encode(&wp, "a", 1, NULL, 4, &n, &trunc), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_wordpiece_encode(&wp, "a", 1, ids, 4, NULL, &trunc), TINYRANK_ERR_INVALID_ARGUMENT);
    wp.max_chars_per_word = 200;
    assert_int_equal(tr_wordpiece_validate(&wp, &msg), TINYRANK_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg, "max_chars_per_word"));
    assert_int_equal(tr_wordpiece_encode(&wp, "a", 1, ids, 4, &n, &trunc), TINYRANK_ERR_UNSUPPORTED);
    wp = f->bert.wp;
    wp.unk_id = -1;
    assert_int_equal(tr_wordpiece_validate(&wp, &msg), TINYRANK_ERR_INVALID_ARGUMENT);
    wp = f->bert.wp;
    int32_t bad_special = (int32_t)wp.vocab.n;
    wp.special_ids = &bad_special;
    wp.n_special = 1;
    assert_int_equal(tr_wordpiece_validate(&wp, &msg), TINYRANK_ERR_INVALID_ARGUMENT);
    /* invalid UTF-8 anywhere rejects the whole text, nothing written */
    wp = f->bert.wp;
    ids[0] = 12345;
    assert_int_equal(tr_wordpiece_encode(&wp, "hello \xC0\xAF", 8, ids, 4, &n, &trunc),
                     TINYRANK_ERR_INVALID_UTF8);
    assert_int_equal(n, 0);
    assert_int_equal(ids[0], 12345);
}

/* ---- pair truncation rules */

static void test_pair_truncate_rules(void **state)
{
    (void)state;
    size_t ka, kb;
    /* fits: nothing removed */
    assert_int_equal(tr_pair_truncate(5, 7, 15, 3, TR_PAIR_ONLY_SECOND, &ka, &kb), TINYRANK_OK);
    assert_true(ka == 5 && kb == 7);
    /* only_second: b loses the excess */
    assert_int_equal(tr_pair_truncate(5, 20, 15, 3, TR_PAIR_ONLY_SECOND, &ka, &kb), TINYRANK_OK);
    assert_true(ka == 5 && kb == 7);
    /* only_second impossible (a alone fills the budget): longest_first */
    assert_int_equal(tr_pair_truncate(12, 4, 15, 3, TR_PAIR_ONLY_SECOND, &ka, &kb), TINYRANK_OK);
    assert_true(ka + kb == 12);
    assert_true(ka == 8 && kb == 4);
    /* longest_first: longer one first, then share; odd token to a:
     * a=10 b=7, budget 12, remove 5: a -3 (to 7), then 2 shared: 6 and 6 */
    assert_int_equal(tr_pair_truncate(10, 7, 15, 3, TR_PAIR_LONGEST_FIRST, &ka, &kb), TINYRANK_OK);
    assert_true(ka == 6 && kb == 6);
    /* a=10 b=7, budget 11, remove 6: a -3, then 3: a -1, b -2 -> 6, 5 */
    assert_int_equal(tr_pair_truncate(10, 7, 14, 3, TR_PAIR_LONGEST_FIRST, &ka, &kb), TINYRANK_OK);
    assert_true(ka == 6 && kb == 5);
    /* b longer: a=7 b=10, budget 11 -> 6, 5 (the odd token stays with a) */
    assert_int_equal(tr_pair_truncate(7, 10, 14, 3, TR_PAIR_LONGEST_FIRST, &ka, &kb), TINYRANK_OK);
    assert_true(ka == 6 && kb == 5);
    assert_int_equal(tr_pair_truncate(1, 1, 2, 3, TR_PAIR_LONGEST_FIRST, &ka, &kb),
                     TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_pair_truncate(1, 1, 20, 3, 7, &ka, &kb), TINYRANK_ERR_INVALID_ARGUMENT);

    /* Properties over all small lengths: never more than max_length, and a
     * side known only as "longer than max_length" (encoded with cap =
     * max_length) gives the same result as its true length. */
    for (size_t ml = 3; ml <= 20; ml++) {
        for (int strat = 0; strat <= 1; strat++) {
            for (size_t a = 0; a <= 3 * ml; a++) {
                for (size_t b = 0; b <= 3 * ml; b++) {
                    assert_int_equal(tr_pair_truncate(a, b, ml, 3, strat, &ka, &kb), TINYRANK_OK);
                    assert_true(ka <= a && kb <= b);
                    assert_true(ka + kb == (a + b < ml - 3 ? a + b : ml - 3));
                    size_t ca = a > ml ? ml + 1 : a, cb = b > ml ? ml + 1 : b, ka2, kb2;
                    assert_int_equal(tr_pair_truncate(ca, cb, ml, 3, strat, &ka2, &kb2), TINYRANK_OK);
                    if (ka2 != ka || kb2 != kb)
                        fail_msg("ml %zu strat %d a %zu b %zu: %zu,%zu vs clipped %zu,%zu", ml, strat, a, b,
                                 ka, kb, ka2, kb2);
                }
            }
        }
    }
}

/* ---- vocab.txt reading (transformers' load_vocab) and lookups */

static void test_vocab_txt(void **state)
{
    (void)state;
    /* "\r\n" and "\r" end lines (text mode), an empty line is the empty
     * token, no token after the final line break, duplicates: last id */
    const char txt[] = "[PAD]\r\nab\rb\n\na b \nab\n##b\nlast";
    tr_vocab_index vi;
    char err[128];
    assert_int_equal(tr_vocab_index_parse_txt(txt, sizeof txt - 1, &vi, err, sizeof err), TINYRANK_OK);
    assert_int_equal(vi.n, 8);
    tr_vocab v = tr_vocab_index_view(&vi);
    assert_int_equal(tr_vocab_find(&v, "[PAD]", 5), 0);
    assert_int_equal(tr_vocab_find(&v, "ab", 2), 5);
    assert_int_equal(tr_vocab_find(&v, "b", 1), 2);
    assert_int_equal(tr_vocab_find(&v, "", 0), 3);
    assert_int_equal(tr_vocab_find(&v, "a b ", 4), 4);
    assert_int_equal(tr_vocab_find2(&v, "##", 2, "b", 1), 6);
    assert_int_equal(tr_vocab_find2(&v, "#", 1, "#b", 2), 6);
    assert_int_equal(tr_vocab_find(&v, "last", 4), 7);
    assert_int_equal(tr_vocab_find(&v, "las", 3), -1);
    assert_int_equal(tr_vocab_find(&v, "lastt", 5), -1);
    assert_int_equal(tr_vocab_find(&v, "a", 1), -1);
    tr_vocab_index_free(&vi);
    const char txt2[] = "a\nb\n";
    assert_int_equal(tr_vocab_index_parse_txt(txt2, sizeof txt2 - 1, &vi, err, sizeof err), TINYRANK_OK);
    assert_int_equal(vi.n, 2);
    tr_vocab_index_free(&vi);
    const char bad[] = "a\nb\xFF\n";
    assert_int_equal(tr_vocab_index_parse_txt(bad, sizeof bad - 1, &vi, err, sizeof err),
                     TINYRANK_ERR_INVALID_UTF8);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(tr_vocab_index_read_txt("/nonexistent/vocab.txt", &vi, err, sizeof err), TINYRANK_ERR_IO);
}

static void test_vocab_real(void **state)
{
    fixture *f = *state;
    NEED_SHARED(f);
    /* bert-base-uncased: 30522 tokens; ids from its vocab.txt line numbers */
    const tr_vocab *v = &f->bert.wp.vocab;
    assert_int_equal(v->n, 30522);
    assert_int_equal(f->bert.pad_id, 0);
    assert_int_equal(f->bert.unk_id, 100);
    assert_int_equal(f->bert.cls_id, 101);
    assert_int_equal(f->bert.sep_id, 102);
    assert_int_equal(id_of(f, "[MASK]"), 103);
    assert_int_equal(id_of(f, "the"), 1996);
    /* every token finds itself (no duplicates in this vocabulary) */
    for (uint32_t i = 0; i < v->n; i++) {
        size_t len;
        const uint8_t *t = tr_vocab_token(v, i, &len);
        assert_int_equal(tr_vocab_find(v, (const char *)t, len), (int32_t)i);
    }
}

/* ---- the Unicode tables against Python's unicodedata, every code point.
 * Runs $TINYRANK_PYTHON (the Python 3.11 / Unicode 14 of the reference);
 * the BERT classes are restated here from tokenization_bert.py. */

static const char uc_script[] =
    "import sys, unicodedata as ud\n"
    "assert ud.unidata_version == '14.0.0'\n"
    "def cls(c):\n"
    "    ch = chr(c); cat = ud.category(ch)\n"
    "    if ch in '\\t\\n\\r ': return 1\n"
    "    if c == 0 or c == 0xFFFD or cat[0] == 'C': return 2\n"
    "    if cat == 'Zs' or ch.isspace(): return 1\n"
    "    if 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126 or cat[0] == 'P': return 3\n"
    "    return 0\n"
    "out = sys.stdout\n"
    "for c in range(0x110000):\n"
    "    ch = chr(c); d = ud.normalize('NFD', ch)\n"
    "    r = '%x %d %d %d L %s D %s' % (c, cls(c), ud.category(ch) == 'Mn', ud.combining(ch),\n"
    "        ' '.join('%x' % ord(x) for x in ch.lower()), ' '.join('%x' % ord(x) for x in d))\n"
    "    if len(d) == 2:\n"
    "        n = ud.normalize('NFC', d)\n"
    "        r += ' C %x' % (ord(n) if len(n) == 1 else 0)\n"
    "    out.write(r + '\\n')\n";

static void test_unicode_tables(void **state)
{
    (void)state;
    const char *py = getenv("TINYRANK_PYTHON");
    if (!py || !*py) {
        printf("SKIPPED: TINYRANK_PYTHON not set (run through ctest)\n");
        skip();
    }
    char script_path[] = "/tmp/tinyrank_uc_XXXXXX";
    int fd = mkstemp(script_path);
    assert_true(fd >= 0);
    FILE *sf = fdopen(fd, "w");
    assert_non_null(sf);
    fputs(uc_script, sf);
    fclose(sf);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' '%s'", py, script_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char want[256], got[256];
    size_t bad = 0;
    uint32_t cp = 0;
    while (fgets(want, sizeof want, p)) {
        uint32_t l[TR_UC_MAX_LOWER], d[TR_UC_MAX_DECOMP];
        size_t nl = tr_uc_lower(cp, l), nd = tr_uc_decompose(cp, d);
        int k = snprintf(got, sizeof got, "%x %d %d %d L", (unsigned)cp, tr_uc_class(cp), tr_uc_is_mn(cp) ? 1 : 0,
                         tr_uc_ccc(cp));
        for (size_t i = 0; i < nl; i++)
            k += snprintf(got + k, sizeof got - (size_t)k, " %x", (unsigned)l[i]);
        k += snprintf(got + k, sizeof got - (size_t)k, " D");
        for (size_t i = 0; i < nd; i++)
            k += snprintf(got + k, sizeof got - (size_t)k, " %x", (unsigned)d[i]);
        if (nd == 2)
            k += snprintf(got + k, sizeof got - (size_t)k, " C %x", (unsigned)tr_uc_compose(d[0], d[1]));
        snprintf(got + k, sizeof got - (size_t)k, "\n");
        if (strcmp(got, want) != 0 && ++bad <= 10)
            printf("U+%04X: python '%s' tables '%s'\n", (unsigned)cp, want, got);
        cp++;
    }
    int status = pclose(p);
    remove(script_path);
    assert_int_equal(status, 0);
    assert_int_equal(cp, 0x110000);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_lines),      cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_cap_and_truncated), cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_huge_inputs),       cmocka_unit_test(test_rules_by_hand),
        cmocka_unit_test(test_bad_arguments),     cmocka_unit_test(test_pair_truncate_rules),
        cmocka_unit_test(test_vocab_txt),         cmocka_unit_test(test_vocab_real),
        cmocka_unit_test(test_unicode_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
