/* test_corrupt_model.c - bad model bytes give an error code, never a crash.
 *
 * A tiny checkpoint is generated and converted (f32 and int8) by the real
 * tools; then its bytes are damaged in many ways and handed to
 * tinyrank_model_load. The suite also runs under ASan/UBSan, which turns any
 * out-of-bounds read or undefined behaviour into a failure, so "no crash"
 * here means "no invalid memory access" too:
 *   - truncation at every byte of the first 4 KiB, every 64th byte after,
 *     and around every blob boundary: a cut before the end of the last
 *     blob's data must fail, a cut in the final zero padding must load (the
 *     tail past the cut is poisoned for ASan, so reads beyond it are caught);
 *   - random 1-4 byte flips inside the FlatBuffer part (fixed seed): load may
 *     succeed or fail; a model that loads is also run (session + score,
 *     alternately with the reference kernels and this CPU's best ones);
 *   - every aligned word of the FlatBuffer part set to 0xFFFFFFF0,
 *     0x7FFFFFFF and 0 in turn (lengths and offsets pointing anywhere);
 *   - targeted damage with a known expected code (identifier, version,
 *     family, size prefix, empty/NULL/short/misaligned/random buffers).
 * After every failed load tinyrank_model_errmsg must say something. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format/fb_reader.h"
#include "format/schema_ids.h"
#include "support/qa_fixture.h"

#define FLIPS_PER_MODEL 2000
#define MAX_TEST_ARENA ((size_t)64 << 20) /* corrupt dims may ask for absurd arenas */

static qa_models g_models;
static int g_models_ok;

typedef struct stats {
    size_t cases, loads_ok, sessions, scored;
} stats;

static stats g_total; /* over the whole suite, printed at the end */
static int g_kernels_pinned; /* TINYRANK_KERNELS was set by the caller */

/* ---- little-endian reads of the raw file, independent of the runtime */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Where the blobs are, decoded by hand from the FlatBuffer rules (root
 * offset, vtable, vector) so that the expected truncation limit does not come
 * from the code under test. */
typedef struct layout {
    size_t fb_end;    /* 4 + size prefix: end of the FlatBuffer part */
    size_t blob_base; /* fb_end rounded up to 64 */
    size_t real_end;  /* end of the last blob's data */
    size_t n_blobs;
    const uint8_t *blobs; /* n_blobs x {u64 offset, u64 size} */
} layout;

static void decode_layout(const uint8_t *buf, size_t size, layout *l)
{
    memset(l, 0, sizeof *l);
    assert_true(size >= 16);
    l->fb_end = 4 + (size_t)le32(buf);
    assert_true(l->fb_end <= size);
    l->blob_base = (l->fb_end + 63) & ~(size_t)63;
    size_t root = 4 + le32(buf + 4);
    size_t vt = root - (size_t)(int32_t)le32(buf + root);
    size_t entry = 4 + 2 * (size_t)F_MODEL_BLOBS;
    assert_true(le16(buf + vt) > entry + 1); /* the converter always writes blobs */
    size_t field = root + le16(buf + vt + entry);
    size_t vec = field + le32(buf + field);
    l->n_blobs = le32(buf + vec);
    l->blobs = buf + vec + 4;
    l->real_end = l->fb_end;
    for (size_t i = 0; i < l->n_blobs; i++) {
        size_t end = l->blob_base + (size_t)le64(l->blobs + 16 * i) + (size_t)le64(l->blobs + 16 * i + 8);
        if (end > l->real_end)
            l->real_end = end;
    }
    /* what may be cut legitimately: under 64 bytes of zero padding */
    assert_true(l->real_end <= size);
    assert_true(size - l->real_end < 64);
    for (size_t i = l->real_end; i < size; i++)
        assert_int_equal(buf[i], 0);
}

/* ---- one load attempt */

/* A loaded (possibly damaged but verified) model must run: session and a
 * score call may fail, with a documented code, but never crash. */
static void exercise(const tinyrank_model *m, stats *st)
{
    tinyrank_model_info info;
    assert_int_equal(tinyrank_model_get_info(m, &info), TINYRANK_OK);
    assert_non_null(info.family);
    assert_non_null(info.name);
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_length = 16;
    p.max_batch = 2;
    size_t bytes = 0;
    int rc = tinyrank_arena_size(m, &p, &bytes);
    assert_true(qa_known_status(rc));
    if (rc != TINYRANK_OK || bytes > MAX_TEST_ARENA)
        return;
    void *arena = malloc(bytes);
    assert_non_null(arena);
    tinyrank_session *s = NULL;
    /* every other session runs the portable reference kernels (what
     * firmware builds use; UBSan sees their integer arithmetic), the rest
     * the best set of this CPU; a TINYRANK_KERNELS set by the caller wins */
    int use_ref = !g_kernels_pinned && st->loads_ok % 2 == 0;
    if (use_ref)
        setenv("TINYRANK_KERNELS", "ref", 1);
    rc = tinyrank_session_create(m, &p, arena, bytes, &s);
    if (use_ref)
        unsetenv("TINYRANK_KERNELS");
    assert_true(qa_known_status(rc));
    if (rc == TINYRANK_OK) {
        st->sessions++;
        /* short texts: scoring dominates the run time of this suite */
        const char *passages[2] = {"water", "a place"};
        float scores[2];
        rc = tinyrank_score(s, "hot", passages, 2, scores);
        assert_true(qa_known_status(rc));
        if (rc == TINYRANK_OK)
            st->scored++;
    }
    free(arena);
}

/* Loads size bytes at data; checks the contract of every outcome and returns
 * the status. */
static int try_load(const uint8_t *data, size_t size, stats *st)
{
    tinyrank_model_storage storage;
    tinyrank_model *m = NULL;
    int rc = tinyrank_model_load(&storage, data, size, &m);
    st->cases++;
    g_total.cases++;
    g_total.loads_ok += rc == TINYRANK_OK;
    assert_true(qa_known_status(rc));
    assert_non_null(m); /* set even on failure, for the message */
    if (rc != TINYRANK_OK) {
        const char *msg = tinyrank_model_errmsg(m);
        if (msg == NULL || msg[0] == 0)
            fail_msg("load failed with %s but tinyrank_model_errmsg is empty",
                     tinyrank_status_string(rc));
        /* a failed handle must be refused, not used */
        size_t bytes;
        assert_int_equal(tinyrank_arena_size(m, NULL, &bytes), TINYRANK_ERR_INVALID_ARGUMENT);
        return rc;
    }
    st->loads_ok++;
    exercise(m, st);
    return rc;
}

/* ---- fixture */

static int setup(void **state)
{
    (void)state;
    g_kernels_pinned = getenv("TINYRANK_KERNELS") != NULL;
    g_models_ok = qa_models_make(&g_models, "") == 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    printf("corrupt model suite: %zu loads of damaged or odd bytes, %zu succeeded, none crashed\n",
           g_total.cases, g_total.loads_ok);
    qa_models_free(&g_models);
    return 0;
}

static uint8_t *load_file(const char *dtype, size_t *size)
{
    assert_true(g_models_ok);
    uint8_t *buf = qa_read_aligned(strcmp(dtype, "f32") == 0 ? g_models.f32_path : g_models.int8_path, size);
    assert_non_null(buf);
    return buf;
}

/* ---- truncation */

static void truncate_at(uint8_t *buf, size_t size, size_t cut, const layout *l, stats *st)
{
    if (cut > size)
        return;
    qa_poison(buf + cut, size - cut);
    int rc = try_load(buf, cut, st);
    qa_unpoison(buf + cut, size - cut);
    if (cut < l->real_end && rc == TINYRANK_OK)
        fail_msg("a model cut at byte %zu (its data ends at %zu) loaded", cut, l->real_end);
    if (cut >= l->real_end && rc != TINYRANK_OK)
        fail_msg("a model cut at byte %zu, in the final padding (data ends at %zu), failed: %s", cut,
                 l->real_end, tinyrank_status_string(rc));
}

static void run_truncation(const char *dtype)
{
    size_t size;
    uint8_t *buf = load_file(dtype, &size);
    layout l;
    decode_layout(buf, size, &l);
    stats st = {0};
    double t0 = qa_now();
    for (size_t cut = 0; cut < size && cut < 4096; cut++)
        truncate_at(buf, size, cut, &l, &st);
    for (size_t cut = 4096; cut < size; cut += 64)
        truncate_at(buf, size, cut, &l, &st);
    /* around the end of the FlatBuffer part and every blob's start and end */
    static const long around[] = {-2, -1, 0, 1, 2};
    for (size_t k = 0; k < 5; k++) {
        truncate_at(buf, size, (size_t)((long)l.fb_end + around[k]), &l, &st);
        truncate_at(buf, size, (size_t)((long)l.blob_base + around[k]), &l, &st);
        truncate_at(buf, size, (size_t)((long)l.real_end + around[k]), &l, &st);
    }
    for (size_t b = 0; b < l.n_blobs; b++) {
        size_t start = l.blob_base + (size_t)le64(l.blobs + 16 * b);
        size_t end = start + (size_t)le64(l.blobs + 16 * b + 8);
        for (size_t k = 0; k < 5; k++) {
            truncate_at(buf, size, (size_t)((long)start + around[k]), &l, &st);
            truncate_at(buf, size, (size_t)((long)end + around[k]), &l, &st);
        }
    }
    for (size_t cut = l.real_end; cut <= size; cut++) /* all legitimate cuts */
        truncate_at(buf, size, cut, &l, &st);
    printf("%s truncation: %zu cases, %zu loaded (cuts in the final %zu padding bytes), %zu blobs, "
           "%.2f s\n",
           dtype, st.cases, st.loads_ok, size - l.real_end, l.n_blobs, qa_now() - t0);
    free(buf);
}

static void test_truncation_f32(void **state)
{
    (void)state;
    run_truncation("f32");
}

static void test_truncation_int8(void **state)
{
    (void)state;
    run_truncation("int8");
}

/* ---- random byte flips in the FlatBuffer part */

static void run_flips(const char *dtype, uint64_t seed)
{
    size_t size;
    uint8_t *buf = load_file(dtype, &size);
    layout l;
    decode_layout(buf, size, &l);
    qa_rng rng;
    qa_rng_seed(&rng, seed);
    stats st = {0};
    double t0 = qa_now();
    for (int c = 0; c < FLIPS_PER_MODEL; c++) {
        size_t pos[4];
        uint8_t old[4];
        int k = 1 + (int)qa_rng_below(&rng, 4);
        for (int i = 0; i < k; i++) {
            pos[i] = qa_rng_below(&rng, l.fb_end);
            old[i] = buf[pos[i]];
            buf[pos[i]] ^= (uint8_t)(1 + qa_rng_below(&rng, 255));
        }
        try_load(buf, size, &st);
        for (int i = k - 1; i >= 0; i--) /* reverse: a position may repeat */
            buf[pos[i]] = old[i];
    }
    printf("%s byte flips: %zu cases, %zu loaded, %zu sessions, %zu scored, %.2f s\n", dtype,
           st.cases, st.loads_ok, st.sessions, st.scored, qa_now() - t0);
    /* the restored file must still be fine */
    stats again = {0};
    assert_int_equal(try_load(buf, size, &again), TINYRANK_OK);
    free(buf);
}

static void test_flips_f32(void **state)
{
    (void)state;
    run_flips("f32", 0x5eed0001u);
}

static void test_flips_int8(void **state)
{
    (void)state;
    run_flips("int8", 0x5eed0002u);
}

/* ---- every aligned word overwritten */

static void run_words(const char *dtype)
{
    static const uint32_t values[] = {0xFFFFFFF0u, 0x7FFFFFFFu, 0x00000000u};
    size_t size;
    uint8_t *buf = load_file(dtype, &size);
    layout l;
    decode_layout(buf, size, &l);
    stats st = {0};
    double t0 = qa_now();
    for (size_t w = 0; w + 4 <= l.fb_end; w += 4) {
        uint32_t old = le32(buf + w);
        for (size_t v = 0; v < 3; v++) {
            if (values[v] == old)
                continue;
            put32(buf + w, values[v]);
            try_load(buf, size, &st);
            put32(buf + w, old);
        }
    }
    printf("%s word overwrites: %zu cases, %zu loaded, %zu sessions, %zu scored, %.2f s\n", dtype,
           st.cases, st.loads_ok, st.sessions, st.scored, qa_now() - t0);
    free(buf);
}

static void test_words_f32(void **state)
{
    (void)state;
    run_words("f32");
}

static void test_words_int8(void **state)
{
    (void)state;
    run_words("int8");
}

/* ---- targeted damage with a known expected code */

static void expect_load(const uint8_t *data, size_t size, int want, const char *what, stats *st)
{
    int rc = try_load(data, size, st);
    if (rc != want)
        fail_msg("%s: got %s, want %s", what, tinyrank_status_string(rc), tinyrank_status_string(want));
}

/* Position of scalar field `id` of the root table (which must be present). */
static size_t root_field(const uint8_t *buf, int id)
{
    tr_fb_table t;
    assert_true(tr_fb_root(buf, le32(buf) + 4, 4, TR_FB_IDENT, &t));
    assert_true(t.vt_len >= 4 + 2 * (id + 1));
    uint16_t off = le16(buf + t.vt + 4 + 2 * id);
    assert_int_not_equal(off, 0);
    return t.pos + off;
}

static void run_targeted(const char *dtype)
{
    size_t size;
    uint8_t *buf = load_file(dtype, &size);
    stats st = {0};
    expect_load(buf, size, TINYRANK_OK, "the pristine model", &st);

    /* file identifier */
    buf[8] ^= 0x20;
    expect_load(buf, size, TINYRANK_ERR_CORRUPT_MODEL, "file identifier \"tRNK\"", &st);
    buf[8] ^= 0x20;

    /* format major version */
    size_t ver = root_field(buf, F_MODEL_VERSION_MAJOR);
    uint8_t v0 = buf[ver], v1 = buf[ver + 1];
    assert_int_equal(le16(buf + ver), TINYRANK_FORMAT_MAJOR);
    buf[ver] = 2;
    buf[ver + 1] = 0;
    expect_load(buf, size, TINYRANK_ERR_VERSION, "format major version 2", &st);
    buf[ver] = 0;
    expect_load(buf, size, TINYRANK_ERR_VERSION, "format major version 0", &st);
    buf[ver] = 0xff;
    buf[ver + 1] = 0xff;
    expect_load(buf, size, TINYRANK_ERR_VERSION, "format major version 65535", &st);
    buf[ver] = v0;
    buf[ver + 1] = v1;

    /* model family */
    size_t fam = root_field(buf, F_MODEL_FAMILY);
    assert_int_equal(buf[fam], TR_FAMILY_BERT);
    buf[fam] = 200;
    expect_load(buf, size, TINYRANK_ERR_UNSUPPORTED, "family 200", &st);
    buf[fam] = TR_FAMILY_T5 + 1;
    expect_load(buf, size, TINYRANK_ERR_UNSUPPORTED, "family 5 (first unknown)", &st);
    buf[fam] = TR_FAMILY_BERT;

    /* size prefix beyond the file */
    uint32_t prefix = le32(buf);
    put32(buf, (uint32_t)size - 3);
    expect_load(buf, size, TINYRANK_ERR_CORRUPT_MODEL, "size prefix 1 byte past the end", &st);
    put32(buf, 0xFFFFFFFFu);
    expect_load(buf, size, TINYRANK_ERR_CORRUPT_MODEL, "size prefix 0xFFFFFFFF", &st);
    put32(buf, prefix);

    /* tiny and missing buffers */
    uint8_t *empty = qa_aligned_copy(NULL, 0);
    int rc = try_load(empty, 0, &st);
    if (rc != TINYRANK_ERR_CORRUPT_MODEL && rc != TINYRANK_ERR_INVALID_ARGUMENT)
        fail_msg("empty buffer: got %s", tinyrank_status_string(rc));
    free(empty);
    uint8_t *short15 = qa_aligned_copy(buf, 15);
    expect_load(short15, 15, TINYRANK_ERR_CORRUPT_MODEL, "15 bytes", &st);
    free(short15);
    expect_load(NULL, size, TINYRANK_ERR_INVALID_ARGUMENT, "NULL data", &st);
    expect_load(NULL, 0, TINYRANK_ERR_INVALID_ARGUMENT, "NULL data, size 0", &st);
    tinyrank_model_storage storage;
    tinyrank_model *m = (tinyrank_model *)&storage;
    assert_int_equal(tinyrank_model_load(NULL, buf, size, &m), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_null(m);
    assert_int_equal(tinyrank_model_load(&storage, buf, size, NULL), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_true(strlen(tinyrank_model_errmsg(NULL)) > 0);

    /* every misalignment */
    uint8_t *big = qa_aligned_copy(NULL, size + 64);
    assert_non_null(big);
    for (size_t k = 1; k < 64; k++) {
        memcpy(big + k, buf, size);
        char what[64];
        snprintf(what, sizeof what, "model at address %% 64 == %zu", k);
        expect_load(big + k, size, TINYRANK_ERR_ALIGNMENT, what, &st);
    }
    free(big);

    /* 1 MB of random bytes; then the same with a valid identifier and size
     * prefix, so that verification goes deeper than the header */
    size_t rsize = (size_t)1 << 20;
    uint8_t *rnd = qa_aligned_copy(NULL, rsize);
    assert_non_null(rnd);
    qa_rng rng;
    qa_rng_seed(&rng, 0xabcdef12u);
    for (size_t i = 0; i < rsize; i++)
        rnd[i] = (uint8_t)(qa_rng_next(&rng) >> 56);
    if (memcmp(rnd + 8, TR_FB_IDENT, 4) == 0)
        rnd[8] ^= 1;
    expect_load(rnd, rsize, TINYRANK_ERR_CORRUPT_MODEL, "1 MB of random bytes", &st);
    memcpy(rnd + 8, TR_FB_IDENT, 4);
    put32(rnd, (uint32_t)rsize - 4);
    for (int round = 0; round < 32; round++) {
        put32(rnd + 4, (uint32_t)qa_rng_below(&rng, 4096) & ~3u); /* a root offset that is in range */
        rc = try_load(rnd, rsize, &st);
        if (rc == TINYRANK_OK)
            fail_msg("random bytes with a TRNK header loaded (round %d)", round);
    }
    free(rnd);
    printf("%s targeted: %zu cases ran, %zu loaded\n", dtype, st.cases, st.loads_ok);
    free(buf);
}

static void test_targeted_f32(void **state)
{
    (void)state;
    run_targeted("f32");
}

static void test_targeted_int8(void **state)
{
    (void)state;
    run_targeted("int8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targeted_f32),   cmocka_unit_test(test_targeted_int8),
        cmocka_unit_test(test_truncation_f32), cmocka_unit_test(test_truncation_int8),
        cmocka_unit_test(test_flips_f32),      cmocka_unit_test(test_flips_int8),
        cmocka_unit_test(test_words_f32),      cmocka_unit_test(test_words_int8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
