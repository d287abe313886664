/* file_map.h - map a whole file read-only into memory (POSIX mmap).
 *
 * Why mmap: a .trk model is used in place, so mapping it costs no copy and
 * no heap, and the kernel shares the pages between processes. A mapping
 * starts on a page boundary, which satisfies the model's 64-byte alignment
 * rule for free. Host/platform code: the runtime itself never opens files. */
#ifndef TR_FILE_MAP_H
#define TR_FILE_MAP_H

#include <stddef.h>

typedef struct tr_file_map_t {
    const void *data; /* first byte of the file; page aligned; NULL when unmapped */
    size_t size;      /* bytes of the file */
} tr_file_map_t;

/* Maps `path` read-only. Returns TINYRANK_OK, or TINYRANK_ERR_INVALID_ARGUMENT
 * (NULL arguments) / TINYRANK_ERR_IO (missing file, a directory, an empty
 * file, a read error) with a one-line message naming the path in err.
 * On failure *m is left unmapped (data NULL, size 0). */
int tr_file_map(const char *path, tr_file_map_t *m, char *err, size_t errlen);

/* Unmaps; safe on an unmapped or zeroed map and when called twice. */
void tr_file_unmap(tr_file_map_t *m);

#endif
