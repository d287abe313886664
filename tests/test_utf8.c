/* test_utf8.c - strict UTF-8: every line of ../shared/tokenizers/
 * invalid_utf8.bin is rejected (by the validator and by the tokenizer),
 * corpus.txt is accepted, and hand-made cases at every boundary of the
 * Unicode standard's table of well-formed byte sequences (Table 3-7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/tok_fixture.h"
#include "tinyrank.h"
#include "tokenizer/utf8.h"
#include "tokenizer/wordpiece.h"

/* A one-token vocabulary is enough to run the tokenizer's own check. */
static tr_wordpiece tiny_wordpiece(void)
{
    static const uint8_t bytes[] = "[UNK]";
    static const uint32_t offsets[] = {0, 5};
    static const uint32_t sorted[] = {0};
    tr_wordpiece wp;
    memset(&wp, 0, sizeof wp);
    wp.vocab.bytes = bytes;
    wp.vocab.offsets = offsets;
    wp.vocab.sorted_ids = sorted;
    wp.vocab.n = 1;
    wp.lowercase = true;
    wp.strip_accents = true;
    wp.split_chinese_chars = true;
    wp.max_chars_per_word = 100;
    wp.prefix = "##";
    wp.prefix_len = 2;
    wp.unk_id = 0;
    return wp;
}

static void expect_invalid(const char *s, size_t len, size_t bad_at)
{
    size_t off = 999;
    if (tr_utf8_validate(s, len, &off) != TINYRANK_ERR_INVALID_UTF8)
        fail_msg("accepted invalid UTF-8 (%zu bytes, first %02X)", len, len ? (unsigned)(uint8_t)s[0] : 0u);
    assert_int_equal(off, bad_at);
    tr_wordpiece wp = tiny_wordpiece();
    int32_t ids[8];
    size_t n = 7;
    bool trunc = true;
    assert_int_equal(tr_wordpiece_encode(&wp, s, len, ids, 8, &n, &trunc), TINYRANK_ERR_INVALID_UTF8);
    assert_int_equal(n, 0);
}

static void expect_valid(const char *s, size_t len, uint32_t cp)
{
    assert_int_equal(tr_utf8_validate(s, len, NULL), TINYRANK_OK);
    uint32_t got = 0xFFFFFFFF;
    assert_int_equal(tr_utf8_decode((const uint8_t *)s, len, &got), len);
    assert_int_equal(got, cp);
}

#define VALID(lit, cp) expect_valid(lit, sizeof(lit) - 1, cp)
#define INVALID(lit, at) expect_invalid(lit, sizeof(lit) - 1, at)

static void test_boundaries(void **state)
{
    (void)state;
    VALID("\x00", 0x0);
    VALID("\x7F", 0x7F);
    VALID("\xC2\x80", 0x80);
    VALID("\xDF\xBF", 0x7FF);
    VALID("\xE0\xA0\x80", 0x800);
    VALID("\xED\x9F\xBF", 0xD7FF);
    VALID("\xEE\x80\x80", 0xE000);
    VALID("\xEF\xBF\xBF", 0xFFFF);
    VALID("\xF0\x90\x80\x80", 0x10000);
    VALID("\xF4\x8F\xBF\xBF", 0x10FFFF);
    VALID("\xF0\x9F\x98\x80", 0x1F600);

    INVALID("\x80", 0);               /* lone continuation */
    INVALID("ab\xBF", 2);
    INVALID("\xC0\x80", 0);           /* overlong NUL */
    INVALID("\xC0\xAF", 0);           /* overlong '/' */
    INVALID("\xC1\xBF", 0);           /* overlong */
    INVALID("\xE0\x80\x80", 0);       /* overlong 3-byte */
    INVALID("\xE0\x9F\xBF", 0);       /* overlong U+07FF */
    INVALID("\xF0\x80\x80\x80", 0);   /* overlong 4-byte */
    INVALID("\xF0\x8F\xBF\xBF", 0);   /* overlong U+FFFF */
    INVALID("\xED\xA0\x80", 0);       /* surrogate U+D800 */
    INVALID("\xED\xBF\xBF", 0);       /* surrogate U+DFFF */
    INVALID("\xF4\x90\x80\x80", 0);   /* U+110000 */
    INVALID("\xF5\x80\x80\x80", 0);
    INVALID("\xF8\x88\x80\x80\x80", 0); /* 5-byte form */
    INVALID("\xFE", 0);
    INVALID("\xFF", 0);
    INVALID("x\xC3", 1);              /* truncated at the end */
    INVALID("x\xE2\x82", 1);
    INVALID("x\xF0\x9F\x98", 1);
    INVALID("\xC3" "a", 0);           /* lead byte followed by ASCII */
    INVALID("\xE2\x82" "a", 0);
    INVALID("ok \xE9t\xE9", 3);       /* Latin-1 */

    /* decode never reads past len */
    uint32_t cp;
    assert_int_equal(tr_utf8_decode((const uint8_t *)"\xE2\x82\xAC", 2, &cp), 0);
    assert_int_equal(tr_utf8_decode((const uint8_t *)"", 0, &cp), 0);
    assert_int_equal(tr_utf8_validate(NULL, 0, NULL), TINYRANK_OK);
}

static void test_encode_round_trip(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t buf[4];
        size_t n = tr_utf8_encode(cp, buf);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            assert_int_equal(n, 0);
            continue;
        }
        assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        uint32_t back;
        assert_int_equal(tr_utf8_decode(buf, n, &back), n);
        assert_int_equal(back, cp);
    }
    uint8_t buf[4];
    assert_int_equal(tr_utf8_encode(0x110000, buf), 0);
}

static void test_invalid_utf8_bin(void **state)
{
    (void)state;
    const char *shared = tok_shared_dir();
    if (!shared) {
        printf("SKIPPED: ../shared not found\n");
        skip();
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizers/invalid_utf8.bin", shared);
    size_t len;
    char *data = tok_read_file(path, &len);
    assert_non_null(data);
    size_t lines = 0, start = 0;
    tr_wordpiece wp = tiny_wordpiece();
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        lines++;
        size_t off;
        if (tr_utf8_validate(data + start, i - start, &off) != TINYRANK_ERR_INVALID_UTF8)
            fail_msg("invalid_utf8.bin line %zu accepted", lines);
        assert_true(off < i - start);
        int32_t ids[64];
        size_t n;
        bool trunc;
        if (tr_wordpiece_encode(&wp, data + start, i - start, ids, 64, &n, &trunc) != TINYRANK_ERR_INVALID_UTF8)
            fail_msg("invalid_utf8.bin line %zu accepted by the tokenizer", lines);
        start = i + 1;
    }
    assert_int_equal(lines, 10);
    free(data);

    /* and the valid corpus is accepted as a whole */
    snprintf(path, sizeof path, "%s/tokenizers/corpus.txt", shared);
    data = tok_read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(tr_utf8_validate(data, len, NULL), TINYRANK_OK);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_encode_round_trip),
        cmocka_unit_test(test_invalid_utf8_bin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
