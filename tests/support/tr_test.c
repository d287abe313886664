/* tr_test.c - test helpers (see tr_test.h). */
#include "tr_test.h"

#include "converter/convert.h"
#include "converter/hf/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

const char *tr_test_shared(void)
{
    static char path[4096];
    const char *env = getenv("TINYRANK_SHARED");
    const char *src = getenv("TINYRANK_SOURCE_DIR");
    struct stat st;
    if (env != NULL && stat(env, &st) == 0 && S_ISDIR(st.st_mode))
        return env;
    if (src != NULL) {
        snprintf(path, sizeof path, "%s/../shared", src);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return path;
    }
    printf("SKIPPED: ../shared not found (set TINYRANK_SHARED); golden/reference checks not run\n");
    return NULL;
}

char *tr_test_mkdtemp(void)
{
    char tmpl[] = "/tmp/tinyrank-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (d == NULL)
        return NULL;
    char *out = malloc(strlen(d) + 1);
    if (out)
        strcpy(out, d);
    return out;
}

void tr_test_rmtree(const char *dir)
{
    if (dir != NULL && strncmp(dir, "/tmp/tinyrank-test-", 19) == 0)
        tr_test_system("rm -rf '%s'", dir);
}

int tr_test_system(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1)
        return -1;
    return (rc >> 8) & 0xff;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

int tr_test_make_checkpoint(const char *dir, const char *args)
{
    return tr_test_system("'%s' '%s/tests/tools/make_checkpoint.py' --out '%s' %s",
                          env_or("TINYRANK_PYTHON", "/usr/bin/python3"),
                          env_or("TINYRANK_SOURCE_DIR", "."), dir, args);
}

int tr_test_convert(const char *dir, const char *out, const char *dtype)
{
    char err[512];
    tr_convert_options o = tr_convert_options_default();
    o.input_dir = dir;
    o.output_path = out;
    o.dtype = strcmp(dtype, "int8") == 0 ? TR_CONVERT_INT8 : TR_CONVERT_F32;
    int rc = tr_convert(&o, err, sizeof err);
    if (rc != TINYRANK_OK)
        fprintf(stderr, "convert %s: %s: %s\n", dir, tinyrank_status_string(rc), err);
    return rc;
}

struct tr_json *tr_test_load_json(const char *path)
{
    size_t len;
    char *text = tr_test_read(path, &len);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    char err[256];
    tr_json *j = tr_json_parse(text, len, err, sizeof err);
    free(text);
    if (j == NULL)
        fail_msg("%s: %s", path, err);
    return j;
}

int tr_test_models_make(tr_test_models *t, const char *args)
{
    static const char *dtypes[2] = {"f32", "int8"};
    char ck[1200];
    memset(t, 0, sizeof *t);
    t->tmp = tr_test_mkdtemp();
    if (t->tmp == NULL)
        return -1;
    snprintf(ck, sizeof ck, "%s/ckpt", t->tmp);
    if (tr_test_make_checkpoint(ck, args) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        snprintf(t->path[i], sizeof t->path[i], "%s/m-%s.trk", t->tmp, dtypes[i]);
        if (tr_test_convert(ck, t->path[i], dtypes[i]) != TINYRANK_OK)
            return -1;
    }
    return 0;
}

void tr_test_models_free(tr_test_models *t)
{
    if (t->tmp != NULL) {
        tr_test_rmtree(t->tmp);
        free(t->tmp);
    }
    t->tmp = NULL;
}

int tr_test_model_open(tr_test_model *tm, const char *path)
{
    char err[256];
    memset(tm, 0, sizeof *tm);
    if (tr_file_map(path, &tm->map, err, sizeof err) != 0) {
        fprintf(stderr, "map %s: %s\n", path, err);
        return TINYRANK_ERR_IO;
    }
    int rc = tinyrank_model_load(&tm->storage, tm->map.data, tm->map.size, &tm->model);
    if (rc != TINYRANK_OK)
        fprintf(stderr, "load %s: %s: %s\n", path, tinyrank_status_string(rc),
                tinyrank_model_errmsg(tm->model));
    return rc;
}

void tr_test_model_close(tr_test_model *tm)
{
    tr_file_unmap(&tm->map);
}

int tr_test_session_open(tr_test_session *ts, const tinyrank_model *m, int max_length, int max_batch)
{
    memset(ts, 0, sizeof *ts);
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = max_length;
    p.max_batch = max_batch;
    int rc = tinyrank_arena_size(m, &p, &ts->arena_bytes);
    if (rc != TINYRANK_OK)
        return rc;
    ts->arena = malloc(ts->arena_bytes);
    if (ts->arena == NULL)
        return TINYRANK_ERR_INTERNAL;
    return tinyrank_session_create(m, &p, ts->arena, ts->arena_bytes, &ts->session);
}

void tr_test_session_close(tr_test_session *ts)
{
    free(ts->arena);
    memset(ts, 0, sizeof *ts);
}

char *tr_test_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

static void ranks(const float *v, size_t n, double *r)
{
    for (size_t i = 0; i < n; i++) {
        size_t less = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            if (v[j] < v[i])
                less++;
            else if (v[j] == v[i])
                equal++;
        }
        r[i] = (double)less + (double)(equal + 1) / 2.0;
    }
}

double tr_test_spearman(const float *a, const float *b, size_t n)
{
    double *ra = malloc(n * sizeof(double)), *rb = malloc(n * sizeof(double));
    ranks(a, n, ra);
    ranks(b, n, rb);
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += ra[i];
        mb += rb[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    return sab / (saa > 0 && sbb > 0 ? __builtin_sqrt(saa * sbb) : 1.0);
}
