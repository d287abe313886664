/* parallel.h - how the runtime hands work to a thread pool without knowing
 * threads: a pool (platforms/posix/threadpool.c) starts with this struct,
 * and operators split their work into tasks through tr_parallel_for. With no
 * pool the tasks run in order on the calling thread. Every split keeps each
 * output element's arithmetic identical, so results do not depend on the
 * number of threads. */
#ifndef TR_PARALLEL_H
#define TR_PARALLEL_H

#include <stddef.h>

typedef void (*tr_task_fn)(void *arg, size_t task, size_t thread);

typedef struct tr_parallel {
    int num_threads;
    /* runs fn(arg, i, thread) for i in [0, n) and returns when all are done;
     * thread < num_threads identifies the executing thread (for scratch) */
    void (*run)(struct tr_parallel *pool, tr_task_fn fn, void *arg, size_t n, int max_threads);
} tr_parallel;

struct tinyrank_threadpool {
    tr_parallel base; /* first: the runtime sees only this */
};

#endif
