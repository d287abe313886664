/* fb_builder.h - a small FlatBuffers writer for the converter (host side).
 *
 * flatc 2.0.8 has no C generator, so the converter describes the buffer as a
 * tree (tables, vectors, strings) and tr_fbb_finish serializes it front to
 * back: each parent is written first with its offset slots patched once the
 * children that follow it are placed. Offsets therefore always point forward,
 * as the format requires. Field ids are those of runtime/format/schema_ids.h.
 */
#ifndef TR_FB_BUILDER_H
#define TR_FB_BUILDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_fbb tr_fbb; /* owns every node */
typedef struct tr_fbn tr_fbn; /* a table, vector or string */

tr_fbb *tr_fbb_new(void);
void tr_fbb_free(tr_fbb *b);

tr_fbn *tr_fbb_table(tr_fbb *b);
void tr_fbt_u8(tr_fbn *table, int id, uint8_t v);
void tr_fbt_u16(tr_fbn *table, int id, uint16_t v);
void tr_fbt_i32(tr_fbn *table, int id, int32_t v);
void tr_fbt_f32(tr_fbn *table, int id, float v);
/* An offset field (table, vector or string). NULL child: field absent. */
void tr_fbt_child(tr_fbn *table, int id, tr_fbn *child);
/* A union: its type byte at field `id`, its table at field id + 1. */
void tr_fbt_union(tr_fbn *table, int id, uint8_t type, tr_fbn *value);

tr_fbn *tr_fbb_string(tr_fbb *b, const char *s, size_t len);
tr_fbn *tr_fbb_cstring(tr_fbb *b, const char *s);
/* A vector of count scalars or structs of elem_size bytes (copied, little-endian
 * host assumed), whose data is aligned to `align`. */
tr_fbn *tr_fbb_vec(tr_fbb *b, const void *data, size_t count, size_t elem_size, size_t align);
/* A vector of tables, filled with tr_fbv_set. */
tr_fbn *tr_fbb_vec_tables(tr_fbb *b, size_t count);
void tr_fbv_set(tr_fbn *vec, size_t i, tr_fbn *child);

/* Serializes a size-prefixed FlatBuffer with `root` as root table and the
 * 4-character file identifier. *out is malloc'd. Returns 0, or -1 when memory
 * ran out or the tree is invalid (a table left unset in a vector, a buffer
 * over 2 GiB). */
int tr_fbb_finish(tr_fbb *b, tr_fbn *root, const char *ident, uint8_t **out, size_t *out_len);

#endif
