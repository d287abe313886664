/* file_map.c - read-only mmap of a whole file (see file_map.h). */
#include "file_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinyrank.h"

static void set_err(char *err, size_t errlen, const char *fmt, const char *path, const char *why)
{
    if (err && errlen > 0)
        snprintf(err, errlen, fmt, path, why);
}

int tr_file_map(const char *path, tr_file_map_t *m, char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    if (!m || !path) {
        set_err(err, errlen, "%s%s", "", "tr_file_map: NULL argument");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    m->data = NULL;
    m->size = 0;

    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return TINYRANK_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return TINYRANK_ERR_IO;
    }
    /* open() succeeds on a directory with O_RDONLY, so say what it is
     * rather than letting mmap fail with a cryptic ENODEV. */
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s is a directory%s", path, ", not a file");
        close(fd);
        return TINYRANK_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s is not a regular file%s", path, "");
        close(fd);
        return TINYRANK_ERR_IO;
    }
    if (st.st_size == 0) {
        /* mmap of length 0 is EINVAL; an empty file is never a model. */
        set_err(err, errlen, "%s is empty%s", path, "");
        close(fd);
        return TINYRANK_ERR_IO;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
        set_err(err, errlen, "%s is too large to map%s", path, "");
        close(fd);
        return TINYRANK_ERR_IO;
    }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    /* The mapping keeps its own reference to the file: the fd can go now. */
    close(fd);
    if (p == MAP_FAILED) {
        set_err(err, errlen, "cannot map %s: %s", path, strerror(map_errno));
        return TINYRANK_ERR_IO;
    }
    m->data = p;
    m->size = size;
    return TINYRANK_OK;
}

void tr_file_unmap(tr_file_map_t *m)
{
    if (!m || !m->data)
        return;
    /* munmap wants a non-const pointer; the pages were never written. */
    munmap((void *)(uintptr_t)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}
