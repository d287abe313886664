/* qa_fixture.h - helpers of the robustness and API tests (test_corrupt_model,
 * test_session_api): a freshly generated and converted tiny checkpoint, model
 * bytes in exact-size 64-byte aligned buffers, a small PRNG, and ASan
 * poisoning of a buffer's tail so that reads past a "truncated" end are caught
 * without copying the file for every cut. */
#ifndef QA_FIXTURE_H
#define QA_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tinyrank.h"

/* A tiny checkpoint converted twice, in a temp dir removed by qa_models_free. */
typedef struct qa_models {
    char *dir;
    char f32_path[1024];
    char int8_path[1024];
} qa_models;

/* Generates `make_checkpoint.py --preset tiny <extra_args>` and converts it to
 * f32 and int8. 0 on success (a message on stderr otherwise). */
int qa_models_make(qa_models *m, const char *extra_args);
void qa_models_free(qa_models *m);

/* Reads a file into a 64-byte aligned buffer of exactly its size (so that
 * AddressSanitizer flags any read past the end). NULL on failure. Free with
 * free(). */
uint8_t *qa_read_aligned(const char *path, size_t *len);
/* Exact-size 64-byte aligned copy of n bytes (n may be 0; src NULL gives
 * zeros). */
uint8_t *qa_aligned_copy(const void *src, size_t n);

/* Marks [p, p + n) unreadable under AddressSanitizer (no-op otherwise);
 * qa_unpoison undoes it. */
void qa_poison(const void *p, size_t n);
void qa_unpoison(const void *p, size_t n);

/* xorshift64*: deterministic for a seed, identical on every platform. */
typedef struct qa_rng {
    uint64_t s;
} qa_rng;
void qa_rng_seed(qa_rng *r, uint64_t seed);
uint64_t qa_rng_next(qa_rng *r);
/* Uniform-ish integer in [0, n) (n > 0). */
size_t qa_rng_below(qa_rng *r, size_t n);

/* True when status is one of the documented TINYRANK_* codes. */
int qa_known_status(int status);

/* Seconds of a monotonic clock. */
double qa_now(void);

#endif
