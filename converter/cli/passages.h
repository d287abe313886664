/* passages.h - reads the passages to rerank: one per line, or JSON Lines
 * with a "text" field (a line starting with '{' is JSON), from a file or
 * stdin. Empty lines are skipped in both forms. */
#ifndef TR_CLI_PASSAGES_H
#define TR_CLI_PASSAGES_H

#include <stddef.h>

typedef struct tr_passages {
    char *buf;          /* the whole input; texts point into it */
    const char **texts; /* NUL-terminated UTF-8 (validity checked by the runtime) */
    size_t *lens;       /* byte length of each text */
    size_t *lines;      /* 1-based input line of each passage, for messages */
    size_t count;
} tr_passages;

/* path NULL or "-" reads stdin. TINYRANK_OK, or TINYRANK_ERR_IO /
 * TINYRANK_ERR_INVALID_ARGUMENT with "LINE N: ..." style message in err. */
int tr_passages_read(const char *path, tr_passages *p, char *err, size_t errlen);
void tr_passages_free(tr_passages *p);

#endif
