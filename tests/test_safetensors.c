/* test_safetensors.c - the safetensors reader: the golden bert_tiny
 * checkpoint (names, shapes, and values compared with bytes read here
 * independently with stdio), F16/BF16 conversion on known IEEE values,
 * sharded folders, used-tensor bookkeeping, and corrupt files written to a
 * temp dir (each must give a clear error naming file and tensor, no crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "converter/hf/safetensors.h"
#include "tinyrank.h"

/* ------------------------------------------------------------- helpers */

static const char *shared_dir(void)
{
    static char buf[1024];
    const char *env = getenv("TINYRANK_SHARED");
    if (env && env[0])
        snprintf(buf, sizeof buf, "%s", env);
    else if ((env = getenv("TINYRANK_SOURCE_DIR")) && env[0])
        snprintf(buf, sizeof buf, "%s/../shared", env);
    else {
        /* Source dir from this file's path: <src>/tests/test_x.c. */
        char src[900];
        snprintf(src, sizeof src, "%s", __FILE__);
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(src, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(src, sizeof src, ".");
        }
        snprintf(buf, sizeof buf, "%s/../shared", src);
    }
    struct stat st;
    return (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) ? buf : NULL;
}

static char g_tmp[256];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/tr_test_st_XXXXXX");
    return mkdtemp(g_tmp) ? 0 : -1;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int drop_tmp(void **state)
{
    (void)state;
    remove_tree(g_tmp);
    return 0;
}

/* A fresh empty subfolder of the temp dir. */
static const char *subdir(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", g_tmp, name);
    remove_tree(buf);
    assert_int_equal(mkdir(buf, 0755), 0);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Writes a safetensors file: declared header length `hlen` (normally
 * strlen(header)), the header text, then `data`. */
static void write_st_raw(const char *path, uint64_t hlen, const char *header, const void *data, size_t n)
{
    size_t hl = strlen(header);
    size_t total = 8 + hl + n;
    unsigned char *buf = malloc(total ? total : 1);
    assert_non_null(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + 8, header, hl);
    if (n)
        memcpy(buf + 8 + hl, data, n);
    write_bytes(path, buf, total);
    free(buf);
}

static void write_st(const char *path, const char *header, const void *data, size_t n)
{
    write_st_raw(path, strlen(header), header, data, n);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* Opens `path` expecting failure with `code` and a message containing each
 * of the given fragments (NULL-terminated list). */
static void expect_open_error(const char *path, int is_dir, int code, ...)
{
    tr_st_set *s = (tr_st_set *)1;
    char err[512] = "";
    int rc = is_dir ? tr_st_open_dir(path, &s, err, sizeof err) : tr_st_open_file(path, &s, err, sizeof err);
    if (rc != code)
        fail_msg("%s: expected status %d, got %d (%s)", path, code, rc, err);
    assert_null(s);
    va_list ap;
    va_start(ap, code);
    const char *frag;
    while ((frag = va_arg(ap, const char *)) != NULL) {
        if (!strstr(err, frag))
            fail_msg("message '%s' lacks '%s'", err, frag);
    }
    va_end(ap);
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* ------------------------------------------------------ golden bert_tiny */

static void test_golden_bert_tiny(void **state)
{
    (void)state;
    const char *shared = shared_dir();
    if (!shared) {
        print_message("SKIPPED: ../shared not found (set TINYRANK_SHARED)\n");
        skip();
    }
    char dir[1200], path[1300];
    snprintf(dir, sizeof dir, "%s/golden/bert_tiny", shared);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    tr_st_set *s = NULL;
    char err[512];
    int rc = tr_st_open_dir(dir, &s, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("open: %s", err);
    /* 5 embeddings + 2 layers x 16 + 2 pooler + 2 classifier. */
    assert_int_equal(tr_st_count(s), 41);
    const struct {
        const char *name;
        int ndim;
        int64_t d0, d1;
    } expect[] = {
        {"bert.embeddings.word_embeddings.weight", 2, 1000, 128},
        {"bert.embeddings.position_embeddings.weight", 2, 128, 128},
        {"bert.embeddings.token_type_embeddings.weight", 2, 2, 128},
        {"bert.embeddings.LayerNorm.weight", 1, 128, 0},
        {"bert.encoder.layer.0.attention.self.query.weight", 2, 128, 128},
        {"bert.encoder.layer.1.intermediate.dense.weight", 2, 512, 128},
        {"bert.encoder.layer.1.output.dense.weight", 2, 128, 512},
        {"bert.pooler.dense.bias", 1, 128, 0},
        {"classifier.weight", 2, 1, 128},
        {"classifier.bias", 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const tr_st_tensor *t = tr_st_find(s, expect[i].name);
        if (!t)
            fail_msg("missing %s", expect[i].name);
        assert_string_equal(t->name, expect[i].name);
        assert_int_equal(t->dtype, TR_ST_F32);
        assert_int_equal(t->ndim, expect[i].ndim);
        assert_int_equal(t->shape[0], expect[i].d0);
        if (expect[i].ndim == 2)
            assert_int_equal(t->shape[1], expect[i].d1);
        assert_int_equal(t->nbytes, (size_t)t->numel * 4);
        assert_string_equal(t->file, path);
    }
    assert_null(tr_st_find(s, "bert.embeddings.word_embeddings"));
    /* Sorted by name. */
    for (size_t i = 1; i < tr_st_count(s); i++)
        assert_true(strcmp(tr_st_at(s, i - 1)->name, tr_st_at(s, i)->name) < 0);

    /* Values: read the same bytes with stdio at offsets known from the file
     * (header length 4488, per-tensor offsets as printed by Python's json +
     * struct) and compare bit for bit; and three values Python printed. */
    const struct {
        const char *name;
        long begin;
        size_t n;
    } at[] = {
        {"classifier.weight", 2231812, 128},
        {"classifier.bias", 2231808, 1},
        {"bert.embeddings.LayerNorm.weight", 512, 128},
        {"bert.encoder.layer.1.output.dense.weight", 1903616, 65536},
    };
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        const tr_st_tensor *t = tr_st_find(s, at[i].name);
        assert_non_null(t);
        assert_int_equal((size_t)t->numel, at[i].n);
        float *got = malloc(at[i].n * sizeof *got);
        unsigned char *raw = malloc(at[i].n * 4);
        assert_non_null(got);
        assert_non_null(raw);
        assert_int_equal(tr_st_to_f32(t, got, err, sizeof err), TINYRANK_OK);
        assert_int_equal(fseek(f, 8 + 4488 + at[i].begin, SEEK_SET), 0);
        assert_int_equal(fread(raw, 4, at[i].n, f), at[i].n);
        for (size_t k = 0; k < at[i].n; k++) {
            uint32_t want = (uint32_t)raw[4 * k] | (uint32_t)raw[4 * k + 1] << 8 | (uint32_t)raw[4 * k + 2] << 16 |
                            (uint32_t)raw[4 * k + 3] << 24;
            if (f32_bits(got[k]) != want)
                fail_msg("%s[%zu]: 0x%08x != 0x%08x", at[i].name, k, f32_bits(got[k]), want);
        }
        if (i == 0) {
            assert_true(got[0] == 0.000972155889030546f);
            assert_true(got[2] == 0.018531905487179756f);
        }
        if (i == 1)
            assert_true(got[0] == -0.006098282057791948f);
        if (i == 2)
            assert_true(got[1] == 0.9904350638389587f);
        free(got);
        free(raw);
    }
    fclose(f);

    /* Used-tensor bookkeeping: the converter marks what it consumed. */
    assert_int_equal(tr_st_unused_count(s), 41);
    assert_non_null(tr_st_use(s, "classifier.bias"));
    assert_null(tr_st_use(s, "no.such.tensor"));
    tr_st_mark_used(s, tr_st_find(s, "classifier.weight"));
    tr_st_mark_used(s, NULL); /* harmless */
    assert_true(tr_st_is_used(s, tr_st_find(s, "classifier.weight")));
    assert_false(tr_st_is_used(s, tr_st_find(s, "bert.pooler.dense.bias")));
    assert_int_equal(tr_st_unused_count(s), 39);
    assert_int_equal(tr_st_check_all_used(s, err, sizeof err), TINYRANK_ERR_CORRUPT_MODEL);
    assert_non_null(strstr(err, "39 extra tensors"));
    assert_non_null(strstr(err, "bert.embeddings.LayerNorm.bias"));
    for (size_t i = 0; i < tr_st_count(s); i++)
        tr_st_mark_used(s, tr_st_at(s, i));
    assert_int_equal(tr_st_unused_count(s), 0);
    assert_null(tr_st_unused_at(s, 0));
    assert_int_equal(tr_st_check_all_used(s, err, sizeof err), TINYRANK_OK);
    tr_st_close(s);
}

/* ---------------------------------------------------------- conversion */

static void test_f16_bf16_values(void **state)
{
    (void)state;
    /* IEEE binary16 patterns and their exact values. */
    const struct {
        uint16_t h;
        float v;
    } f16[] = {
        {0x0000, 0.0f},
        {0x3C00, 1.0f},
        {0xC000, -2.0f},
        {0x3555, 0x1.554p-2f},       /* 0.333251953125 */
        {0x7BFF, 65504.0f},          /* largest finite */
        {0x0400, 0x1p-14f},          /* smallest normal */
        {0x0001, 0x1p-24f},          /* smallest subnormal */
        {0x03FF, 0x1.ff8p-15f},      /* largest subnormal */
        {0x8001, -0x1p-24f},
        {0x0200, 0x1p-15f},
        {0x7C00, INFINITY},
        {0xFC00, -INFINITY},
    };
    const size_t nf = sizeof f16 / sizeof f16[0];
    /* bfloat16 is the top half of binary32. */
    const struct {
        uint16_t h;
        float v;
    } bf[] = {
        {0x3F80, 1.0f},      {0x4049, 3.140625f}, {0xC2F7, -123.5f},  {0x0080, 0x1p-126f},
        {0x0001, 0x1p-133f}, /* float subnormal */ {0x7F7F, 0x1.fep127f}, {0x7F80, INFINITY},
        {0xFF80, -INFINITY}, {0x0000, 0.0f},
    };
    const size_t nb = sizeof bf / sizeof bf[0];

    /* One file with an F16 tensor (+ NaN and -0), a BF16 tensor (+ NaN and
     * -0) and an F32 tensor, all written as little-endian bytes here. */
    unsigned char data[256];
    size_t off = 0;
    for (size_t i = 0; i < nf; i++) {
        data[off++] = (unsigned char)(f16[i].h & 0xFF);
        data[off++] = (unsigned char)(f16[i].h >> 8);
    }
    const uint16_t f16_extra[2] = {0x7E00, 0x8000}; /* NaN, -0 */
    for (int i = 0; i < 2; i++) {
        data[off++] = (unsigned char)(f16_extra[i] & 0xFF);
        data[off++] = (unsigned char)(f16_extra[i] >> 8);
    }
    size_t f16_end = off;
    for (size_t i = 0; i < nb; i++) {
        data[off++] = (unsigned char)(bf[i].h & 0xFF);
        data[off++] = (unsigned char)(bf[i].h >> 8);
    }
    const uint16_t bf_extra[2] = {0x7FC0, 0x8000};
    for (int i = 0; i < 2; i++) {
        data[off++] = (unsigned char)(bf_extra[i] & 0xFF);
        data[off++] = (unsigned char)(bf_extra[i] >> 8);
    }
    size_t bf_end = off;
    /* F32 1.5 = 0x3FC00000, -0.25 = 0xBE800000, little-endian. */
    const unsigned char f32b[8] = {0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x80, 0xBE};
    memcpy(data + off, f32b, 8);
    off += 8;
    /* An I64 tensor: listed, but not convertible. */
    memset(data + off, 0, 16);
    off += 16;

    char header[512];
    snprintf(header, sizeof header,
             "{\"h\":{\"dtype\":\"F16\",\"shape\":[%zu],\"data_offsets\":[0,%zu]},"
             "\"b\":{\"dtype\":\"BF16\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]},"
             "\"f\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[%zu,%zu]},"
             "\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[%zu,%zu]},"
             "\"__metadata__\":{\"format\":\"pt\"}}",
             nf + 2, f16_end, nb + 2, f16_end, bf_end, bf_end, bf_end + 8, bf_end + 8, bf_end + 24);
    char path[512];
    snprintf(path, sizeof path, "%s/values.safetensors", g_tmp);
    write_st(path, header, data, off);

    tr_st_set *s = NULL;
    char err[512];
    int rc = tr_st_open_file(path, &s, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("open: %s", err);
    assert_int_equal(tr_st_count(s), 4);
    float out[32];

    const tr_st_tensor *t = tr_st_find(s, "h");
    assert_int_equal(t->dtype, TR_ST_F16);
    assert_int_equal(tr_st_to_f32(t, out, err, sizeof err), TINYRANK_OK);
    for (size_t i = 0; i < nf; i++) {
        if (f32_bits(out[i]) != f32_bits(f16[i].v))
            fail_msg("F16 0x%04x -> %a, want %a", f16[i].h, (double)out[i], (double)f16[i].v);
    }
    assert_true(isnan(out[nf]));
    assert_true(out[nf + 1] == 0.0f && signbit(out[nf + 1]));

    t = tr_st_find(s, "b");
    assert_int_equal(t->dtype, TR_ST_BF16);
    assert_int_equal(tr_st_to_f32(t, out, err, sizeof err), TINYRANK_OK);
    for (size_t i = 0; i < nb; i++) {
        if (f32_bits(out[i]) != f32_bits(bf[i].v))
            fail_msg("BF16 0x%04x -> %a, want %a", bf[i].h, (double)out[i], (double)bf[i].v);
    }
    assert_true(isnan(out[nb]));
    assert_true(out[nb + 1] == 0.0f && signbit(out[nb + 1]));

    t = tr_st_find(s, "f");
    assert_int_equal(t->ndim, 2);
    assert_int_equal(tr_st_to_f32(t, out, err, sizeof err), TINYRANK_OK);
    assert_true(out[0] == 1.5f && out[1] == -0.25f);

    t = tr_st_find(s, "i");
    assert_int_equal(t->dtype, TR_ST_I64);
    assert_string_equal(tr_st_dtype_name(t->dtype), "I64");
    assert_int_equal(tr_st_to_f32(t, out, err, sizeof err), TINYRANK_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "'i'"));
    assert_non_null(strstr(err, "I64"));
    assert_non_null(strstr(err, "values.safetensors"));
    tr_st_close(s);
}

/* Scalars (shape []) and empty tensors are legal. */
static void test_scalar_and_empty(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/scalar.safetensors", g_tmp);
    const unsigned char d[4] = {0x00, 0x00, 0x80, 0x3F}; /* 1.0f */
    write_st(path,
             "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
             "\"e\":{\"dtype\":\"F16\",\"shape\":[0,7],\"data_offsets\":[4,4]}}  ",
             d, 4);
    tr_st_set *s = NULL;
    char err[512];
    assert_int_equal(tr_st_open_file(path, &s, err, sizeof err), TINYRANK_OK);
    const tr_st_tensor *t = tr_st_find(s, "s");
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->numel, 1);
    float v = 0;
    assert_int_equal(tr_st_to_f32(t, &v, err, sizeof err), TINYRANK_OK);
    assert_true(v == 1.0f);
    t = tr_st_find(s, "e");
    assert_int_equal(t->numel, 0);
    assert_int_equal(t->nbytes, 0);
    assert_int_equal(tr_st_to_f32(t, NULL, err, sizeof err), TINYRANK_OK);
    tr_st_close(s);
}

/* ------------------------------------------------------------- shards */

static const char *k_shard1 = "{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"__metadata__\":{\"format\":\"pt\"}}";
static const char *k_shard2 = "{\"b.weight\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                              "\"c.bias\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]}}";

static void write_shards(const char *dir)
{
    char p[600];
    const unsigned char d1[8] = {0, 0, 0x80, 0x3F, 0, 0, 0, 0x40}; /* 1.0, 2.0 */
    const unsigned char d2[4] = {0x40, 0x40, 0x00, 0x3C};         /* bf16 3.0, f16 1.0 */
    snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", dir);
    write_st(p, k_shard1, d1, 8);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", dir);
    write_st(p, k_shard2, d2, 4);
}

static void write_index(const char *dir, const char *weight_map)
{
    char p[600], text[1024];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    snprintf(text, sizeof text, "{\"metadata\": {\"total_size\": 12}, \"weight_map\": %s}", weight_map);
    write_text(p, text);
}

static const char *k_good_map = "{\"a.weight\": \"model-00001-of-00002.safetensors\","
                                " \"b.weight\": \"model-00002-of-00002.safetensors\","
                                " \"c.bias\": \"model-00002-of-00002.safetensors\"}";

static void test_sharded(void **state)
{
    (void)state;
    const char *dir = subdir("sharded");
    write_shards(dir);
    write_index(dir, k_good_map);
    tr_st_set *s = NULL;
    char err[512];
    int rc = tr_st_open_dir(dir, &s, err, sizeof err);
    if (rc != TINYRANK_OK)
        fail_msg("open: %s", err);
    assert_int_equal(tr_st_count(s), 3);
    float v[2];
    const tr_st_tensor *t = tr_st_find(s, "a.weight");
    assert_non_null(strstr(t->file, "model-00001-of-00002.safetensors"));
    assert_int_equal(tr_st_to_f32(t, v, err, sizeof err), TINYRANK_OK);
    assert_true(v[0] == 1.0f && v[1] == 2.0f);
    t = tr_st_find(s, "b.weight");
    assert_non_null(strstr(t->file, "model-00002-of-00002.safetensors"));
    assert_int_equal(tr_st_to_f32(t, v, err, sizeof err), TINYRANK_OK);
    assert_true(v[0] == 3.0f);
    t = tr_st_find(s, "c.bias");
    assert_int_equal(tr_st_to_f32(t, v, err, sizeof err), TINYRANK_OK);
    assert_true(v[0] == 1.0f);
    tr_st_close(s);
}

static void test_sharded_errors(void **state)
{
    (void)state;
    const char *dir = subdir("shard_err");
    write_shards(dir);

    /* Index promises a tensor that its shard lacks. */
    write_index(dir, "{\"a.weight\": \"model-00001-of-00002.safetensors\","
                     " \"b.weight\": \"model-00002-of-00002.safetensors\","
                     " \"c.bias\": \"model-00002-of-00002.safetensors\","
                     " \"d.weight\": \"model-00001-of-00002.safetensors\"}");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "'d.weight'", "missing", NULL);

    /* A shard holds a tensor the index does not list for it. */
    write_index(dir, "{\"a.weight\": \"model-00001-of-00002.safetensors\","
                     " \"b.weight\": \"model-00002-of-00002.safetensors\"}");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "'c.bias'", "model-00002-of-00002.safetensors", NULL);

    /* The index puts a tensor in the wrong shard. */
    write_index(dir, "{\"a.weight\": \"model-00002-of-00002.safetensors\","
                     " \"b.weight\": \"model-00002-of-00002.safetensors\","
                     " \"c.bias\": \"model-00002-of-00002.safetensors\"}");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "tensor", NULL);

    /* Shard file missing. */
    write_index(dir, "{\"a.weight\": \"model-00001-of-00002.safetensors\","
                     " \"b.weight\": \"model-00009-of-00009.safetensors\"}");
    expect_open_error(dir, 1, TINYRANK_ERR_IO, "model-00009-of-00009.safetensors", NULL);

    /* A path instead of a file name: never leave the folder. */
    write_index(dir, "{\"a.weight\": \"../sharded/model-00001-of-00002.safetensors\"}");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "'a.weight'", "plain file name", NULL);

    /* Malformed index files. */
    write_index(dir, "{}");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "weight_map", NULL);
    write_index(dir, "{\"a.weight\": 3}");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "'a.weight'", NULL);
    char p[600];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    write_text(p, "{\"weight_map\": {\"a\": \"x\"");
    expect_open_error(dir, 1, TINYRANK_ERR_CORRUPT_MODEL, "model.safetensors.index.json", "line 1", NULL);

    /* Neither file. */
    const char *empty = subdir("empty");
    expect_open_error(empty, 1, TINYRANK_ERR_IO, "model.safetensors", NULL);
}

/* ------------------------------------------------------- corrupt files */

static void test_corrupt_files(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", g_tmp);
    unsigned char data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)i;
    const int bad = TINYRANK_ERR_CORRUPT_MODEL;

    /* Shorter than the 8-byte length. */
    write_bytes(path, "\x02\x00\x00", 3);
    expect_open_error(path, 0, bad, "bad.safetensors", "too small", NULL);

    /* Header length beyond the file (also a huge u64). */
    write_st_raw(path, 1000, "{}", NULL, 0);
    expect_open_error(path, 0, bad, "bad.safetensors", "header length", NULL);
    write_st_raw(path, UINT64_MAX, "{}", NULL, 0);
    expect_open_error(path, 0, bad, "header length", NULL);

    /* Bad JSON, and JSON that is not an object. */
    write_st(path, "{\"w\":{\"dtype\":\"F32\",", data, 0);
    expect_open_error(path, 0, bad, "bad.safetensors", "header JSON", "line 1", NULL);
    write_st(path, "[1, 2]", data, 0);
    expect_open_error(path, 0, bad, "bad.safetensors", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", data, 4);
    expect_open_error(path, 0, bad, "header JSON", NULL);

    /* Unknown dtype. */
    write_st(path, "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, TINYRANK_ERR_UNSUPPORTED, "bad.safetensors", "'w'", "F33", NULL);

    /* Offsets past the data (the classic truncated download). */
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data, 12);
    expect_open_error(path, 0, bad, "'w'", "beyond", NULL);
    /* Offsets past any sane range. */
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[18446744073709551612,18446744073709551616]}}",
             data, 4);
    expect_open_error(path, 0, bad, "'w'", NULL);
    /* begin > end. */
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", data, 8);
    expect_open_error(path, 0, bad, "'w'", "begin > end", NULL);
    /* Size does not match numel * itemsize. */
    write_st(path, "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", data, 16);
    expect_open_error(path, 0, bad, "'w'", "needs 12", NULL);
    /* Overlapping tensors. */
    write_st(path,
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
             data, 12);
    expect_open_error(path, 0, bad, "overlaps", "'a'", "'b'", NULL);
    /* Same bytes claimed twice. */
    write_st(path,
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
             data, 8);
    expect_open_error(path, 0, bad, "overlaps", NULL);
    /* A hole between tensors, and trailing bytes no tensor owns. */
    write_st(path,
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
             data, 12);
    expect_open_error(path, 0, bad, "belong to no tensor", "'b'", NULL);
    write_st(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data, 9);
    expect_open_error(path, 0, bad, "bad.safetensors", "cover", NULL);
    /* Shape problems: negative, fractional, overflowing product, too many
     * dimensions, not an array. */
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "shape[0]", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "shape[0]", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "overflow", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, TINYRANK_ERR_UNSUPPORTED, "'w'", "dimensions", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "shape", NULL);
    /* Missing or malformed fields. */
    write_st(path, "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "dtype", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "data_offsets", NULL);
    write_st(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", data, 4);
    expect_open_error(path, 0, bad, "'w'", "data_offsets", NULL);
    write_st(path, "{\"w\":[1]}", data, 0);
    expect_open_error(path, 0, bad, "'w'", NULL);
    /* Duplicate tensor names (JSON allows duplicate keys; we do not). */
    write_st(path,
             "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
             "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
             data, 8);
    expect_open_error(path, 0, bad, "'w'", "twice", NULL);
    /* __metadata__ must map strings to strings. */
    write_st(path, "{\"__metadata__\":{\"format\":1}}", data, 0);
    expect_open_error(path, 0, bad, "__metadata__", NULL);
    /* Not a regular file / missing. */
    expect_open_error(g_tmp, 0, TINYRANK_ERR_IO, NULL);
    snprintf(path, sizeof path, "%s/nope.safetensors", g_tmp);
    expect_open_error(path, 0, TINYRANK_ERR_IO, "nope.safetensors", NULL);
    /* NULL arguments. */
    char err[128];
    tr_st_set *s = NULL;
    assert_int_equal(tr_st_open_dir(NULL, &s, err, sizeof err), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_st_open_file(path, NULL, err, sizeof err), TINYRANK_ERR_INVALID_ARGUMENT);
    tr_st_close(NULL);
}

/* Every truncation of a valid file fails cleanly (mostly "header length"
 * or "cover"), never crashes. */
static void test_every_truncation(void **state)
{
    (void)state;
    char full[512], cut[512];
    snprintf(full, sizeof full, "%s/full.safetensors", g_tmp);
    snprintf(cut, sizeof cut, "%s/cut.safetensors", g_tmp);
    unsigned char data[24] = {0};
    const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[16,24]}}";
    write_st(full, h, data, sizeof data);
    FILE *f = fopen(full, "rb");
    assert_non_null(f);
    unsigned char buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, 8 + strlen(h) + sizeof data);
    tr_st_set *s = NULL;
    char err[512];
    assert_int_equal(tr_st_open_file(full, &s, err, sizeof err), TINYRANK_OK);
    tr_st_close(s);
    for (size_t k = 0; k < n; k++) {
        write_bytes(cut, buf, k);
        s = NULL;
        int rc = tr_st_open_file(cut, &s, err, sizeof err);
        if (rc == TINYRANK_OK)
            fail_msg("truncation to %zu bytes accepted", k);
        assert_null(s);
        assert_non_null(strstr(err, "cut.safetensors"));
    }
}

/* A checkpoint written by tests/tools/make_checkpoint.py (sharded, BF16)
 * holds the round-to-nearest-even BF16 of the F32 checkpoint of the same
 * seed; checks the generator and the reader together. */
static int run_generator(const char *python, const char *script, const char *out, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' --preset tiny --seed 3 --out '%s' %s", python, script, out, extra);
    int st = system(cmd);
    return (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
}

static void test_generated_checkpoint(void **state)
{
    (void)state;
    const char *python = getenv("TINYRANK_PYTHON");
    const char *src = getenv("TINYRANK_SOURCE_DIR");
    if (!python || !python[0] || !src || !src[0]) {
        print_message("SKIPPED: TINYRANK_PYTHON / TINYRANK_SOURCE_DIR not set (run through ctest)\n");
        skip();
    }
    char script[1024], d32[600], d16[600];
    snprintf(script, sizeof script, "%s/tests/tools/make_checkpoint.py", src);
    snprintf(d32, sizeof d32, "%s/gen_f32", g_tmp);
    snprintf(d16, sizeof d16, "%s/gen_bf16", g_tmp);
    assert_int_equal(run_generator(python, script, d32, ""), 0);
    assert_int_equal(run_generator(python, script, d16, "--dtype bf16 --shards 3"), 0);
    tr_st_set *a = NULL, *b = NULL;
    char err[512];
    if (tr_st_open_dir(d32, &a, err, sizeof err) != TINYRANK_OK)
        fail_msg("%s", err);
    if (tr_st_open_dir(d16, &b, err, sizeof err) != TINYRANK_OK)
        fail_msg("%s", err);
    /* tiny preset: 2 layers -> 41 tensors, as in BertForSequenceClassification. */
    assert_int_equal(tr_st_count(a), 41);
    assert_int_equal(tr_st_count(b), 41);
    const tr_st_tensor *wte = tr_st_find(a, "bert.embeddings.word_embeddings.weight");
    assert_non_null(wte);
    assert_int_equal(wte->shape[0], 1000);
    assert_int_equal(wte->shape[1], 64);
    assert_int_equal(tr_st_find(a, "bert.encoder.layer.1.intermediate.dense.weight")->shape[0], 256);
    int files_seen[3] = {0, 0, 0};
    for (size_t i = 0; i < tr_st_count(a); i++) {
        const tr_st_tensor *x = tr_st_at(a, i), *y = tr_st_at(b, i);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->dtype, TR_ST_F32);
        assert_int_equal(y->dtype, TR_ST_BF16);
        assert_int_equal(x->numel, y->numel);
        for (int k = 0; k < 3; k++) {
            char tag[64];
            snprintf(tag, sizeof tag, "model-%05d-of-00003.safetensors", k + 1);
            files_seen[k] |= strstr(y->file, tag) != NULL;
        }
        float *fx = malloc((size_t)x->numel * sizeof *fx), *fy = malloc((size_t)y->numel * sizeof *fy);
        assert_non_null(fx);
        assert_non_null(fy);
        assert_int_equal(tr_st_to_f32(x, fx, err, sizeof err), TINYRANK_OK);
        assert_int_equal(tr_st_to_f32(y, fy, err, sizeof err), TINYRANK_OK);
        for (int64_t k = 0; k < x->numel; k++) {
            uint32_t u = f32_bits(fx[k]);
            uint32_t r = ((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16) << 16; /* RNE to bf16 */
            if (f32_bits(fy[k]) != r)
                fail_msg("%s[%lld]: bf16 %a is not RNE(%a)", x->name, (long long)k, (double)fy[k], (double)fx[k]);
        }
        free(fx);
        free(fy);
    }
    assert_true(files_seen[0] && files_seen[1] && files_seen[2]);
    tr_st_close(a);
    tr_st_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_bert_tiny),
        cmocka_unit_test(test_f16_bf16_values),
        cmocka_unit_test(test_scalar_and_empty),
        cmocka_unit_test(test_sharded),
        cmocka_unit_test(test_sharded_errors),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_generated_checkpoint),
    };
    return cmocka_run_group_tests(tests, make_tmp, drop_tmp);
}
