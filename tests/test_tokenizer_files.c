/* test_tokenizer_files.c - reading BERT WordPiece tokenizers: the real
 * bert-base-uncased files (vocab.txt and tokenizer.json must give the same
 * 30522 tokens and flags; known ids [PAD]=0 [UNK]=100 [CLS]=101 [SEP]=102
 * [MASK]=103, "the"=1996), tokenizer_config.json settings, line-ending rules
 * of vocab.txt, and malformed folders written to a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/hf/tokenizer_files.h"
#include "tinyrank.h"

static const char *shared_dir(void)
{
    static char buf[1024];
    const char *env = getenv("TINYRANK_SHARED");
    if (env && env[0])
        snprintf(buf, sizeof buf, "%s", env);
    else if ((env = getenv("TINYRANK_SOURCE_DIR")) && env[0])
        snprintf(buf, sizeof buf, "%s/../shared", env);
    else {
        /* Source dir from this file's path: <src>/tests/test_x.c. */
        char src[900];
        snprintf(src, sizeof src, "%s", __FILE__);
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(src, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(src, sizeof src, ".");
        }
        snprintf(buf, sizeof buf, "%s/../shared", src);
    }
    struct stat st;
    return (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) ? buf : NULL;
}

static char g_tmp[256];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/tr_test_tok_XXXXXX");
    return mkdtemp(g_tmp) ? 0 : -1;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int drop_tmp(void **state)
{
    (void)state;
    remove_tree(g_tmp);
    return 0;
}

/* A fresh folder holding the given files (name, content pairs; content
 * length by strlen unless it is vocab.txt given through write_raw). */
static const char *folder(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", g_tmp, name);
    remove_tree(buf);
    assert_int_equal(mkdir(buf, 0755), 0);
    return buf;
}

static void put(const char *dir, const char *file, const char *data, size_t n)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void put_s(const char *dir, const char *file, const char *text)
{
    put(dir, file, text, strlen(text));
}

static void expect_load_error(const char *dir, int source, int code, const char *frag)
{
    tr_wp_files v;
    char err[512] = "";
    int rc = tr_wp_files_load(dir, source, &v, err, sizeof err);
    tr_wp_files_free(&v);
    if (rc != code)
        fail_msg("%s: expected status %d, got %d (%s)", dir, code, rc, err);
    if (frag && !strstr(err, frag))
        fail_msg("message '%s' lacks '%s'", err, frag);
}

static void load_ok(const char *dir, int source, tr_wp_files *v)
{
    char err[512] = "";
    int rc = tr_wp_files_load(dir, source, v, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("%s: %s", dir, err);
}

/* ------------------------------------------------- bert-base-uncased */

static void check_bert_uncased(const tr_wp_files *v)
{
    assert_int_equal(v->count, 30522);
    assert_string_equal(v->tokens[0], "[PAD]");
    assert_string_equal(v->tokens[1], "[unused0]");
    assert_string_equal(v->tokens[1996], "the");
    assert_string_equal(v->tokens[2015], "##s");
    assert_string_equal(v->tokens[7592], "hello");
    assert_int_equal(v->lens[1996], 3);
    assert_int_equal(v->pad_id, 0);
    assert_int_equal(v->unk_id, 100);
    assert_int_equal(v->cls_id, 101);
    assert_int_equal(v->sep_id, 102);
    assert_int_equal(v->mask_id, 103);
    assert_int_equal(v->num_special, 5);
    const int32_t sp[5] = {0, 100, 101, 102, 103};
    for (int i = 0; i < 5; i++)
        assert_int_equal(v->special_ids[i], sp[i]);
    assert_true(v->lowercase);
    assert_true(v->strip_accents); /* null: follows lowercase */
    assert_true(v->split_chinese_chars);
    assert_true(v->clean_text);
    assert_int_equal(v->max_chars_per_word, 100);
    assert_string_equal(v->prefix, "##");
    assert_int_equal(tr_wp_files_find(v, "hello"), 7592);
    assert_int_equal(tr_wp_files_find(v, "no-such-token-here"), -1);
}

static void test_bert_uncased_both_sources(void **state)
{
    (void)state;
    const char *shared = shared_dir();
    if (!shared) {
        print_message("SKIPPED: ../shared not found (set TINYRANK_SHARED)\n");
        skip();
    }
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/tokenizers/bert-base-uncased", shared);
    tr_wp_files a, b, c;
    load_ok(dir, TR_WP_SOURCE_VOCAB_TXT, &a);
    load_ok(dir, TR_WP_SOURCE_TOKENIZER_JSON, &b);
    load_ok(dir, TR_WP_SOURCE_AUTO, &c);
    assert_int_equal(a.source, TR_WP_SOURCE_VOCAB_TXT);
    assert_int_equal(b.source, TR_WP_SOURCE_TOKENIZER_JSON);
    assert_int_equal(c.source, TR_WP_SOURCE_TOKENIZER_JSON); /* what AutoTokenizer loads */
    check_bert_uncased(&a);
    check_bert_uncased(&b);
    for (size_t i = 0; i < a.count; i++) {
        assert_int_equal(a.lens[i], b.lens[i]);
        if (memcmp(a.tokens[i], b.tokens[i], a.lens[i]) != 0)
            fail_msg("id %zu: '%s' vs '%s'", i, a.tokens[i], b.tokens[i]);
    }
    /* The last line of vocab.txt (U+FF5E with ##) survives intact. */
    assert_string_equal(a.tokens[30521], "##\xef\xbd\x9e");
    tr_wp_files_free(&a);
    tr_wp_files_free(&b);
    tr_wp_files_free(&c);
    tr_wp_files_free(&c); /* idempotent */
}

/* ----------------------------------------------------------- vocab.txt */

static void test_vocab_txt_lines(void **state)
{
    (void)state;
    const char *d = folder("lines");
    /* Python's text-mode readlines: "\n", "\r\n" and "\r" end lines; only
     * the newline is stripped, so " x " keeps its spaces, an empty line is
     * the empty token, and a last line without newline still counts. */
    static const char txt[] = "[PAD]\r\n[UNK]\n[CLS]\r[SEP]\n x \n\n\xc3\xa9t\xc3\xa9\n##a\ttab";
    put(d, "vocab.txt", txt, sizeof txt - 1);
    tr_wp_files v;
    load_ok(d, TR_WP_SOURCE_AUTO, &v);
    assert_int_equal(v.source, TR_WP_SOURCE_VOCAB_TXT);
    assert_int_equal(v.count, 8);
    const char *want[8] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", " x ", "", "\xc3\xa9t\xc3\xa9", "##a\ttab"};
    for (int i = 0; i < 8; i++) {
        assert_string_equal(v.tokens[i], want[i]);
        assert_int_equal(v.lens[i], strlen(want[i]));
    }
    assert_int_equal(v.unk_id, 1);
    assert_int_equal(v.cls_id, 2);
    assert_int_equal(v.sep_id, 3);
    assert_int_equal(v.pad_id, 0);
    assert_int_equal(v.mask_id, -1); /* absent: allowed */
    assert_int_equal(v.num_special, 4);
    /* Defaults of the slow BertTokenizer without tokenizer_config.json. */
    assert_true(v.lowercase && v.strip_accents && v.split_chinese_chars && v.clean_text);
    assert_int_equal(v.max_chars_per_word, 100);
    assert_string_equal(v.prefix, "##");
    tr_wp_files_free(&v);
}

static void test_tokenizer_config(void **state)
{
    (void)state;
    const char *d = folder("cfg");
    put_s(d, "vocab.txt", "[PAD]\n<unk>\n[CLS]\n[SEP]\n[MASK]\nfoo\n");
    /* Cased model; strip_accents explicitly true; special tokens given as
     * a string and as an AddedToken object; added_tokens_decoder marks an
     * extra special token and appends a new one. */
    put_s(d, "tokenizer_config.json",
          "{\"do_lower_case\": false, \"strip_accents\": true, \"tokenize_chinese_chars\": false,"
          " \"unk_token\": {\"__type\": \"AddedToken\", \"content\": \"<unk>\", \"lstrip\": false},"
          " \"cls_token\": \"[CLS]\","
          " \"added_tokens_decoder\": {\"5\": {\"content\": \"foo\", \"special\": true},"
          "                            \"6\": {\"content\": \"[NEW]\", \"special\": false}}}");
    tr_wp_files v;
    load_ok(d, TR_WP_SOURCE_VOCAB_TXT, &v);
    assert_false(v.lowercase);
    assert_true(v.strip_accents);
    assert_false(v.split_chinese_chars);
    assert_int_equal(v.unk_id, 1);
    assert_int_equal(v.count, 7);
    assert_string_equal(v.tokens[6], "[NEW]");
    assert_int_equal(v.num_special, 6); /* 0 1 2 3 4 5 */
    assert_int_equal(v.special_ids[5], 5);
    tr_wp_files_free(&v);

    /* do_lower_case false alone: accents follow lowercase (kept). */
    put_s(d, "tokenizer_config.json", "{\"do_lower_case\": false, \"unk_token\": \"<unk>\"}");
    load_ok(d, TR_WP_SOURCE_VOCAB_TXT, &v);
    assert_false(v.lowercase);
    assert_false(v.strip_accents);
    assert_true(v.split_chinese_chars);
    tr_wp_files_free(&v);

    /* Default unk name "[UNK]" is not in this vocabulary. */
    put_s(d, "tokenizer_config.json", "{}");
    expect_load_error(d, TR_WP_SOURCE_VOCAB_TXT, TINYRANK_ERR_CORRUPT_MODEL, "[UNK]");

    /* added_tokens_decoder contradicting the vocabulary. */
    put_s(d, "tokenizer_config.json",
          "{\"unk_token\": \"<unk>\", \"added_tokens_decoder\": {\"5\": {\"content\": \"bar\", \"special\": true}}}");
    expect_load_error(d, TR_WP_SOURCE_VOCAB_TXT, TINYRANK_ERR_CORRUPT_MODEL, "id 5");

    /* Leaving a hole past the end. */
    put_s(d, "tokenizer_config.json",
          "{\"unk_token\": \"<unk>\", \"added_tokens_decoder\": {\"9\": {\"content\": \"x\", \"special\": true}}}");
    expect_load_error(d, TR_WP_SOURCE_VOCAB_TXT, TINYRANK_ERR_CORRUPT_MODEL, NULL);

    put_s(d, "tokenizer_config.json", "{\"do_lower_case\": fals}");
    expect_load_error(d, TR_WP_SOURCE_VOCAB_TXT, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer_config.json");
}

static void test_vocab_txt_errors(void **state)
{
    (void)state;
    const char *d = folder("vbad");
    put_s(d, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\nfoo\n");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "[SEP]");
    put_s(d, "vocab.txt", "[UNK]\n[CLS]\n[SEP]\nfoo\nfoo\n");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "twice");
    put_s(d, "vocab.txt", "[UNK]\n[CLS]\n[SEP]\nf\xc3\x28o\n");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "UTF-8");
    put_s(d, "vocab.txt", "");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "empty");
    /* Asking for a source that is not there. */
    expect_load_error(d, TR_WP_SOURCE_TOKENIZER_JSON, TINYRANK_ERR_IO, "tokenizer.json");
    const char *e = folder("none");
    expect_load_error(e, TR_WP_SOURCE_AUTO, TINYRANK_ERR_IO, "neither");
    tr_wp_files v;
    char err[64];
    assert_int_equal(tr_wp_files_load(NULL, 0, &v, err, sizeof err), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_wp_files_load(e, 7, &v, err, sizeof err), TINYRANK_ERR_INVALID_ARGUMENT);
    tr_wp_files_free(&v);
}

/* ------------------------------------------------------ tokenizer.json */

static void put_tj(const char *d, const char *model_type, const char *vocab, const char *added, const char *norm)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"version\": \"1.0\", \"added_tokens\": %s,"
             " \"normalizer\": %s,"
             " \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
             " \"model\": {\"type\": \"%s\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"@@\","
             " \"max_input_chars_per_word\": 50, \"vocab\": %s}}",
             added, norm, model_type, vocab);
    put_s(d, "tokenizer.json", text);
}

static const char *k_norm = "{\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": false,"
                            " \"strip_accents\": null, \"lowercase\": false}";

static void test_tokenizer_json(void **state)
{
    (void)state;
    const char *d = folder("tj");
    /* Vocabulary in file order unlike id order; an added special token
     * extends it; \u escapes decode to UTF-8. */
    put_tj(d, "WordPiece", "{\"b\": 4, \"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2, \"\\u00e9\": 3}",
           "[{\"id\": 0, \"content\": \"[UNK]\", \"special\": true},"
           " {\"id\": 5, \"content\": \"<extra>\", \"special\": true},"
           " {\"id\": 6, \"content\": \"plain\", \"special\": false}]",
           k_norm);
    tr_wp_files v;
    load_ok(d, TR_WP_SOURCE_AUTO, &v);
    assert_int_equal(v.source, TR_WP_SOURCE_TOKENIZER_JSON);
    assert_int_equal(v.count, 7);
    assert_string_equal(v.tokens[3], "\xc3\xa9");
    assert_string_equal(v.tokens[4], "b");
    assert_string_equal(v.tokens[5], "<extra>");
    assert_string_equal(v.tokens[6], "plain");
    assert_false(v.lowercase);
    assert_false(v.strip_accents); /* null follows lowercase=false */
    assert_false(v.split_chinese_chars);
    assert_true(v.clean_text);
    assert_string_equal(v.prefix, "@@");
    assert_int_equal(v.max_chars_per_word, 50);
    assert_int_equal(v.pad_id, -1);
    assert_int_equal(v.num_special, 4); /* 0 1 2 5 */
    assert_int_equal(v.special_ids[3], 5);
    tr_wp_files_free(&v);

    /* tokenizer_config.json settings override the normalizer's. */
    put_s(d, "tokenizer_config.json", "{\"do_lower_case\": true}");
    load_ok(d, TR_WP_SOURCE_TOKENIZER_JSON, &v);
    assert_true(v.lowercase);
    assert_true(v.strip_accents);
    assert_false(v.split_chinese_chars); /* not given there: kept */
    tr_wp_files_free(&v);
    remove_tree(d);

    d = folder("tj_bad");
    const char *base = "{\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2}";
    put_tj(d, "BPE", base, "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_UNSUPPORTED, "BPE");
    put_tj(d, "WordPiece", base, "[]", "{\"type\": \"Sequence\", \"normalizers\": []}");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_UNSUPPORTED, "Sequence");
    put_tj(d, "WordPiece", base, "[]", "null");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_UNSUPPORTED, "normalizer");
    /* Hole: id 3 missing. */
    put_tj(d, "WordPiece", "{\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2, \"x\": 4}", "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "id");
    /* Two tokens with one id. */
    put_tj(d, "WordPiece", "{\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2, \"x\": 2}", "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "id 2");
    /* Duplicate key in the vocab map. */
    put_tj(d, "WordPiece", "{\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2, \"[SEP]\": 3}", "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "twice");
    /* Negative / non-integer ids. */
    put_tj(d, "WordPiece", "{\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": -2}", "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "[SEP]");
    put_tj(d, "WordPiece", "{\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2.5}", "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "[SEP]");
    /* Added token contradicting the vocabulary. */
    put_tj(d, "WordPiece", base, "[{\"id\": 1, \"content\": \"[XXX]\", \"special\": true}]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "id 1");
    /* Missing [CLS]. */
    put_tj(d, "WordPiece", "{\"[UNK]\": 0, \"[SEP]\": 1}", "[]", k_norm);
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "[CLS]");
    /* Broken JSON names the file and position. */
    put_s(d, "tokenizer.json", "{\"model\": {\"type\": \"WordPiece\",\n \"vocab\": {\"a\": 0,}}}");
    expect_load_error(d, TR_WP_SOURCE_AUTO, TINYRANK_ERR_CORRUPT_MODEL, "line 2");
}

/* The synthetic "english" vocabulary of tests/tools/make_checkpoint.py:
 * specials at ids 0..4, real words present, exactly --vocab-size tokens. */
static void test_generated_vocab(void **state)
{
    (void)state;
    const char *python = getenv("TINYRANK_PYTHON");
    const char *src = getenv("TINYRANK_SOURCE_DIR");
    if (!python || !python[0] || !src || !src[0]) {
        print_message("SKIPPED: TINYRANK_PYTHON / TINYRANK_SOURCE_DIR not set (run through ctest)\n");
        skip();
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tools/make_checkpoint.py' --preset tiny --vocab-size 700 --out '%s/gen'",
             python, src, g_tmp);
    assert_int_equal(system(cmd), 0);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/gen", g_tmp);
    tr_wp_files v;
    load_ok(dir, TR_WP_SOURCE_AUTO, &v);
    assert_int_equal(v.count, 700);
    assert_int_equal(v.pad_id, 0);
    assert_int_equal(v.unk_id, 1);
    assert_int_equal(v.cls_id, 2);
    assert_int_equal(v.sep_id, 3);
    assert_int_equal(v.mask_id, 4);
    assert_true(v.lowercase);
    assert_true(tr_wp_files_find(&v, "the") > 4);
    assert_true(tr_wp_files_find(&v, "passage") > 4);
    assert_true(tr_wp_files_find(&v, "##s") > 4);
    assert_true(tr_wp_files_find(&v, "a") > 4);
    assert_true(tr_wp_files_find(&v, "##a") > 4);
    tr_wp_files_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bert_uncased_both_sources),
        cmocka_unit_test(test_vocab_txt_lines),
        cmocka_unit_test(test_tokenizer_config),
        cmocka_unit_test(test_vocab_txt_errors),
        cmocka_unit_test(test_tokenizer_json),
        cmocka_unit_test(test_generated_vocab),
    };
    return cmocka_run_group_tests(tests, make_tmp, drop_tmp);
}
