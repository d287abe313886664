/* cli_args.c - error line and option parsing shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int tr_cli_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One line, whatever the library or the OS put in the message. */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    fflush(stdout); /* keep any normal output before the error when both go to a tty */
    fprintf(stderr, "tinyrank: %s\n", msg);
    return 1;
}

void tr_cli_args_init(tr_cli_args *a, int argc, char **argv, const tr_cli_opt *opts)
{
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
    a->only_positional = 0;
    a->opts = opts;
    a->cmd = argc > 0 ? argv[0] : "";
}

int tr_cli_next(tr_cli_args *a, const char **value)
{
    *value = NULL;
    if (a->i >= a->argc)
        return TR_CLI_END;
    const char *arg = a->argv[a->i++];
    /* "-" alone is the conventional name of stdin: a positional. */
    if (a->only_positional || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return TR_CLI_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        a->only_positional = 1;
        return tr_cli_next(a, value);
    }
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (const tr_cli_opt *o = a->opts; o && o->name; o++) {
        if (strlen(o->name) != name_len || strncmp(o->name, arg, name_len) != 0)
            continue;
        if (!o->has_arg) {
            if (eq) {
                tr_cli_error("%s: option %s takes no value", a->cmd, o->name);
                return TR_CLI_BAD;
            }
            return o->id;
        }
        if (eq) {
            *value = eq + 1;
        } else if (a->i < a->argc) {
            *value = a->argv[a->i++];
        } else {
            tr_cli_error("%s: option %s needs a value", a->cmd, o->name);
            return TR_CLI_BAD;
        }
        return o->id;
    }
    tr_cli_error("%s: unknown option '%s' (see 'tinyrank help')", a->cmd, arg);
    return TR_CLI_BAD;
}

int tr_cli_parse_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end != '\0' || errno == ERANGE || v < min || v > max) {
        tr_cli_error("%s expects an integer from %ld to %ld, got '%s'", opt, min, max,
                     s ? s : "");
        return 0;
    }
    *out = v;
    return 1;
}

int tr_cli_session_option(int id, const char *value, tinyrank_session_params *p)
{
    long n;
    switch (id) {
    case TR_CLI_OPT_BATCH:
        if (!tr_cli_parse_long("--batch", value, 1, 1 << 16, &n))
            return -1;
        p->max_batch = (int)n;
        return 1;
    case TR_CLI_OPT_THREADS:
        if (!tr_cli_parse_long("--threads", value, 1, TINYRANK_MAX_THREADS, &n))
            return -1;
        p->num_threads = (int)n;
        return 1;
    case TR_CLI_OPT_MAXLEN:
        if (!tr_cli_parse_long("--max-length", value, 1, 1 << 20, &n))
            return -1;
        p->max_length = (int)n;
        return 1;
    case TR_CLI_OPT_XNNPACK: {
#ifdef TINYRANK_HAVE_XNNPACK
        static tinyrank_delegate xnnpack;
        static const tinyrank_delegate *list[1] = {&xnnpack};
        int st = tinyrank_xnnpack_delegate(&xnnpack);
        if (st != TINYRANK_OK) {
            tr_cli_error("--xnnpack: %s (XNNPACK does not support this CPU)", tinyrank_status_string(st));
            return -1;
        }
        p->delegates = list;
        p->num_delegates = 1;
        return 1;
#else
        tr_cli_error("--xnnpack: this tinyrank was built without XNNPACK (libxnnpack-dev)");
        return -1;
#endif
    }
    default:
        return 0;
    }
}
