/* tr_test.h - helpers shared by the tests: where ../shared is, temp dirs,
 * running the checkpoint generator and the converter, loading models. */
#ifndef TR_TEST_H
#define TR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platforms/posix/file_map.h"
#include "tinyrank.h"

/* Path of ../shared, or NULL (and a "SKIPPED: ..." line on stdout) when it is
 * absent. */
const char *tr_test_shared(void);
/* A fresh temp directory (removed by tr_test_rmtree). */
char *tr_test_mkdtemp(void);
void tr_test_rmtree(const char *dir);
/* Runs a shell command; returns its exit status (-1 when it could not run). */
int tr_test_system(const char *fmt, ...);
/* Generates a checkpoint with tests/tools/make_checkpoint.py into dir. */
int tr_test_make_checkpoint(const char *dir, const char *args);
/* Converts dir to out with the given dtype ("f32"/"int8"); 0 on success. */
int tr_test_convert(const char *dir, const char *out, const char *dtype);

/* A checkpoint generated with make_checkpoint.py `args` in a fresh temp dir,
 * converted to f32 (path[0]) and int8 (path[1]). */
typedef struct tr_test_models {
    char *tmp;
    char path[2][1300];
} tr_test_models;

int tr_test_models_make(tr_test_models *t, const char *args);
void tr_test_models_free(tr_test_models *t);

/* A model loaded from a file through mmap. */
typedef struct tr_test_model {
    tr_file_map_t map;
    tinyrank_model_storage storage;
    tinyrank_model *model;
} tr_test_model;

int tr_test_model_open(tr_test_model *tm, const char *path);
void tr_test_model_close(tr_test_model *tm);

/* A session with its arena from malloc (tests may allocate). */
typedef struct tr_test_session {
    void *arena;
    size_t arena_bytes;
    tinyrank_session *session;
} tr_test_session;

int tr_test_session_open(tr_test_session *ts, const tinyrank_model *m, int max_length, int max_batch);
void tr_test_session_close(tr_test_session *ts);

/* Parses a JSON file (free with tr_json_free); fails the running cmocka
 * test, naming the file, when it cannot be read or parsed. */
struct tr_json;
struct tr_json *tr_test_load_json(const char *path);

/* Reads a whole file (malloc'd, NUL-terminated). */
char *tr_test_read(const char *path, size_t *len);

/* Spearman rank correlation of two arrays (average ranks for ties). */
double tr_test_spearman(const float *a, const float *b, size_t n);

#endif
