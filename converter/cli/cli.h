/* cli.h - what the files of the `tinyrank` command-line tool share: the
 * subcommands, error reporting, option parsing and model/session setup.
 * The CLI is host code: unlike the runtime it may allocate and use stdio. */
#ifndef TR_CLI_H
#define TR_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "platforms/posix/file_map.h"
#include "tinyrank.h"

/* Subcommands: argv[0] is the subcommand name; they return the exit status. */
int tr_cli_convert(int argc, char **argv);
int tr_cli_rerank(int argc, char **argv);
int tr_cli_inspect(int argc, char **argv);
int tr_cli_bench(int argc, char **argv);
int tr_cli_eval(int argc, char **argv);
void tr_cli_usage(FILE *stream);

/* Prints the one error line "tinyrank: <reason>" on stderr. Newlines in the
 * reason (e.g. from a library message) become spaces: scripts can rely on
 * exactly one line. Always returns 1, the CLI's failure exit status. */
int tr_cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- option parsing (no getopt_long: it is not POSIX) */
typedef struct tr_cli_opt {
    const char *name; /* "--top-k" or "-q"; several entries may share an id */
    int has_arg;      /* 1: takes a value ("--x V" or "--x=V") */
    int id;           /* > 0 */
} tr_cli_opt;

typedef struct tr_cli_args {
    int argc;
    char **argv;
    int i;                  /* next argument to look at */
    int only_positional;    /* after "--" */
    const tr_cli_opt *opts; /* terminated by an entry with name NULL */
    const char *cmd;        /* subcommand name for messages */
} tr_cli_args;

enum { TR_CLI_END = -1, TR_CLI_BAD = -2, TR_CLI_POSITIONAL = 0 };

/* Starts parsing after argv[0] (the subcommand). */
void tr_cli_args_init(tr_cli_args *a, int argc, char **argv, const tr_cli_opt *opts);
/* Next item: an option id (>0, *value = its argument or NULL), TR_CLI_POSITIONAL
 * (*value = the argument), TR_CLI_END, or TR_CLI_BAD (error already printed:
 * unknown option or missing value). */
int tr_cli_next(tr_cli_args *a, const char **value);

/* Parses a whole decimal integer in [min, max]; on failure prints
 * "tinyrank: <opt> expects ..." and returns 0. */
int tr_cli_parse_long(const char *opt, const char *s, long min, long max, long *out);

/* Option ids shared by the commands that open a session, and their parser:
 * 1 = handled into *p, 0 = not one of them, -1 = bad value (error printed). */
enum { TR_CLI_OPT_BATCH = 1000, TR_CLI_OPT_THREADS, TR_CLI_OPT_MAXLEN, TR_CLI_OPT_XNNPACK };
int tr_cli_session_option(int id, const char *value, tinyrank_session_params *p);

/* ---- model and session */
typedef struct tr_cli_model {
    tr_file_map_t map;
    tinyrank_model_storage storage;
    tinyrank_model *model;
    tinyrank_model_info info;
} tr_cli_model;

/* Maps and verifies the model file; prints the error and returns a
 * TINYRANK_* status on failure (nothing to close then). */
int tr_cli_model_open(tr_cli_model *m, const char *path);
void tr_cli_model_close(tr_cli_model *m);

typedef struct tr_cli_session {
    void *arena; /* malloc'd: the library never allocates, the CLI does it */
    size_t arena_bytes;
    tinyrank_session *session;
    tinyrank_threadpool_storage pool_storage; /* for --threads > 1 */
    tinyrank_threadpool *pool;
} tr_cli_session;

/* Sizes, allocates and creates a session; prints the error on failure. */
int tr_cli_session_open(tr_cli_session *s, const tr_cli_model *m,
                        const tinyrank_session_params *params);
void tr_cli_session_close(tr_cli_session *s);

/* Prints "tinyrank: <what>: TINYRANK_ERR_X: <session message>" and returns 1. */
int tr_cli_session_error(const tr_cli_session *s, const char *what, int status);

/* Writes s[0..len) as a JSON string literal (with quotes) to stream.
 * Invalid UTF-8 bytes become U+FFFD so the output always parses. */
void tr_cli_json_string(FILE *stream, const char *s, size_t len);

#endif
