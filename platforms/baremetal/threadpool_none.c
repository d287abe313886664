/* threadpool_none.c - builds without threads (firmware): there is no pool,
 * sessions run on the calling thread. */
#include "tinyrank.h"

int tinyrank_threadpool_create(tinyrank_threadpool_storage *storage, int num_threads,
                               tinyrank_threadpool **out)
{
    (void)storage;
    (void)num_threads;
    if (out != NULL)
        *out = NULL;
    return TINYRANK_ERR_UNSUPPORTED;
}

void tinyrank_threadpool_destroy(tinyrank_threadpool *pool)
{
    (void)pool;
}
