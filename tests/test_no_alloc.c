/* test_no_alloc.c - the runtime library never allocates.
 *
 * Two independent proofs:
 *  1. symbols: no object of libtinyrank.a references malloc, calloc,
 *     realloc, free (or their aligned/strdup cousins), nor stdio (firmware C
 *     libraries may allocate inside printf);
 *  2. behaviour: this test is linked with --wrap for the allocator functions,
 *     so every allocator call made by the statically linked library lands in
 *     the counters below; load, arena sizing, session creation, scoring,
 *     reranking and tokenizing must leave them at zero. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/tr_test.h"

/* ---- counting wrappers */

static volatile int counting; /* volatile: the compiler knows malloc reads no globals */
static volatile long calls;

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);

void *__wrap_malloc(size_t n) { calls += counting; return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { calls += counting; return __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { calls += counting; return __real_realloc(p, n); }
void __wrap_free(void *p) { calls += counting && p != NULL; __real_free(p); }
void *__wrap_aligned_alloc(size_t a, size_t n) { calls += counting; return __real_aligned_alloc(a, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { calls += counting; return __real_posix_memalign(p, a, n); }

static const char *forbidden[] = {
    "malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign", "memalign",
    "valloc", "pvalloc", "strdup", "strndup", "reallocarray",
    "printf", "fprintf", "sprintf", "snprintf", "vsnprintf", "vfprintf", "puts", "fputs",
    "fopen", "fwrite", "fread", "fclose", "perror", "exit", "abort",
};

static void test_library_references_no_allocator(void **state)
{
    (void)state;
    const char *lib = getenv("TINYRANK_RUNTIME_LIB");
    assert_non_null(lib);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "nm -u '%s'", lib);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512];
    int bad = 0, undefined = 0;
    printf("undefined symbols of %s:", lib);
    while (fgets(line, sizeof line, p)) {
        char type[8], sym[400];
        if (sscanf(line, " %7s %399s", type, sym) != 2 || strcmp(type, "U") != 0)
            continue;
        undefined++;
        char *at = strchr(sym, '@');
        if (at)
            *at = 0;
        if (strncmp(sym, "tr_", 3) == 0 || strncmp(sym, "tinyrank_", 9) == 0)
            continue; /* the library's own cross-object references */
        if (strncmp(sym, "__asan", 6) == 0 || strncmp(sym, "__ubsan", 7) == 0 ||
            strncmp(sym, "__sanitizer", 11) == 0 || strncmp(sym, "__lsan", 6) == 0)
            continue; /* instrumentation of sanitizer builds, not the library's own calls */
        printf(" %s", sym);
        for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
            if (strcmp(sym, forbidden[i]) == 0 || (strncmp(sym, "__", 2) == 0 && strstr(sym, forbidden[i]) &&
                                                   strcmp(forbidden[i], "free") != 0))
                bad++, printf("(FORBIDDEN)");
    }
    printf("\n");
    assert_int_equal(pclose(p), 0);
    assert_true(undefined > 0); /* nm really listed something */
    assert_int_equal(bad, 0);
}

static void test_runtime_makes_no_allocator_calls(void **state)
{
    (void)state;
    char *tmp = tr_test_mkdtemp();
    char ck[1200], model_path[1200];
    snprintf(ck, sizeof ck, "%s/ckpt", tmp);
    snprintf(model_path, sizeof model_path, "%s/m.trk", tmp);
    assert_int_equal(tr_test_make_checkpoint(ck, "--preset tiny --seed 5"), 0);
    assert_int_equal(tr_test_convert(ck, model_path, "int8"), TINYRANK_OK);
    size_t len;
    char *bytes = tr_test_read(model_path, &len);
    assert_non_null(bytes);
    void *model_buf = aligned_alloc(64, (len + 63) & ~(size_t)63);
    memcpy(model_buf, bytes, len);
    tinyrank_model_storage storage;
    tinyrank_model *model;
    const char *passages[] = {"the cat sat on the mat", "", "a longer passage about many things "
                                                            "and more words to make it longer"};
    float scores[3], scratch[3];
    tinyrank_result top[3];
    int32_t ids[64];
    size_t count;
    size_t arena_bytes;
    void *arena = malloc(1 << 24);

    calls = 0;
    counting = 1;
    int rc_load = tinyrank_model_load(&storage, model_buf, len, &model);
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = 64;
    p.max_batch = 2;
    int rc_size = tinyrank_arena_size(model, &p, &arena_bytes);
    tinyrank_session *s = NULL;
    int rc_create = tinyrank_session_create(model, &p, arena, 1 << 24, &s);
    int rc_score = tinyrank_score(s, "what is a cat", passages, 3, scores);
    int rc_rerank = tinyrank_rerank(s, "what is a cat", passages, 3, 2, scratch, top);
    int rc_tok = tinyrank_tokenize_pair(s, "q", 1, "p", 1, ids, NULL, 64, &count);
    int rc_bad = tinyrank_score(s, "\xff", passages, 1, scores); /* error paths too */
    counting = 0;

    assert_int_equal(rc_load, TINYRANK_OK);
    assert_int_equal(rc_size, TINYRANK_OK);
    assert_true(arena_bytes <= (1 << 24));
    assert_int_equal(rc_create, TINYRANK_OK);
    assert_int_equal(rc_score, TINYRANK_OK);
    assert_int_equal(rc_rerank, TINYRANK_OK);
    assert_int_equal(rc_tok, TINYRANK_OK);
    assert_int_equal(rc_bad, TINYRANK_ERR_INVALID_UTF8);
    printf("allocator calls during load/size/create/score/rerank/tokenize: %ld\n", calls);
    assert_int_equal(calls, 0);

    /* the wrappers do count: a control allocation inside the window */
    counting = 1;
    void *volatile control = malloc(16);
    counting = 0;
    free(control);
    assert_int_equal(calls, 1);

    free(arena);
    free(model_buf);
    free(bytes);
    tr_test_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_references_no_allocator),
        cmocka_unit_test(test_runtime_makes_no_allocator_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
