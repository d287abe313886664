/* test_atomic_file.c - the atomic writer: a committed file appears whole,
 * an aborted or failed one leaves neither the file nor its temp file. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "platforms/posix/atomic_file.h"
#include "platforms/posix/file_map.h"
#include "tinyrank.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tr_afile_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/out.trk", fx->dir);
    *state = fx;
    return 0;
}

/* Number of entries in the folder other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", fx->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void test_commit_makes_file_with_content(void **state)
{
    fixture *fx = *state;
    tr_afile f;
    char err[256];
    assert_int_equal(tr_afile_open(&f, fx->path, err, sizeof err), TINYRANK_OK);
    /* Before the commit only the temp file exists, named after the output. */
    assert_int_equal(access(fx->path, F_OK), -1);
    assert_int_equal(count_entries(fx->dir), 1);
    assert_non_null(strstr(f.tmp_path, "/out.trk.tmp."));

    assert_int_equal(tr_afile_write(&f, "hello", 5), TINYRANK_OK);
    assert_int_equal(tr_afile_pad_to(&f, 64), TINYRANK_OK);
    assert_int_equal(tr_afile_tell(&f), 64);
    assert_int_equal(tr_afile_pad_to(&f, 64), TINYRANK_OK); /* already aligned: no-op */
    assert_int_equal(tr_afile_tell(&f), 64);
    assert_int_equal(tr_afile_write(&f, "tail", 4), TINYRANK_OK);
    /* Patch the first byte, as a writer patches a header. */
    assert_int_equal(tr_afile_seek(&f, 0), TINYRANK_OK);
    assert_int_equal(tr_afile_write(&f, "J", 1), TINYRANK_OK);
    /* No holes: seeking past the end is refused. */
    assert_int_equal(tr_afile_seek(&f, 1000), TINYRANK_ERR_INVALID_ARGUMENT);
    assert_int_equal(tr_afile_commit(&f, err, sizeof err), TINYRANK_OK);

    assert_int_equal(count_entries(fx->dir), 1); /* the file, no temp left */
    tr_file_map_t m;
    assert_int_equal(tr_file_map(fx->path, &m, err, sizeof err), TINYRANK_OK);
    assert_int_equal(m.size, 68);
    const unsigned char *b = m.data;
    assert_memory_equal(b, "Jello", 5);
    for (size_t i = 5; i < 64; i++)
        assert_int_equal(b[i], 0);
    assert_memory_equal(b + 64, "tail", 4);
    /* mmap gives page alignment, hence the model's 64-byte rule. */
    assert_int_equal((uintptr_t)m.data % 64, 0);
    tr_file_unmap(&m);
    assert_null(m.data);
    tr_file_unmap(&m); /* twice is harmless */
}

static void test_commit_replaces_existing_file(void **state)
{
    fixture *fx = *state;
    FILE *old = fopen(fx->path, "wb");
    assert_non_null(old);
    fputs("old content that is longer", old);
    fclose(old);

    tr_afile f;
    char err[256];
    assert_int_equal(tr_afile_open(&f, fx->path, err, sizeof err), TINYRANK_OK);
    assert_int_equal(tr_afile_write(&f, "new", 3), TINYRANK_OK);
    assert_int_equal(tr_afile_commit(&f, err, sizeof err), TINYRANK_OK);
    struct stat st;
    assert_int_equal(stat(fx->path, &st), 0);
    assert_int_equal(st.st_size, 3);
    assert_int_equal(count_entries(fx->dir), 1);
}

static void test_abort_leaves_nothing(void **state)
{
    fixture *fx = *state;
    tr_afile f;
    char err[256];
    assert_int_equal(tr_afile_open(&f, fx->path, err, sizeof err), TINYRANK_OK);
    assert_int_equal(tr_afile_write(&f, "partial", 7), TINYRANK_OK);
    tr_afile_abort(&f);
    assert_int_equal(count_entries(fx->dir), 0);
    tr_afile_abort(&f); /* twice is harmless */
    /* A closed handle refuses writes instead of crashing. */
    assert_int_equal(tr_afile_write(&f, "x", 1), TINYRANK_ERR_INVALID_ARGUMENT);
}

static void test_missing_directory_is_an_error(void **state)
{
    fixture *fx = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/no/such/dir/out.trk", fx->dir);
    tr_afile f;
    char err[256] = "";
    assert_int_equal(tr_afile_open(&f, path, err, sizeof err), TINYRANK_ERR_IO);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, strerror(ENOENT)));
    tr_afile_abort(&f); /* harmless after a failed open */
    assert_int_equal(count_entries(fx->dir), 0);
}

/* A write failure in the middle (here: the file size limit, which behaves
 * like a full disk) is sticky, fails the commit with its reason, and leaves
 * no output and no temp file. */
static void test_failed_write_fails_commit_and_cleans_up(void **state)
{
    fixture *fx = *state;
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit small = old;
    small.rlim_cur = 4096;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN); /* get EFBIG, not a kill */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

    tr_afile f;
    char err[256] = "";
    int open_st = tr_afile_open(&f, fx->path, err, sizeof err);
    static unsigned char block[1 << 16];
    int st = TINYRANK_OK;
    for (int i = 0; open_st == TINYRANK_OK && i < 4; i++)
        st |= tr_afile_write(&f, block, sizeof block);
    int commit_st = open_st == TINYRANK_OK ? tr_afile_commit(&f, err, sizeof err) : open_st;

    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);

    assert_int_equal(open_st, TINYRANK_OK);
    (void)st; /* stdio may buffer: the failure may show first at the commit */
    assert_int_equal(commit_st, TINYRANK_ERR_IO);
    assert_non_null(strstr(err, "out.trk"));
    assert_non_null(strstr(err, strerror(EFBIG)));
    assert_int_equal(count_entries(fx->dir), 0);
}

static void test_file_map_errors(void **state)
{
    fixture *fx = *state;
    tr_file_map_t m;
    char err[256];
    char path[256];

    snprintf(path, sizeof path, "%s/missing.trk", fx->dir);
    assert_int_equal(tr_file_map(path, &m, err, sizeof err), TINYRANK_ERR_IO);
    assert_non_null(strstr(err, path));
    assert_null(m.data);

    assert_int_equal(tr_file_map(fx->dir, &m, err, sizeof err), TINYRANK_ERR_IO);
    assert_non_null(strstr(err, "directory"));

    snprintf(path, sizeof path, "%s/empty.trk", fx->dir);
    FILE *e = fopen(path, "wb");
    assert_non_null(e);
    fclose(e);
    assert_int_equal(tr_file_map(path, &m, err, sizeof err), TINYRANK_ERR_IO);
    assert_non_null(strstr(err, "empty"));

    assert_int_equal(tr_file_map(NULL, &m, err, sizeof err), TINYRANK_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_makes_file_with_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_replaces_existing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_fails_commit_and_cleans_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_map_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
