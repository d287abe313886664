/* test_json.c - the strict JSON reader: values, escapes and surrogates,
 * UTF-8 validation, numbers, depth limit, truncated and malformed input,
 * line/column in messages. Expected values come from RFC 8259 / Unicode
 * (e.g. U+1F600 is F0 9F 98 80 in UTF-8), not from the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "converter/hf/json.h"

static tr_json *parse(const char *s, char *err, size_t errlen)
{
    return tr_json_parse(s, strlen(s), err, errlen);
}

/* Parsing must fail with a "line L column C: ..." message containing
 * `what` (when given). */
static void expect_error(const char *s, size_t len, const char *what)
{
    char err[256] = "";
    tr_json *v = tr_json_parse(s, len, err, sizeof err);
    if (v) {
        tr_json_free(v);
        fail_msg("accepted invalid JSON: %.60s", s);
    }
    assert_true(strncmp(err, "line ", 5) == 0);
    assert_non_null(strstr(err, "column "));
    if (what && !strstr(err, what))
        fail_msg("message '%s' lacks '%s'", err, what);
}

static void test_values(void **state)
{
    (void)state;
    char err[256];
    tr_json *v = parse(" {\"a\": [1, -2.5, true, false, null, \"x\"], \"b\": {}, \"c\": [], \"a\": 7}\n", err,
                       sizeof err);
    assert_non_null(v);
    assert_int_equal(v->type, TR_JSON_OBJECT);
    assert_int_equal(v->len, 4);
    const tr_json *a = tr_json_get(v, "a"); /* duplicate key: first one */
    assert_non_null(a);
    assert_int_equal(a->type, TR_JSON_ARRAY);
    assert_int_equal(a->len, 6);
    assert_true(a->items[0].is_integer);
    assert_int_equal(a->items[0].integer, 1);
    assert_false(a->items[1].is_integer);
    assert_true(a->items[1].number == -2.5);
    assert_int_equal(a->items[2].type, TR_JSON_BOOL);
    assert_true(a->items[2].boolean);
    assert_false(a->items[3].boolean);
    assert_int_equal(a->items[4].type, TR_JSON_NULL);
    assert_string_equal(a->items[5].string, "x");
    assert_int_equal(tr_json_get(v, "b")->type, TR_JSON_OBJECT);
    assert_int_equal(tr_json_get(v, "b")->len, 0);
    assert_int_equal(tr_json_get(v, "c")->len, 0);
    assert_string_equal(v->keys[3], "a");
    assert_int_equal(v->items[3].integer, 7);
    assert_null(tr_json_get(v, "zz"));
    assert_null(tr_json_get(a, "a")); /* not an object */
    tr_json_free(v);

    /* Scalars at top level are valid JSON texts. */
    v = parse("\"top\"", err, sizeof err);
    assert_non_null(v);
    assert_string_equal(v->string, "top");
    tr_json_free(v);
    v = parse("  42  ", err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->integer, 42);
    tr_json_free(v);
}

static void test_accessors(void **state)
{
    (void)state;
    char err[256];
    tr_json *v = parse("{\"i\": 512, \"f\": 512.0, \"e\": 5e2, \"h\": 1.5, \"s\": \"str\", \"b\": true, \"n\": null}",
                       err, sizeof err);
    assert_non_null(v);
    assert_int_equal(tr_json_get_int(v, "i", -1), 512);
    assert_int_equal(tr_json_get_int(v, "f", -1), 512); /* integral value */
    assert_int_equal(tr_json_get_int(v, "e", -1), 500);
    assert_int_equal(tr_json_get_int(v, "h", -1), -1); /* fractional: default */
    assert_int_equal(tr_json_get_int(v, "s", -1), -1); /* other type */
    assert_int_equal(tr_json_get_int(v, "missing", 9), 9);
    assert_true(tr_json_get_number(v, "h", 0) == 1.5);
    assert_true(tr_json_get_number(v, "s", 3.0) == 3.0);
    assert_string_equal(tr_json_get_string(v, "s", "d"), "str");
    assert_string_equal(tr_json_get_string(v, "i", "d"), "d");
    assert_true(tr_json_get_bool(v, "b", false));
    assert_false(tr_json_get_bool(v, "n", false));
    assert_true(tr_json_get_bool(NULL, "b", true));
    tr_json_free(v);
    tr_json_free(NULL);
}

static void test_escapes(void **state)
{
    (void)state;
    char err[256];
    tr_json *v = parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->len, 8);
    assert_memory_equal(v->string, "\"\\/\b\f\n\r\t", 8);
    tr_json_free(v);

    /* \u00e9 = U+00E9 = C3 A9; \u20AC = U+20AC = E2 82 AC; raw UTF-8 kept. */
    v = parse("\"\\u00e9\\u20AC\xc3\xa9\"", err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->len, 7);
    assert_memory_equal(v->string, "\xc3\xa9\xe2\x82\xac\xc3\xa9", 7);
    tr_json_free(v);

    /* Surrogate pair D83D DE00 = U+1F600 = F0 9F 98 80. */
    v = parse("\"a\\ud83d\\ude00b\"", err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->len, 6);
    assert_memory_equal(v->string, "a\xf0\x9f\x98\x80" "b", 6);
    tr_json_free(v);

    /* \u0000 is a valid character: the length says where the string ends. */
    v = parse("{\"k\": \"x\\u0000y\"}", err, sizeof err);
    assert_non_null(v);
    assert_int_equal(tr_json_get(v, "k")->len, 3);
    assert_memory_equal(tr_json_get(v, "k")->string, "x\0y", 4);
    tr_json_free(v);

    /* Escaped keys are decoded too. */
    v = parse("{\"\\u0061b\": 1}", err, sizeof err);
    assert_non_null(v);
    assert_int_equal(tr_json_get_int(v, "ab", 0), 1);
    tr_json_free(v);

    const char *bad[] = {
        "\"\\ud83d\"",          /* lone high surrogate */
        "\"\\ud83dx\"",         /* high surrogate followed by a character */
        "\"\\ud83d\\u0041\"",   /* high surrogate followed by a non-surrogate */
        "\"\\ud83d\\ud83d\"",   /* two high surrogates */
        "\"\\ude00\"",          /* lone low surrogate */
        "\"\\x41\"",            /* no such escape */
        "\"\\u12G4\"",          /* bad hex */
        "\"\\u12\"",            /* short */
        "\"a\tb\"",             /* raw control character */
        "\"a\nb\"",
        "'single'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], strlen(bad[i]), NULL);
    expect_error("\"\\ude00\"", 8, "surrogate");
    expect_error("\"\\ud83d\"", 8, "surrogate");
}

static void test_utf8(void **state)
{
    (void)state;
    char err[256];
    /* 4-byte U+10FFFF (F4 8F BF BF) is the largest valid code point. */
    tr_json *v = parse("\"\xf4\x8f\xbf\xbf\"", err, sizeof err);
    assert_non_null(v);
    tr_json_free(v);
    const char *bad[] = {
        "\"\xc0\x80\"",         /* overlong NUL */
        "\"\xe0\x80\xaf\"",     /* overlong '/' */
        "\"\xed\xa0\x80\"",     /* encoded surrogate U+D800 */
        "\"\xf4\x90\x80\x80\"", /* U+110000 */
        "\"\xf5\x80\x80\x80\"",
        "\"\xff\"",
        "\"\x80\"",             /* stray continuation byte */
        "\"\xe2\x82\"",         /* truncated sequence */
        "\"\xc3",               /* truncated at end of input */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], strlen(bad[i]), NULL);
    expect_error("\"\xc0\x80\"", 4, "UTF-8");
    /* A byte order mark is not JSON (RFC 8259 section 8.1: may be refused). */
    expect_error("\xef\xbb\xbf{}", 5, NULL);
}

static void test_numbers(void **state)
{
    (void)state;
    char err[256];
    tr_json *v = parse("[0, -0, 1e3, 1E-2, 0.1, -12345678901234, 9223372036854775807, 9223372036854775808,"
                       " -9223372036854775808, 1e-400, 2.5e+1, 123456789012345678901234567890]",
                       err, sizeof err);
    assert_non_null(v);
    const tr_json *it = v->items;
    assert_true(it[0].is_integer && it[0].integer == 0);
    assert_true(it[1].is_integer && it[1].integer == 0 && it[1].number == 0.0);
    assert_false(it[2].is_integer); /* exponent: not written as an integer */
    assert_true(it[2].number == 1000.0);
    assert_true(it[3].number == 0.01);
    assert_true(it[4].number == 0.1); /* correctly rounded, like the compiler's literal */
    assert_true(it[5].is_integer && it[5].integer == -12345678901234LL);
    assert_true(it[6].is_integer && it[6].integer == INT64_MAX);
    assert_false(it[7].is_integer); /* does not fit: double only */
    assert_true(it[7].number == 9223372036854775808.0);
    assert_true(it[8].is_integer && it[8].integer == INT64_MIN);
    assert_true(it[9].number == 0.0); /* underflow is fine */
    assert_true(it[10].number == 25.0);
    assert_false(it[11].is_integer);
    assert_true(it[11].number == 123456789012345678901234567890.0);
    tr_json_free(v);

    const char *bad[] = {"01", "-", "+1", "1.", ".5", "1e", "1e+", "-a", "0x10", "1.5.2", "NaN", "Infinity", "--1",
                         "1e400", "-1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], strlen(bad[i]), NULL);
    expect_error("[1e400]", 7, "out of range");

    /* Conversion ignores the process locale (a comma decimal point would
     * otherwise turn 1.5 into 1). Only checked where such a locale exists. */
    const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
        if (setlocale(LC_NUMERIC, locales[i])) {
            v = parse("1.5", err, sizeof err);
            setlocale(LC_NUMERIC, "C");
            assert_non_null(v);
            assert_true(v->number == 1.5);
            tr_json_free(v);
            break;
        }
    }
}

static void test_depth(void **state)
{
    (void)state;
    char err[256];
    /* 256 levels are fine, 257 are refused, and a megabyte bomb neither
     * crashes nor takes long. */
    size_t n = 1 << 20;
    char *s = malloc(2 * n + 1);
    assert_non_null(s);
    for (size_t depth = 256; depth <= 257; depth++) {
        memset(s, '[', depth);
        memset(s + depth, ']', depth);
        tr_json *v = tr_json_parse(s, 2 * depth, err, sizeof err);
        if (depth == 256) {
            assert_non_null(v);
            tr_json_free(v);
        } else {
            assert_null(v);
            assert_non_null(strstr(err, "nesting"));
        }
    }
    memset(s, '[', n);
    assert_null(tr_json_parse(s, n, err, sizeof err));
    for (size_t i = 0; i < n; i += 2) {
        s[i] = '{';
        s[i + 1] = '"';
    }
    assert_null(tr_json_parse(s, n, err, sizeof err));
    for (size_t i = 0; i < n; i += 5)
        memcpy(s + i, "{\"a\":", 5);
    assert_null(tr_json_parse(s, n - n % 5, err, sizeof err));
    assert_non_null(strstr(err, "nesting"));
    free(s);
}

/* Every proper prefix of a document is invalid and must be refused cleanly
 * (under ASan this also proves no read past the given length). */
static void test_truncated(void **state)
{
    (void)state;
    const char *doc = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[PAD]\": 0, \"\\u00e9\\ud83d\\ude00\": 1}},"
                      " \"x\": [1.5e-3, -2, true, false, null, {}, []]}";
    size_t len = strlen(doc);
    for (size_t k = 0; k < len; k++) {
        /* Copy to an exact-size heap block so ASan sees any overread. */
        char *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, doc, k);
        char err[256] = "";
        tr_json *v = tr_json_parse(p, k, err, sizeof err);
        if (v)
            fail_msg("prefix of %zu bytes accepted", k);
        assert_true(strncmp(err, "line ", 5) == 0);
        free(p);
    }
    char err[256];
    tr_json *v = tr_json_parse(doc, len, err, sizeof err);
    assert_non_null(v);
    tr_json_free(v);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "   ", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{1:1}", "[1 2]", "{} x",
        "{}{}", "nul", "tru", "falsey", "[true false]", "\"abc", "{\"a\":}", "[", "]", "/* c */ {}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], strlen(bad[i]), NULL);
    /* Embedded NUL in the middle of the given length is not whitespace. */
    expect_error("{}\0", 3, "after");
    assert_null(tr_json_parse(NULL, 0, NULL, 0)); /* no crash without a buffer */
}

static void test_error_position(void **state)
{
    (void)state;
    char err[256];
    /* 'tru' starts on line 3, column 8: `  "a": tru` has 7 bytes before it. */
    tr_json *v = parse("{\n  \"ok\": 1,\n  \"a\": tru\n}", err, sizeof err);
    assert_null(v);
    if (!strstr(err, "line 3 column 8:"))
        fail_msg("message: %s", err);
    v = parse("[1,\n2,\n3,,]", err, sizeof err);
    assert_null(v);
    if (!strstr(err, "line 3 column 3:"))
        fail_msg("message: %s", err);
    /* A small buffer truncates the message but stays NUL-terminated. */
    char small[8];
    assert_null(parse("[1,,]", small, sizeof small));
    assert_true(strlen(small) < sizeof small);
}

static void test_read_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/tr_test_json_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a.json", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    /* Larger than the reader's first chunk, to cover growth. */
    size_t n = 200001; /* "[0,0,...,0]" */
    for (size_t i = 0; i < n; i++)
        fputc(i == 0 ? '[' : i == n - 1 ? ']' : (i % 2 ? '0' : ','), f);
    fclose(f);
    char err[256];
    size_t len = 0;
    char *text = tr_read_file(path, &len, err, sizeof err);
    assert_non_null(text);
    assert_int_equal(len, n);
    assert_int_equal(text[n], '\0');
    tr_json *v = tr_json_parse(text, len, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(v->len, (n - 1) / 2);
    tr_json_free(v);
    free(text);

    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_null(tr_read_file(path, &len, err, sizeof err));
    assert_non_null(strstr(err, "missing.json"));
    assert_null(tr_read_file(dir, &len, err, sizeof err)); /* a directory */
    assert_non_null(strstr(err, dir));

    snprintf(path, sizeof path, "%s/a.json", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),    cmocka_unit_test(test_accessors), cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8),      cmocka_unit_test(test_numbers),   cmocka_unit_test(test_depth),
        cmocka_unit_test(test_truncated), cmocka_unit_test(test_malformed), cmocka_unit_test(test_error_position),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
