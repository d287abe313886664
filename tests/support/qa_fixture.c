/* qa_fixture.c - see qa_fixture.h. */
#include "support/qa_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/tr_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define QA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QA_ASAN 1
#endif
#endif
#ifdef QA_ASAN
#include <sanitizer/asan_interface.h>
#endif

int qa_models_make(qa_models *m, const char *extra_args)
{
    char args[2048];
    memset(m, 0, sizeof *m);
    m->dir = tr_test_mkdtemp();
    if (m->dir == NULL) {
        fprintf(stderr, "qa: cannot create a temp dir\n");
        return -1;
    }
    char ck[1100];
    snprintf(ck, sizeof ck, "%s/ck", m->dir);
    snprintf(args, sizeof args, "--preset tiny %s", extra_args ? extra_args : "");
    if (tr_test_make_checkpoint(ck, args) != 0) {
        fprintf(stderr, "qa: make_checkpoint.py %s failed\n", args);
        return -1;
    }
    snprintf(m->f32_path, sizeof m->f32_path, "%s/model-f32.trk", m->dir);
    snprintf(m->int8_path, sizeof m->int8_path, "%s/model-int8.trk", m->dir);
    if (tr_test_convert(ck, m->f32_path, "f32") != TINYRANK_OK ||
        tr_test_convert(ck, m->int8_path, "int8") != TINYRANK_OK)
        return -1;
    return 0;
}

void qa_models_free(qa_models *m)
{
    if (m->dir != NULL)
        tr_test_rmtree(m->dir);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

uint8_t *qa_aligned_copy(const void *src, size_t n)
{
    void *p = NULL;
    /* posix_memalign, not aligned_alloc: C11 aligned_alloc wants a size that
     * is a multiple of the alignment, and an exact size is the point here */
    if (posix_memalign(&p, 64, n ? n : 1) != 0)
        return NULL;
    if (n > 0 && src != NULL)
        memcpy(p, src, n);
    else if (n > 0)
        memset(p, 0, n);
    return p;
}

uint8_t *qa_read_aligned(const char *path, size_t *len)
{
    size_t n;
    char *raw = tr_test_read(path, &n);
    if (raw == NULL)
        return NULL;
    uint8_t *out = qa_aligned_copy(raw, n);
    free(raw);
    if (out != NULL && len != NULL)
        *len = n;
    return out;
}

void qa_poison(const void *p, size_t n)
{
#ifdef QA_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#else
    (void)p;
    (void)n;
#endif
}

void qa_unpoison(const void *p, size_t n)
{
#ifdef QA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
    (void)p;
    (void)n;
#endif
}

void qa_rng_seed(qa_rng *r, uint64_t seed)
{
    r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t qa_rng_next(qa_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

size_t qa_rng_below(qa_rng *r, size_t n)
{
    return (size_t)((qa_rng_next(r) >> 11) % n);
}

int qa_known_status(int status)
{
    return status >= TINYRANK_OK && status <= TINYRANK_ERR_INTERNAL;
}

double qa_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
