/* threadpool.c - the POSIX thread pool (pthreads + C11 atomics).
 *
 * Workers wait on a condition variable for a job; a job is (fn, arg, n):
 * every participating thread, the caller included, takes task indices from
 * an atomic counter until none are left; the last one to finish wakes the
 * caller. The pool lives in caller storage (tinyrank_threadpool_storage). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "graph/parallel.h"
#include "tinyrank.h"

typedef struct pool {
    tr_parallel base;
    pthread_t threads[TINYRANK_MAX_THREADS];
    int started;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    unsigned long generation; /* bumped for each job (under mu) */
    int stop;
    /* the current job */
    tr_task_fn fn;
    void *arg;
    size_t n;
    int participants; /* workers taking part (thread ids 1..participants) */
    atomic_size_t next;
    atomic_int running; /* participants not finished yet, caller included */
} pool;

_Static_assert(sizeof(pool) <= TINYRANK_THREADPOOL_STORAGE_BYTES,
               "tinyrank_threadpool_storage too small");

static void work(pool *p, size_t thread)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            break;
        p->fn(p->arg, i, thread);
    }
    if (atomic_fetch_sub(&p->running, 1) == 1) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

typedef struct worker_arg {
    pool *p;
    size_t id;
} worker_arg;

static void *worker_main(void *argp)
{
    pool *p = ((worker_arg *)argp)->p;
    size_t id = ((worker_arg *)argp)->id;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    ((worker_arg *)argp)->p = NULL; /* tells the creator the argument was read */
    pthread_cond_broadcast(&p->done);
    for (;;) {
        while (!p->stop && (p->generation == seen || (int)id > p->participants))
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        work(p, id);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void run(tr_parallel *base, tr_task_fn fn, void *arg, size_t n, int max_threads)
{
    pool *p = (pool *)base;
    int threads = max_threads < base->num_threads ? max_threads : base->num_threads;
    if (threads <= 1 || n <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(arg, i, 0);
        return;
    }
    int workers = threads - 1;
    if ((size_t)workers > n - 1)
        workers = (int)(n - 1);
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->participants = workers;
    atomic_store(&p->next, 0);
    atomic_store(&p->running, workers + 1);
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    work(p, 0);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->running) != 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

int tinyrank_threadpool_create(tinyrank_threadpool_storage *storage, int num_threads,
                               tinyrank_threadpool **out)
{
    if (out != NULL)
        *out = NULL;
    if (storage == NULL || out == NULL || num_threads < 1 || num_threads > TINYRANK_MAX_THREADS)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    pool *p = (pool *)(void *)storage;
    memset(p, 0, sizeof *p);
    p->base.num_threads = num_threads;
    p->base.run = run;
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return TINYRANK_ERR_INTERNAL;
    if (pthread_cond_init(&p->wake, NULL) != 0 || pthread_cond_init(&p->done, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        return TINYRANK_ERR_INTERNAL;
    }
    for (int i = 1; i < num_threads; i++) {
        worker_arg wa = {p, (size_t)i};
        if (pthread_create(&p->threads[i], NULL, worker_main, &wa) != 0) {
            p->base.num_threads = i; /* run with the threads that started */
            break;
        }
        /* wait until the worker has copied its argument off our stack */
        pthread_mutex_lock(&p->mu);
        while (wa.p != NULL)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
        p->started = i;
    }
    *out = (tinyrank_threadpool *)(void *)p;
    return TINYRANK_OK;
}

void tinyrank_threadpool_destroy(tinyrank_threadpool *tp)
{
    if (tp == NULL)
        return;
    pool *p = (pool *)(void *)tp;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i <= p->started; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
}
