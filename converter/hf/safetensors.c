/* safetensors.c - verified, memory-mapped reader of safetensors checkpoints.
 *
 * File layout: u64 little-endian N, N bytes of JSON header
 *   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *    "__metadata__": {"k": "v"}}
 * then the data; offsets are relative to the first byte after the header.
 * Everything in the header is checked before a tensor is exposed: the same
 * rules as the reference implementation (known dtype, size == numel *
 * itemsize, tensors neither overlapping nor leaving holes, the data fully
 * covered), plus overflow checks on every product. */
#include "converter/hf/safetensors.h"

#include "converter/hf/json.h"
#include "tinyrank.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference implementation refuses headers above 100 MB; a header that
 * large would be a hostile file, not a model. */
#define TR_ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

typedef struct tr_st_file {
    char *path;
    const unsigned char *map;
    size_t size;
} tr_st_file;

struct tr_st_set {
    tr_st_file *files;
    size_t nfiles;
    tr_st_tensor *tensors; /* sorted by name */
    size_t count;
    size_t cap;
    bool *used;
};

static const struct {
    const char *name;
    size_t size;
} tr_st_dtypes[TR_ST_DTYPE_COUNT] = {
    [TR_ST_F32] = {"F32", 4},         [TR_ST_F16] = {"F16", 2},
    [TR_ST_BF16] = {"BF16", 2},       [TR_ST_F64] = {"F64", 8},
    [TR_ST_I64] = {"I64", 8},         [TR_ST_U64] = {"U64", 8},
    [TR_ST_I32] = {"I32", 4},         [TR_ST_U32] = {"U32", 4},
    [TR_ST_I16] = {"I16", 2},         [TR_ST_U16] = {"U16", 2},
    [TR_ST_I8] = {"I8", 1},           [TR_ST_U8] = {"U8", 1},
    [TR_ST_BOOL] = {"BOOL", 1},       [TR_ST_F8_E4M3] = {"F8_E4M3", 1},
    [TR_ST_F8_E5M2] = {"F8_E5M2", 1}, [TR_ST_F8_E8M0] = {"F8_E8M0", 1},
};

const char *tr_st_dtype_name(int dtype)
{
    if (dtype < 0 || dtype >= TR_ST_DTYPE_COUNT)
        return "?";
    return tr_st_dtypes[dtype].name;
}

size_t tr_st_dtype_size(int dtype)
{
    if (dtype < 0 || dtype >= TR_ST_DTYPE_COUNT)
        return 0;
    return tr_st_dtypes[dtype].size;
}

static int tr_st_dtype_from_name(const char *s)
{
    for (int i = 0; i < TR_ST_DTYPE_COUNT; i++) {
        if (strcmp(s, tr_st_dtypes[i].name) == 0)
            return i;
    }
    return -1;
}

static int tr_st_error(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static char *tr_st_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *tr_st_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a > 0 && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

void tr_st_close(tr_st_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++) {
        if (s->files[i].map)
            munmap((void *)s->files[i].map, s->files[i].size);
        free(s->files[i].path);
    }
    for (size_t i = 0; i < s->count; i++)
        free((char *)s->tensors[i].name);
    free(s->files);
    free(s->tensors);
    free(s->used);
    free(s);
}

/* Maps `path` read-only and appends it to s->files. */
static int tr_st_map_file(tr_st_set *s, const char *path, size_t *index, char *err, size_t errlen)
{
    tr_st_file *files = realloc(s->files, (s->nfiles + 1) * sizeof *files);
    if (!files)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: out of memory", path);
    s->files = files;
    tr_st_file *f = &s->files[s->nfiles];
    memset(f, 0, sizeof *f);
    f->path = tr_st_strdup(path);
    if (!f->path)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: out of memory", path);
    s->nfiles++; /* owned from here on: tr_st_close releases it */

    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size < 8) {
        close(fd);
        return tr_st_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                           "%s: file of %lld bytes is too small for a safetensors header", path,
                           (long long)st.st_size);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: too large to map", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd); /* the mapping stays valid without the descriptor */
    if (map == MAP_FAILED)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: mmap failed: %s", path, strerror(e));
    f->map = map;
    f->size = (size_t)st.st_size;
    *index = s->nfiles - 1;
    return TINYRANK_OK;
}

static uint64_t tr_st_u64le(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

/* A non-negative JSON integer, or -1. */
static int64_t tr_st_json_uint(const tr_json *v)
{
    if (!v || v->type != TR_JSON_NUMBER || !v->is_integer || v->integer < 0)
        return -1;
    return (int64_t)v->integer;
}

typedef struct tr_st_span {
    uint64_t begin, end;
    const char *name;
} tr_st_span;

static int tr_st_span_cmp(const void *a, const void *b)
{
    const tr_st_span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* Checks one header entry and fills *t (name not set). */
static int tr_st_parse_entry(const char *path, const char *name, const tr_json *e,
                             const unsigned char *data, uint64_t data_len, tr_st_tensor *t,
                             tr_st_span *span, char *err, size_t errlen)
{
    const int bad = TINYRANK_ERR_CORRUPT_MODEL;
    if (e->type != TR_JSON_OBJECT)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': header entry is not an object", path, name);
    const char *dt = tr_json_get_string(e, "dtype", NULL);
    if (!dt)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': missing \"dtype\" string", path, name);
    int dtype = tr_st_dtype_from_name(dt);
    if (dtype < 0)
        return tr_st_error(err, errlen, TINYRANK_ERR_UNSUPPORTED, "%s: tensor '%s': unknown dtype \"%s\"",
                           path, name, dt);
    const tr_json *shape = tr_json_get(e, "shape");
    if (!shape || shape->type != TR_JSON_ARRAY)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': missing \"shape\" array", path, name);
    if (shape->len > TR_ST_MAX_DIMS)
        return tr_st_error(err, errlen, TINYRANK_ERR_UNSUPPORTED, "%s: tensor '%s': %zu dimensions (at most %d)",
                           path, name, shape->len, TR_ST_MAX_DIMS);
    uint64_t numel = 1;
    memset(t, 0, sizeof *t);
    for (size_t d = 0; d < shape->len; d++) {
        int64_t dim = tr_st_json_uint(&shape->items[d]);
        if (dim < 0)
            return tr_st_error(err, errlen, bad, "%s: tensor '%s': shape[%zu] is not a non-negative integer",
                               path, name, d);
        t->shape[d] = dim;
        if (dim != 0 && numel > (uint64_t)INT64_MAX / (uint64_t)dim)
            return tr_st_error(err, errlen, bad, "%s: tensor '%s': shape product overflows", path, name);
        numel *= (uint64_t)dim;
    }
    size_t isz = tr_st_dtypes[dtype].size;
    if (numel > UINT64_MAX / isz)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': byte size overflows", path, name);
    uint64_t nbytes = numel * isz;
    const tr_json *off = tr_json_get(e, "data_offsets");
    if (!off || off->type != TR_JSON_ARRAY || off->len != 2)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': \"data_offsets\" must be [begin, end]", path,
                           name);
    int64_t b = tr_st_json_uint(&off->items[0]);
    int64_t en = tr_st_json_uint(&off->items[1]);
    if (b < 0 || en < 0)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': data offsets are not non-negative integers",
                           path, name);
    if (b > en)
        return tr_st_error(err, errlen, bad, "%s: tensor '%s': data offsets [%lld, %lld] have begin > end",
                           path, name, (long long)b, (long long)en);
    if ((uint64_t)en > data_len)
        return tr_st_error(err, errlen, bad,
                           "%s: tensor '%s': data offsets [%lld, %lld] beyond the %llu data bytes of the file",
                           path, name, (long long)b, (long long)en, (unsigned long long)data_len);
    if ((uint64_t)(en - b) != nbytes)
        return tr_st_error(err, errlen, bad,
                           "%s: tensor '%s': %lld data bytes but %s of shape needs %llu", path, name,
                           (long long)(en - b), dt, (unsigned long long)nbytes);
    t->dtype = dtype;
    t->ndim = (int)shape->len;
    t->numel = (int64_t)numel;
    t->data = data + b;
    t->nbytes = (size_t)nbytes;
    t->file = path;
    span->begin = (uint64_t)b;
    span->end = (uint64_t)en;
    return TINYRANK_OK;
}

/* Parses the header of s->files[fi] and appends its tensors. When `index`
 * (a weight_map) is given, each tensor must be listed there for this file. */
static int tr_st_load_file(tr_st_set *s, size_t fi, const tr_json *weight_map, const char *shard_name,
                           char *err, size_t errlen)
{
    const int bad = TINYRANK_ERR_CORRUPT_MODEL;
    const tr_st_file *f = &s->files[fi];
    uint64_t n = tr_st_u64le(f->map);
    if (n > (uint64_t)f->size - 8)
        return tr_st_error(err, errlen, bad, "%s: header length %llu exceeds the file size %zu", f->path,
                           (unsigned long long)n, f->size);
    if (n > TR_ST_MAX_HEADER)
        return tr_st_error(err, errlen, bad, "%s: header length %llu exceeds the 100 MB limit", f->path,
                           (unsigned long long)n);
    if (n < 2 || f->map[8] != '{')
        return tr_st_error(err, errlen, bad, "%s: header does not start with '{'", f->path);
    char jerr[256];
    tr_json *h = tr_json_parse((const char *)f->map + 8, (size_t)n, jerr, sizeof jerr);
    if (!h)
        return tr_st_error(err, errlen, bad, "%s: header JSON: %s", f->path, jerr);
    int rc = TINYRANK_OK;
    tr_st_span *spans = NULL;
    size_t nspans = 0;
    if (h->type != TR_JSON_OBJECT) {
        rc = tr_st_error(err, errlen, bad, "%s: header is not a JSON object", f->path);
        goto done;
    }
    const unsigned char *data = f->map + 8 + n;
    uint64_t data_len = (uint64_t)f->size - 8 - n;
    spans = malloc((h->len ? h->len : 1) * sizeof *spans);
    if (!spans || h->len > SIZE_MAX - s->count) {
        rc = tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: out of memory", f->path);
        goto done;
    }
    if (s->count + h->len > s->cap) {
        size_t cap = s->count + h->len;
        tr_st_tensor *nt = realloc(s->tensors, cap * sizeof *nt);
        if (!nt) {
            rc = tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: out of memory", f->path);
            goto done;
        }
        s->tensors = nt;
        s->cap = cap;
    }
    for (size_t i = 0; i < h->len; i++) {
        const char *name = h->keys[i];
        const tr_json *e = &h->items[i];
        if (strcmp(name, "__metadata__") == 0) {
            /* string -> string, as the reference implementation requires */
            if (e->type != TR_JSON_OBJECT) {
                rc = tr_st_error(err, errlen, bad, "%s: __metadata__ is not an object", f->path);
                goto done;
            }
            for (size_t k = 0; k < e->len; k++) {
                if (e->items[k].type != TR_JSON_STRING) {
                    rc = tr_st_error(err, errlen, bad, "%s: __metadata__ value of '%s' is not a string",
                                     f->path, e->keys[k]);
                    goto done;
                }
            }
            continue;
        }
        if (name[0] == '\0') {
            rc = tr_st_error(err, errlen, bad, "%s: tensor with an empty name", f->path);
            goto done;
        }
        tr_st_tensor t;
        rc = tr_st_parse_entry(f->path, name, e, data, data_len, &t, &spans[nspans], err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
        spans[nspans].name = name;
        nspans++;
        if (weight_map) {
            const char *listed = tr_json_get_string(weight_map, name, NULL);
            if (!listed || strcmp(listed, shard_name) != 0) {
                rc = tr_st_error(err, errlen, bad,
                                 "%s: tensor '%s' is not listed for this shard in model.safetensors.index.json",
                                 f->path, name);
                goto done;
            }
        }
        t.name = tr_st_strdup(name);
        if (!t.name) {
            rc = tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: out of memory", f->path);
            goto done;
        }
        s->tensors[s->count++] = t;
    }
    /* Sorted by offset, tensors must tile the data exactly: an overlap means
     * two tensors alias the same bytes, a hole means the header and the data
     * disagree. */
    qsort(spans, nspans, sizeof *spans, tr_st_span_cmp);
    uint64_t pos = 0;
    for (size_t i = 0; i < nspans; i++) {
        if (spans[i].begin < pos) {
            rc = tr_st_error(err, errlen, bad, "%s: tensor '%s' overlaps tensor '%s' (offset %llu < %llu)",
                             f->path, spans[i].name, spans[i - 1].name, (unsigned long long)spans[i].begin,
                             (unsigned long long)pos);
            goto done;
        }
        if (spans[i].begin > pos) {
            rc = tr_st_error(err, errlen, bad, "%s: data bytes [%llu, %llu) before tensor '%s' belong to no tensor",
                             f->path, (unsigned long long)pos, (unsigned long long)spans[i].begin,
                             spans[i].name);
            goto done;
        }
        pos = spans[i].end;
    }
    if (pos != data_len) {
        rc = tr_st_error(err, errlen, bad, "%s: %llu data bytes but the tensors cover %llu (truncated or padded file)",
                         f->path, (unsigned long long)data_len, (unsigned long long)pos);
        goto done;
    }
done:
    free(spans);
    tr_json_free(h);
    return rc;
}

static int tr_st_name_cmp(const void *a, const void *b)
{
    const tr_st_tensor *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Sorts by name, rejects duplicates (within a file, JSON keys may repeat;
 * across shards, a tensor may appear twice) and allocates the used flags. */
static int tr_st_finish(tr_st_set *s, char *err, size_t errlen)
{
    if (s->count > 0)
        qsort(s->tensors, s->count, sizeof *s->tensors, tr_st_name_cmp);
    for (size_t i = 1; i < s->count; i++) {
        if (strcmp(s->tensors[i - 1].name, s->tensors[i].name) == 0)
            return tr_st_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tensor '%s' is defined twice (%s and %s)",
                               s->tensors[i].name, s->tensors[i - 1].file, s->tensors[i].file);
    }
    s->used = calloc(s->count ? s->count : 1, sizeof *s->used);
    if (!s->used)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
    return TINYRANK_OK;
}

int tr_st_open_file(const char *path, tr_st_set **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out || !path)
        return tr_st_error(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "tr_st_open_file: NULL argument");
    *out = NULL;
    tr_st_set *s = calloc(1, sizeof *s);
    if (!s)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s: out of memory", path);
    size_t fi = 0;
    int rc = tr_st_map_file(s, path, &fi, err, errlen);
    if (rc == TINYRANK_OK)
        rc = tr_st_load_file(s, fi, NULL, NULL, err, errlen);
    if (rc == TINYRANK_OK)
        rc = tr_st_finish(s, err, errlen);
    if (rc != TINYRANK_OK) {
        tr_st_close(s);
        return rc;
    }
    *out = s;
    return TINYRANK_OK;
}

/* A shard name from the index must be a plain file name in the checkpoint
 * folder: no path separators, so a hostile index cannot reach other files. */
static bool tr_st_plain_file_name(const char *n)
{
    return n[0] != '\0' && strchr(n, '/') == NULL && strchr(n, '\\') == NULL && strcmp(n, ".") != 0 &&
           strcmp(n, "..") != 0;
}

static int tr_st_open_sharded(const char *dir, const char *index_path, tr_st_set *s, char *err,
                              size_t errlen)
{
    const int bad = TINYRANK_ERR_CORRUPT_MODEL;
    char jerr[256];
    size_t len = 0;
    char *text = tr_read_file(index_path, &len, jerr, sizeof jerr);
    if (!text)
        return tr_st_error(err, errlen, TINYRANK_ERR_IO, "%s", jerr);
    tr_json *idx = tr_json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!idx)
        return tr_st_error(err, errlen, bad, "%s: %s", index_path, jerr);
    int rc = TINYRANK_OK;
    char *shard_path = NULL;
    const tr_json *wm = tr_json_get(idx, "weight_map");
    if (!wm || wm->type != TR_JSON_OBJECT || wm->len == 0) {
        rc = tr_st_error(err, errlen, bad, "%s: missing or empty \"weight_map\" object", index_path);
        goto done;
    }
    for (size_t i = 0; i < wm->len; i++) {
        const tr_json *v = &wm->items[i];
        if (v->type != TR_JSON_STRING || strlen(v->string) != v->len || !tr_st_plain_file_name(v->string)) {
            rc = tr_st_error(err, errlen, bad, "%s: weight_map entry '%s' is not a plain file name", index_path,
                             wm->keys[i]);
            goto done;
        }
        /* Open each distinct shard once, in order of first mention. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(wm->items[j].string, v->string) == 0;
        if (seen)
            continue;
        shard_path = tr_st_join(dir, v->string);
        if (!shard_path) {
            rc = tr_st_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
            goto done;
        }
        size_t fi = 0;
        rc = tr_st_map_file(s, shard_path, &fi, err, errlen);
        if (rc == TINYRANK_OK)
            rc = tr_st_load_file(s, fi, wm, v->string, err, errlen);
        free(shard_path);
        shard_path = NULL;
        if (rc != TINYRANK_OK)
            goto done;
    }
    rc = tr_st_finish(s, err, errlen);
    if (rc != TINYRANK_OK)
        goto done;
    /* Every tensor the index promises must exist in its shard. */
    for (size_t i = 0; i < wm->len; i++) {
        if (!tr_st_find(s, wm->keys[i])) {
            rc = tr_st_error(err, errlen, bad, "%s: tensor '%s' listed in the index is missing from shard %s",
                             index_path, wm->keys[i], wm->items[i].string);
            goto done;
        }
    }
done:
    tr_json_free(idx);
    return rc;
}

int tr_st_open_dir(const char *dir, tr_st_set **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out || !dir)
        return tr_st_error(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "tr_st_open_dir: NULL argument");
    *out = NULL;
    char *index_path = tr_st_join(dir, "model.safetensors.index.json");
    char *single_path = tr_st_join(dir, "model.safetensors");
    tr_st_set *s = calloc(1, sizeof *s);
    int rc;
    if (!index_path || !single_path || !s) {
        rc = tr_st_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        goto done;
    }
    struct stat st;
    if (stat(index_path, &st) == 0) {
        rc = tr_st_open_sharded(dir, index_path, s, err, errlen);
    } else if (stat(single_path, &st) == 0) {
        size_t fi = 0;
        rc = tr_st_map_file(s, single_path, &fi, err, errlen);
        if (rc == TINYRANK_OK)
            rc = tr_st_load_file(s, fi, NULL, NULL, err, errlen);
        if (rc == TINYRANK_OK)
            rc = tr_st_finish(s, err, errlen);
    } else {
        rc = tr_st_error(err, errlen, TINYRANK_ERR_IO,
                         "%s: no model.safetensors or model.safetensors.index.json (only safetensors "
                         "checkpoints are read)", dir);
    }
done:
    free(index_path);
    free(single_path);
    if (rc != TINYRANK_OK) {
        tr_st_close(s);
        return rc;
    }
    *out = s;
    return TINYRANK_OK;
}

/* ----------------------------------------------------------- accessors */

size_t tr_st_count(const tr_st_set *s)
{
    return s ? s->count : 0;
}

const tr_st_tensor *tr_st_at(const tr_st_set *s, size_t i)
{
    return (s && i < s->count) ? &s->tensors[i] : NULL;
}

const tr_st_tensor *tr_st_find(const tr_st_set *s, const char *name)
{
    if (!s || !name || s->count == 0)
        return NULL;
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->tensors[mid].name, name);
        if (c == 0)
            return &s->tensors[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Index of t in s, or s->count when t is not one of s's tensors. */
static size_t tr_st_index_of(const tr_st_set *s, const tr_st_tensor *t)
{
    if (!s || !t || s->count == 0 || t < s->tensors || t >= s->tensors + s->count)
        return s ? s->count : 0;
    return (size_t)(t - s->tensors);
}

void tr_st_mark_used(tr_st_set *s, const tr_st_tensor *t)
{
    size_t i = tr_st_index_of(s, t);
    if (s && i < s->count)
        s->used[i] = true;
}

const tr_st_tensor *tr_st_use(tr_st_set *s, const char *name)
{
    const tr_st_tensor *t = tr_st_find(s, name);
    tr_st_mark_used(s, t);
    return t;
}

bool tr_st_is_used(const tr_st_set *s, const tr_st_tensor *t)
{
    size_t i = tr_st_index_of(s, t);
    return s && i < s->count && s->used[i];
}

size_t tr_st_unused_count(const tr_st_set *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->count; i++)
        n += !s->used[i];
    return n;
}

const tr_st_tensor *tr_st_unused_at(const tr_st_set *s, size_t k)
{
    for (size_t i = 0; s && i < s->count; i++) {
        if (!s->used[i] && k-- == 0)
            return &s->tensors[i];
    }
    return NULL;
}

int tr_st_check_all_used(const tr_st_set *s, char *err, size_t errlen)
{
    size_t n = tr_st_unused_count(s);
    if (n == 0)
        return TINYRANK_OK;
    if (err && errlen) {
        int w = snprintf(err, errlen, "%zu extra tensor%s not used by the converter:", n, n == 1 ? "" : "s");
        size_t pos = (w > 0 && (size_t)w < errlen) ? (size_t)w : errlen - 1;
        for (size_t k = 0; k < n && k < 5 && pos + 1 < errlen; k++) {
            w = snprintf(err + pos, errlen - pos, " %s", tr_st_unused_at(s, k)->name);
            if (w < 0 || (size_t)w >= errlen - pos)
                break;
            pos += (size_t)w;
        }
        if (n > 5 && pos + 1 < errlen)
            snprintf(err + pos, errlen - pos, " ...");
    }
    return TINYRANK_ERR_CORRUPT_MODEL;
}

/* ---------------------------------------------------------- conversion */

static float tr_st_bits_to_f32(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE binary16 -> binary32, exact: every half value is a float value. */
static uint32_t tr_st_half_to_bits(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    if (exp == 0x1F) /* inf / NaN (payload kept) */
        return sign | 0x7F800000u | (man << 13);
    if (exp == 0) {
        if (man == 0)
            return sign;
        /* Subnormal half: normalise the mantissa into a normal float. */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400u));
        man &= 0x3FFu;
        return sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
    }
    return sign | ((exp + 127 - 15) << 23) | (man << 13);
}

int tr_st_to_f32(const tr_st_tensor *t, float *dst, char *err, size_t errlen)
{
    if (!t || (!dst && t->numel > 0))
        return tr_st_error(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "tr_st_to_f32: NULL argument");
    const unsigned char *b = t->data;
    size_t n = (size_t)t->numel;
    /* Bytes are assembled explicitly: the file is little-endian whatever
     * the host is, and the data pointer need not be aligned. */
    switch (t->dtype) {
    case TR_ST_F32:
        for (size_t i = 0; i < n; i++, b += 4)
            dst[i] = tr_st_bits_to_f32((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                                       (uint32_t)b[3] << 24);
        return TINYRANK_OK;
    case TR_ST_F16:
        for (size_t i = 0; i < n; i++, b += 2)
            dst[i] = tr_st_bits_to_f32(tr_st_half_to_bits((uint16_t)(b[0] | b[1] << 8)));
        return TINYRANK_OK;
    case TR_ST_BF16:
        /* bfloat16 is the upper half of a float32. */
        for (size_t i = 0; i < n; i++, b += 2)
            dst[i] = tr_st_bits_to_f32((uint32_t)b[0] << 16 | (uint32_t)b[1] << 24);
        return TINYRANK_OK;
    default:
        return tr_st_error(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                           "%s: tensor '%s': dtype %s cannot be converted (F32, F16 and BF16 can)",
                           t->file ? t->file : "?", t->name ? t->name : "?", tr_st_dtype_name(t->dtype));
    }
}
