/* main.c - the smallest user of an installed tinyrank. It includes only
 * <tinyrank.h> and links only the installed library, so it fails to build if
 * the package (CMake config or pkg-config file) or the header is incomplete,
 * and fails to run if the library does not reject bad model bytes.
 * Built by .ci/run step 3; exits 0 on success, prints why otherwise. */
#include <stdio.h>
#include <string.h>

#include <tinyrank.h>

/* The version the package metadata announces (CMake package version or
 * `pkg-config --modversion`); defaults to the header's. */
#ifndef TINYRANK_EXPECTED_VERSION
#define TR_STR2(x) #x
#define TR_STR(x) TR_STR2(x)
#define TINYRANK_EXPECTED_VERSION                                                  \
    TR_STR(TINYRANK_VERSION_MAJOR) "." TR_STR(TINYRANK_VERSION_MINOR) "." TR_STR( \
        TINYRANK_VERSION_PATCH)
#endif

/* 1 when the package says the library has the POSIX thread pool
 * (tinyrank_THREADS / `pkg-config --variable=threads`), 0 when it has none. */
#ifndef TINYRANK_EXPECT_THREADS
#define TINYRANK_EXPECT_THREADS 1
#endif

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        failures++;
}

int main(void)
{
    const char *version = tinyrank_version();
    check(version != NULL && strcmp(version, TINYRANK_EXPECTED_VERSION) == 0,
          "tinyrank_version() matches the package version " TINYRANK_EXPECTED_VERSION);

    tinyrank_session_params p = tinyrank_session_params_default();
    check(p.max_length == 0 && p.max_batch == 1 &&
              p.truncation == TINYRANK_TRUNCATE_MODEL_DEFAULT &&
              p.score == TINYRANK_SCORE_MODEL_DEFAULT && p.num_threads == 1 &&
              p.threadpool == NULL,
          "tinyrank_session_params_default() gives the documented defaults");

    /* The pool needs the thread library the package names (Threads::Threads
     * or -pthread): creating and joining one worker proves the link. */
    tinyrank_threadpool_storage pool_storage;
    tinyrank_threadpool *pool = NULL;
    int pst = tinyrank_threadpool_create(&pool_storage, 2, &pool);
    printf("      tinyrank_threadpool_create(2) = %s\n", tinyrank_status_string(pst));
    if (TINYRANK_EXPECT_THREADS) {
        check(pst == TINYRANK_OK && pool != NULL, "a 2-thread pool starts (package has threads)");
        if (pst == TINYRANK_OK)
            tinyrank_threadpool_destroy(pool);
    } else {
        check(pst == TINYRANK_ERR_UNSUPPORTED, "no pool in a build without threads");
    }

    /* 64 bytes of garbage at a 64-byte aligned address: alignment is fine, so
     * the only acceptable answer is "corrupt", with a message. */
    static _Alignas(64) unsigned char garbage[64];
    unsigned int x = 12345u;
    for (size_t i = 0; i < sizeof garbage; i++) {
        x = x * 1103515245u + 12345u; /* any fixed pseudo-random pattern */
        garbage[i] = (unsigned char)(x >> 16);
    }
    tinyrank_model_storage storage;
    tinyrank_model *model = NULL;
    int st = tinyrank_model_load(&storage, garbage, sizeof garbage, &model);
    printf("      tinyrank_model_load(garbage) = %s (%s)\n", tinyrank_status_string(st),
           model ? tinyrank_model_errmsg(model) : "no handle");
    check(st == TINYRANK_ERR_CORRUPT_MODEL, "garbage model bytes give TINYRANK_ERR_CORRUPT_MODEL");
    check(model != NULL && tinyrank_model_errmsg(model)[0] != '\0',
          "the failed load explains itself in tinyrank_model_errmsg");

    printf("%s\n", failures ? "package test FAILED" : "package test passed");
    return failures ? 1 : 0;
}
