/* bench_decoder.c - decoder rerankers (Qwen2 / Qwen3 shape) end to end on
 * token ids: prompt throughput, and per-passage rerank time with and
 * without the shared-prefix K/V reuse (runtime/graph/session_prefix.c).
 *
 *   bench_decoder MODEL.trk [--runs N] [--threads-max T] [--json]
 *
 * Workloads (ids are synthetic: the compute of a decoder depends on the
 * token counts, not on which tokens):
 *   prompt:  one 256-token sequence per call, prefix reuse off, threads 1..T:
 *            prompt tokens/s = 256 / seconds per call;
 *   rerank:  1 query x 16 passages, each sequence = a 64-token prefix shared
 *            by all (system prompt, instruction, query) + 200 tokens of its
 *            own, scored in batches of 4, prefix reuse off and on:
 *            seconds per passage = seconds per call / 16.
 * Every configuration is timed `runs` times after one warm-up call (which
 * also fills the prefix cache, as a session serving many calls with the same
 * prompt would have it); the best and the mean are printed, with the arena
 * bytes of the session and the process' peak RSS (model mmapped). It reports
 * and never asserts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "graph/session.h"
#include "platforms/posix/file_map.h"
#include "tinyrank.h"

#define PREFIX 64
#define OWN 200
#define PASSAGES 16
#define PROMPT 256

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long peak_rss_kib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

typedef struct result {
    double best, mean;
    size_t arena;
} result;

/* Times score calls of n sequences (ids back to back, lens) on a session of
 * max_length / max_batch / threads, prefix reuse on or off. */
static int run(const tinyrank_model *m, const int32_t *ids, const uint32_t *lens, size_t n,
               int max_length, int batch, int threads, bool reuse, int runs, result *r)
{
    tinyrank_threadpool_storage ps;
    tinyrank_threadpool *pool = NULL;
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = max_length;
    p.max_batch = batch;
    p.num_threads = threads; /* the default is 1 thread even with a pool */
    if (threads > 1) {
        if (tinyrank_threadpool_create(&ps, threads, &pool) != TINYRANK_OK)
            return -1;
        p.threadpool = pool;
    }
    int rc = tinyrank_arena_size(m, &p, &r->arena);
    void *arena = rc == TINYRANK_OK ? aligned_alloc(64, (r->arena + 63) / 64 * 64) : NULL;
    tinyrank_session *s = NULL;
    if (arena != NULL)
        rc = tinyrank_session_create(m, &p, arena, r->arena, &s);
    int32_t *types = calloc(n * (size_t)max_length, sizeof(int32_t));
    float *scores = calloc(n, sizeof(float));
    if (rc != TINYRANK_OK || arena == NULL || types == NULL || scores == NULL) {
        fprintf(stderr, "session: %s\n", s ? tinyrank_session_errmsg(s) : "no memory");
        free(arena), free(types), free(scores);
        if (pool)
            tinyrank_threadpool_destroy(pool);
        return -1;
    }
    tr_session_set_prefix_reuse(s, reuse);
    r->best = 1e30;
    r->mean = 0;
    for (int i = -1; i < runs; i++) { /* i = -1: warm-up */
        double t0 = now();
        rc = tr_session_score_sequences(s, ids, types, lens, n, scores);
        double dt = now() - t0;
        if (rc != TINYRANK_OK) {
            fprintf(stderr, "score: %s\n", tinyrank_session_errmsg(s));
            break;
        }
        if (i >= 0) {
            r->best = dt < r->best ? dt : r->best;
            r->mean += dt / runs;
        }
    }
    free(arena), free(types), free(scores);
    if (pool)
        tinyrank_threadpool_destroy(pool);
    return rc == TINYRANK_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int runs = 3, tmax = 2, json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads-max") == 0 && i + 1 < argc)
            tmax = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            path = argv[i];
    }
    if (path == NULL || runs < 1 || tmax < 1) {
        fprintf(stderr, "usage: bench_decoder MODEL.trk [--runs N] [--threads-max T] [--json]\n");
        return 2;
    }
    tr_file_map_t map;
    char err[256];
    if (tr_file_map(path, &map, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    tinyrank_model_storage storage;
    tinyrank_model *m;
    if (tinyrank_model_load(&storage, map.data, map.size, &m) != TINYRANK_OK) {
        fprintf(stderr, "%s: %s\n", path, tinyrank_model_errmsg(m));
        return 1;
    }
    /* ids: a fixed pseudo-random stream in 50..949 (every vocabulary has them) */
    const size_t seq = PREFIX + OWN;
    int32_t *ids = malloc(PASSAGES * seq * sizeof(int32_t));
    uint32_t lens[PASSAGES], one = PROMPT;
    uint32_t x = 12345;
    for (size_t p = 0; p < PASSAGES; p++) {
        for (size_t t = 0; t < seq; t++) {
            x = x * 1664525u + 1013904223u;
            ids[p * seq + t] = t < PREFIX ? (int32_t)(100 + t) : (int32_t)(50 + (x >> 8) % 900);
        }
        lens[p] = (uint32_t)seq;
    }
    if (!json)
        printf("model %s, %d runs after a warm-up; best / mean\n", path, runs);
    for (int th = 1; th <= tmax; th++) {
        result r;
        if (run(m, ids, &one, 1, PROMPT, 1, th, false, runs, &r) != 0)
            return 1;
        if (json)
            printf("{\"workload\":\"prompt-%d\",\"threads\":%d,\"tokens_per_s_best\":%.1f,"
                   "\"tokens_per_s_mean\":%.1f,\"arena_bytes\":%zu,\"peak_rss_kib\":%ld}\n",
                   PROMPT, th, PROMPT / r.best, PROMPT / r.mean, r.arena, peak_rss_kib());
        else
            printf("prompt %d tokens, %d thread(s): %.1f / %.1f tokens/s  (arena %.1f MiB)\n",
                   PROMPT, th, PROMPT / r.best, PROMPT / r.mean, r.arena / 1048576.0);
    }
    for (int th = 1; th <= tmax; th++)
        for (int reuse = 0; reuse < 2; reuse++) {
            result r;
            if (run(m, ids, lens, PASSAGES, (int)seq, 4, th, reuse, runs, &r) != 0)
                return 1;
            if (json)
                printf("{\"workload\":\"rerank-%dx(%d+%d)\",\"threads\":%d,\"prefix_reuse\":%s,"
                       "\"s_per_passage_best\":%.5f,\"s_per_passage_mean\":%.5f,"
                       "\"arena_bytes\":%zu,\"peak_rss_kib\":%ld}\n",
                       PASSAGES, PREFIX, OWN, th, reuse ? "true" : "false", r.best / PASSAGES,
                       r.mean / PASSAGES, r.arena, peak_rss_kib());
            else
                printf("rerank 1 x %d passages of %d+%d tokens, batch 4, %d thread(s), prefix "
                       "reuse %s: %.1f / %.1f ms per passage  (arena %.1f MiB)\n",
                       PASSAGES, PREFIX, OWN, th, reuse ? "on " : "off", 1e3 * r.best / PASSAGES,
                       1e3 * r.mean / PASSAGES, r.arena / 1048576.0);
        }
    if (!json)
        printf("peak RSS %.1f MiB (model file %.1f MiB, mmapped)\n", peak_rss_kib() / 1024.0,
               map.size / 1048576.0);
    free(ids);
    tr_file_unmap(&map);
    return 0;
}
