/* fb_reader.h - bounds-checked reading of FlatBuffers data.
 *
 * Every accessor checks offsets, lengths and alignment against the buffer
 * before it reads, and reports failure instead of reading out of bounds, so
 * a corrupt or hostile file can never make the runtime touch memory outside
 * it. There is no generated code: the schema (tinyrank.fbs) is read through
 * field ids listed in schema_ids.h, and tests decode our files with the
 * official flatc to prove both sides agree.
 */
#ifndef TR_FB_READER_H
#define TR_FB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tr_fb_table {
    const uint8_t *buf; /* the whole buffer (size prefix included) */
    uint32_t len;       /* its size */
    uint32_t pos;       /* table start */
    uint32_t vt;        /* vtable start */
    uint16_t vt_len;    /* vtable size in bytes */
    uint16_t tbl_len;   /* table inline size in bytes */
} tr_fb_table;

/* A vector of scalars, structs or offsets, already checked to lie inside the
 * buffer: `count` elements of `elem_size` bytes starting at data. */
typedef struct tr_fb_vec {
    const uint8_t *data;
    uint32_t count;
} tr_fb_vec;

/* The root table of the FlatBuffer that starts at buf + start (start = 4 for
 * a size-prefixed buffer: positions and alignment are then counted from buf,
 * which must be 8-byte aligned, as the writer counts them). Checks the file
 * identifier when ident is non-NULL. */
bool tr_fb_root(const uint8_t *buf, uint32_t len, uint32_t start, const char *ident,
                tr_fb_table *root);

/* Scalar field `id` (0-based field number in the schema), or dflt when the
 * field is absent. Return false when the field lies outside the table. */
bool tr_fb_u8(const tr_fb_table *t, int id, uint8_t dflt, uint8_t *out);
bool tr_fb_u16(const tr_fb_table *t, int id, uint16_t dflt, uint16_t *out);
bool tr_fb_i32(const tr_fb_table *t, int id, int32_t dflt, int32_t *out);
bool tr_fb_f32(const tr_fb_table *t, int id, float dflt, float *out);

/* Sub-table field; *present=false when absent. */
bool tr_fb_table_field(const tr_fb_table *t, int id, tr_fb_table *out, bool *present);

/* Vector field of elements of elem_size bytes (elem_align: required
 * alignment of the data); absent vectors give count 0. */
bool tr_fb_vec_field(const tr_fb_table *t, int id, uint32_t elem_size, uint32_t elem_align,
                     tr_fb_vec *out);

/* String field: bytes (not NUL-terminated in the view; the writer adds a NUL
 * that is checked too) and length; absent strings give "" and 0. */
bool tr_fb_string_field(const tr_fb_table *t, int id, const char **s, uint32_t *len);

/* Element i of a vector of tables (built by tr_fb_vec_field with elem 4). */
bool tr_fb_vec_table(const tr_fb_table *owner, const tr_fb_vec *v, uint32_t i, tr_fb_table *out);

/* Little-endian element loads from checked vectors. */
static inline uint32_t tr_fb_load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t tr_fb_load_u64(const uint8_t *p)
{
    return (uint64_t)tr_fb_load_u32(p) | ((uint64_t)tr_fb_load_u32(p + 4) << 32);
}
static inline int32_t tr_fb_load_i32(const uint8_t *p)
{
    uint32_t u = tr_fb_load_u32(p);
    int32_t v;
    __builtin_memcpy(&v, &u, 4);
    return v;
}

#endif
