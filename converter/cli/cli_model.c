/* cli_model.c - map + verify a model file and give it a session whose arena
 * the CLI allocates (the library itself never allocates). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int tr_cli_model_open(tr_cli_model *m, const char *path)
{
    char err[512];
    memset(m, 0, sizeof *m);
    int st = tr_file_map(path, &m->map, err, sizeof err);
    if (st != TINYRANK_OK) {
        tr_cli_error("%s", err);
        return st;
    }
    st = tinyrank_model_load(&m->storage, m->map.data, m->map.size, &m->model);
    if (st != TINYRANK_OK) {
        const char *why = m->model ? tinyrank_model_errmsg(m->model) : "";
        tr_cli_error("cannot load model %s: %s%s%s", path, tinyrank_status_string(st),
                     why[0] ? ": " : "", why);
        tr_file_unmap(&m->map);
        m->model = NULL;
        return st;
    }
    st = tinyrank_model_get_info(m->model, &m->info);
    if (st != TINYRANK_OK) {
        tr_cli_error("cannot read model info of %s: %s: %s", path, tinyrank_status_string(st),
                     tinyrank_model_errmsg(m->model));
        tr_file_unmap(&m->map);
        m->model = NULL;
        return st;
    }
    return TINYRANK_OK;
}

void tr_cli_model_close(tr_cli_model *m)
{
    /* A model handle owns nothing: forgetting it and unmapping is enough. */
    m->model = NULL;
    tr_file_unmap(&m->map);
}

int tr_cli_session_open(tr_cli_session *s, const tr_cli_model *m,
                        const tinyrank_session_params *params_in)
{
    memset(s, 0, sizeof *s);
    tinyrank_session_params pp = *params_in;
    const tinyrank_session_params *params = &pp;
    if (pp.num_threads > 1 && pp.threadpool == NULL) {
        int pst = tinyrank_threadpool_create(&s->pool_storage, pp.num_threads, &s->pool);
        if (pst != TINYRANK_OK) {
            tr_cli_error("cannot start %d threads: %s", pp.num_threads, tinyrank_status_string(pst));
            return pst;
        }
        pp.threadpool = s->pool;
    }
    int st = tinyrank_arena_size(m->model, params, &s->arena_bytes);
    if (st != TINYRANK_OK) {
        tr_cli_error("cannot size the session: %s (check --max-length, --batch, --threads)",
                     tinyrank_status_string(st));
        tinyrank_threadpool_destroy(s->pool);
        s->pool = NULL;
        return st;
    }
    /* malloc(0) may return NULL: always ask for at least one byte. */
    s->arena = malloc(s->arena_bytes ? s->arena_bytes : 1);
    if (!s->arena) {
        tr_cli_error("out of memory: the session needs %zu arena bytes", s->arena_bytes);
        return TINYRANK_ERR_INTERNAL;
    }
    st = tinyrank_session_create(m->model, params, s->arena, s->arena_bytes, &s->session);
    if (st != TINYRANK_OK) {
        /* No session handle to ask: the model handle carries the reason. */
        const char *why = s->session ? tinyrank_session_errmsg(s->session)
                                     : tinyrank_model_errmsg(m->model);
        tr_cli_error("cannot create a session: %s%s%s", tinyrank_status_string(st),
                     why && why[0] ? ": " : "", why ? why : "");
        free(s->arena);
        tinyrank_threadpool_destroy(s->pool);
        memset(s, 0, sizeof *s);
        return st;
    }
    return TINYRANK_OK;
}

void tr_cli_session_close(tr_cli_session *s)
{
    free(s->arena);
    tinyrank_threadpool_destroy(s->pool);
    memset(s, 0, sizeof *s);
}

int tr_cli_session_error(const tr_cli_session *s, const char *what, int status)
{
    const char *why = s->session ? tinyrank_session_errmsg(s->session) : "";
    return tr_cli_error("%s: %s%s%s", what, tinyrank_status_string(status),
                        why && why[0] ? ": " : "", why ? why : "");
}
