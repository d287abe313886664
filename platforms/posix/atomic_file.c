/* atomic_file.c - temp file + rename (see atomic_file.h). */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tinyrank.h"

static void set_err(char *err, size_t errlen, const char *what, const char *path, int e)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s %s: %s", what, path ? path : "(null)", strerror(e));
}

static void release(tr_afile *f)
{
    free(f->path);
    free(f->tmp_path);
    f->path = NULL;
    f->tmp_path = NULL;
    f->fp = NULL;
}

/* Records the first failure only: later ones are usually its consequence. */
static int fail(tr_afile *f, const char *op, int e)
{
    if (!f->error) {
        f->error = e ? e : EIO;
        f->failed_op = op;
    }
    return TINYRANK_ERR_IO;
}

int tr_afile_open(tr_afile *f, const char *path, char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    if (!f)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    memset(f, 0, sizeof *f);
    if (!path || !path[0]) {
        if (err && errlen > 0)
            snprintf(err, errlen, "empty output path");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    size_t len = strlen(path);
    f->path = malloc(len + 1);
    f->tmp_path = malloc(len + sizeof ".tmp.XXXXXX");
    if (!f->path || !f->tmp_path) {
        release(f);
        set_err(err, errlen, "cannot create", path, ENOMEM);
        return TINYRANK_ERR_IO;
    }
    memcpy(f->path, path, len + 1);
    memcpy(f->tmp_path, path, len);
    memcpy(f->tmp_path + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");

    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        set_err(err, errlen, "cannot create", path, errno);
        release(f);
        return TINYRANK_ERR_IO;
    }
    /* mkstemp makes the file 0600; the output should get the permissions a
     * plain fopen would give it (0666 minus the umask). umask can only be
     * read by setting it, so set it back at once. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, (mode_t)(0666 & ~mask));

    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        int e = errno;
        close(fd);
        unlink(f->tmp_path);
        set_err(err, errlen, "cannot create", path, e);
        release(f);
        return TINYRANK_ERR_IO;
    }
    return TINYRANK_OK;
}

int tr_afile_write(tr_afile *f, const void *p, size_t n)
{
    if (!f || !f->fp || (!p && n > 0))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (f->error)
        return TINYRANK_ERR_IO;
    if (n == 0)
        return TINYRANK_OK;
    if (fwrite(p, 1, n, f->fp) != n)
        return fail(f, "write", errno);
    f->pos += n;
    if (f->pos > f->size)
        f->size = f->pos;
    return TINYRANK_OK;
}

int tr_afile_pad_to(tr_afile *f, size_t alignment)
{
    static const unsigned char zeros[256];
    if (!f || !f->fp || alignment == 0)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (f->error)
        return TINYRANK_ERR_IO;
    uint64_t rem = f->pos % alignment;
    uint64_t pad = rem ? alignment - rem : 0;
    while (pad > 0) {
        size_t chunk = pad < sizeof zeros ? (size_t)pad : sizeof zeros;
        int st = tr_afile_write(f, zeros, chunk);
        if (st != TINYRANK_OK)
            return st;
        pad -= chunk;
    }
    return TINYRANK_OK;
}

int tr_afile_seek(tr_afile *f, uint64_t offset)
{
    if (!f || !f->fp)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (f->error)
        return TINYRANK_ERR_IO;
    /* A seek past the end would leave a hole of unspecified intent: the
     * format has none, so treat it as a caller bug. */
    if (offset > f->size || offset > (uint64_t)INT64_MAX)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (fseeko(f->fp, (off_t)offset, SEEK_SET) != 0)
        return fail(f, "seek in", errno);
    f->pos = offset;
    return TINYRANK_OK;
}

uint64_t tr_afile_tell(const tr_afile *f)
{
    return f ? f->pos : 0;
}

void tr_afile_errmsg(const tr_afile *f, char *err, size_t errlen)
{
    if (!err || errlen == 0)
        return;
    err[0] = '\0';
    if (f && f->error)
        snprintf(err, errlen, "cannot %s %s: %s", f->failed_op ? f->failed_op : "write",
                 f->path ? f->path : "(output)", strerror(f->error));
}

/* fsync of the directory makes the rename itself durable; some file
 * systems refuse fsync on a directory (EINVAL): nothing more can be done
 * there, so that is not an error. */
static int sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) {
        dir = malloc(2);
        if (!dir)
            return ENOMEM;
        memcpy(dir, ".", 2);
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (!dir)
            return ENOMEM;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int e = 0;
    int fd = open(dir, O_RDONLY);
    if (fd < 0) {
        e = errno;
    } else {
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
            e = errno;
        close(fd);
    }
    free(dir);
    return e;
}

int tr_afile_commit(tr_afile *f, char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    if (!f || !f->fp) {
        if (err && errlen > 0)
            snprintf(err, errlen, "commit of a file that is not open");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    /* Each step is where a full disk or I/O error may first show up with
     * buffered writes: check them all. */
    if (!f->error && fflush(f->fp) != 0)
        fail(f, "write", errno);
    if (!f->error && fsync(fileno(f->fp)) != 0)
        fail(f, "sync", errno);
    int close_failed = fclose(f->fp) != 0;
    int close_errno = errno;
    f->fp = NULL;
    if (!f->error && close_failed)
        fail(f, "close", close_errno);
    if (!f->error && rename(f->tmp_path, f->path) != 0)
        fail(f, "rename the temp file to", errno);
    if (f->error) {
        tr_afile_errmsg(f, err, errlen);
        unlink(f->tmp_path);
        release(f);
        return TINYRANK_ERR_IO;
    }
    int e = sync_parent_dir(f->path);
    if (e) {
        /* The file is complete and in place; only its durability across a
         * power loss is in doubt. Report it: the caller asked for a commit. */
        set_err(err, errlen, "cannot sync the directory of", f->path, e);
        release(f);
        return TINYRANK_ERR_IO;
    }
    release(f);
    return TINYRANK_OK;
}

void tr_afile_abort(tr_afile *f)
{
    if (!f)
        return;
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
    }
    if (f->tmp_path)
        unlink(f->tmp_path);
    release(f);
}
