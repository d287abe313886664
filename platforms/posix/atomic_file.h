/* atomic_file.h - write a file so that it appears whole or not at all.
 *
 * Why: a conversion can fail half way (bad tensor, full disk, Ctrl-C). The
 * bytes go to a temporary file "<path>.tmp.XXXXXX" in the SAME directory
 * (rename is only atomic within one file system), and only a successful
 * commit (flush + fsync + rename + fsync of the directory) makes <path>
 * exist, replacing any old file in one step. A crash before the commit
 * leaves at most a stray temp file, never a partial <path>.
 *
 * Write errors are sticky: after the first failure every later write is a
 * no-op that returns the same status, so a writer may check only the final
 * commit (which then fails, removes the temp file and reports the first
 * error, e.g. "No space left on device"). Host code only (uses stdio). */
#ifndef TR_ATOMIC_FILE_H
#define TR_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tr_afile {
    FILE *fp;        /* the temp file; NULL when closed */
    char *path;      /* final path (malloc'd) */
    char *tmp_path;  /* temp file path (malloc'd) */
    uint64_t pos;    /* current write position */
    uint64_t size;   /* bytes in the file (largest position written) */
    int error;       /* errno of the first failure, 0 when none */
    const char *failed_op; /* what failed ("write", "seek", ...) */
} tr_afile;

/* Creates the temp file next to `path`. TINYRANK_OK, or TINYRANK_ERR_IO with
 * a message naming the path (missing directory, no permission, ...). On
 * failure *f is left closed: tr_afile_abort is harmless on it. */
int tr_afile_open(tr_afile *f, const char *path, char *err, size_t errlen);

/* Appends/overwrites n bytes at the current position. TINYRANK_OK or
 * TINYRANK_ERR_IO (sticky). */
int tr_afile_write(tr_afile *f, const void *p, size_t n);

/* Writes zero bytes until the position is a multiple of `alignment`
 * (a power of two or any value >= 1). */
int tr_afile_pad_to(tr_afile *f, size_t alignment);

/* Moves the position to `offset` (<= size: no holes), e.g. to patch a
 * header once the offsets it holds are known. */
int tr_afile_seek(tr_afile *f, uint64_t offset);

/* Current position. */
uint64_t tr_afile_tell(const tr_afile *f);

/* One-line description of the sticky error ("" when none). */
void tr_afile_errmsg(const tr_afile *f, char *err, size_t errlen);

/* Flushes, fsyncs, renames the temp file to the final path and fsyncs the
 * directory. On any failure (including an earlier sticky write error) the
 * temp file is removed, err says why, and TINYRANK_ERR_IO is returned.
 * Either way the handle is closed afterwards. */
int tr_afile_commit(tr_afile *f, char *err, size_t errlen);

/* Closes and deletes the temp file; the final path is untouched. Safe on a
 * closed handle and when called twice. */
void tr_afile_abort(tr_afile *f);

#endif
