/* fb_reader.c - bounds-checked FlatBuffers access (see fb_reader.h).
 *
 * FlatBuffers in short: a table starts with an int32 soffset to its vtable
 * (vtable = table - soffset); the vtable holds u16 vtable size, u16 table
 * size, then one u16 offset per field (0 = absent) relative to the table.
 * Offset fields hold a u32 that is added to their own position. Vectors and
 * strings start with a u32 element count. */
#include "format/fb_reader.h"

#include <string.h>

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* True when [pos, pos+n) lies inside the buffer. */
static bool in_bounds(uint32_t len, uint64_t pos, uint64_t n)
{
    return pos <= len && n <= (uint64_t)len - pos;
}

static bool table_at(const uint8_t *buf, uint32_t len, uint32_t pos, tr_fb_table *out)
{
    if ((pos & 3u) != 0 || !in_bounds(len, pos, 4))
        return false;
    int32_t soff = tr_fb_load_i32(buf + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || (vt & 1) != 0 || !in_bounds(len, (uint64_t)vt, 4))
        return false;
    uint16_t vt_len = load_u16(buf + vt);
    uint16_t tbl_len = load_u16(buf + vt + 2);
    if (vt_len < 4 || (vt_len & 1) != 0 || !in_bounds(len, (uint64_t)vt, vt_len))
        return false;
    if (tbl_len < 4 || !in_bounds(len, pos, tbl_len))
        return false;
    out->buf = buf;
    out->len = len;
    out->pos = pos;
    out->vt = (uint32_t)vt;
    out->vt_len = vt_len;
    out->tbl_len = tbl_len;
    return true;
}

bool tr_fb_root(const uint8_t *buf, uint32_t len, uint32_t start, const char *ident,
                tr_fb_table *root)
{
    if (buf == NULL || ((uintptr_t)buf & 7u) != 0 || (start & 3u) != 0 || !in_bounds(len, start, 8))
        return false;
    if (ident != NULL && memcmp(buf + start + 4, ident, 4) != 0)
        return false;
    uint64_t pos = (uint64_t)start + tr_fb_load_u32(buf + start);
    if (pos >= len)
        return false;
    return table_at(buf, len, (uint32_t)pos, root);
}

/* Absolute position of field `id` with `size` bytes, 0 when absent; false
 * when the field does not fit inside the table or is misaligned. */
static bool field_pos(const tr_fb_table *t, int id, uint32_t size, uint32_t *pos)
{
    *pos = 0;
    if (id < 0)
        return false;
    uint32_t entry = 4u + 2u * (uint32_t)id;
    if (entry + 2 > t->vt_len)
        return true; /* field newer than the writer: absent */
    uint16_t off = load_u16(t->buf + t->vt + entry);
    if (off == 0)
        return true;
    if (off < 4 || (uint32_t)off + size > t->tbl_len)
        return false;
    uint32_t p = t->pos + off;
    if ((p & (size - 1u)) != 0) /* scalars are naturally aligned */
        return false;
    *pos = p;
    return true;
}

bool tr_fb_u8(const tr_fb_table *t, int id, uint8_t dflt, uint8_t *out)
{
    uint32_t p;
    if (!field_pos(t, id, 1, &p))
        return false;
    *out = p ? t->buf[p] : dflt;
    return true;
}

bool tr_fb_u16(const tr_fb_table *t, int id, uint16_t dflt, uint16_t *out)
{
    uint32_t p;
    if (!field_pos(t, id, 2, &p))
        return false;
    *out = p ? load_u16(t->buf + p) : dflt;
    return true;
}

bool tr_fb_i32(const tr_fb_table *t, int id, int32_t dflt, int32_t *out)
{
    uint32_t p;
    if (!field_pos(t, id, 4, &p))
        return false;
    *out = p ? tr_fb_load_i32(t->buf + p) : dflt;
    return true;
}

bool tr_fb_f32(const tr_fb_table *t, int id, float dflt, float *out)
{
    uint32_t p;
    if (!field_pos(t, id, 4, &p))
        return false;
    if (p == 0) {
        *out = dflt;
    } else {
        uint32_t u = tr_fb_load_u32(t->buf + p);
        memcpy(out, &u, 4);
    }
    return true;
}

/* Target of an offset field, 0 when absent. */
static bool offset_target(const tr_fb_table *t, int id, uint32_t *target)
{
    uint32_t p;
    *target = 0;
    if (!field_pos(t, id, 4, &p))
        return false;
    if (p == 0)
        return true;
    uint64_t tgt = (uint64_t)p + tr_fb_load_u32(t->buf + p);
    if (tgt >= t->len)
        return false;
    *target = (uint32_t)tgt;
    return true;
}

bool tr_fb_table_field(const tr_fb_table *t, int id, tr_fb_table *out, bool *present)
{
    uint32_t tgt;
    *present = false;
    if (!offset_target(t, id, &tgt))
        return false;
    if (tgt == 0)
        return true;
    *present = true;
    return table_at(t->buf, t->len, tgt, out);
}

static bool vec_at(const uint8_t *buf, uint32_t len, uint32_t pos, uint32_t elem_size,
                   uint32_t elem_align, tr_fb_vec *out)
{
    if ((pos & 3u) != 0 || !in_bounds(len, pos, 4))
        return false;
    uint32_t count = tr_fb_load_u32(buf + pos);
    uint32_t data = pos + 4;
    if (elem_align > 1 && (data & (elem_align - 1u)) != 0)
        return false;
    if (!in_bounds(len, data, (uint64_t)count * elem_size))
        return false;
    out->data = buf + data;
    out->count = count;
    return true;
}

bool tr_fb_vec_field(const tr_fb_table *t, int id, uint32_t elem_size, uint32_t elem_align,
                     tr_fb_vec *out)
{
    uint32_t tgt;
    out->data = NULL;
    out->count = 0;
    if (!offset_target(t, id, &tgt))
        return false;
    if (tgt == 0)
        return true;
    return vec_at(t->buf, t->len, tgt, elem_size, elem_align, out);
}

bool tr_fb_string_field(const tr_fb_table *t, int id, const char **s, uint32_t *len)
{
    tr_fb_vec v;
    *s = "";
    *len = 0;
    if (!tr_fb_vec_field(t, id, 1, 1, &v))
        return false;
    if (v.data == NULL)
        return true;
    /* The NUL terminator FlatBuffers writes after the bytes must be there. */
    uint32_t end = (uint32_t)(v.data - t->buf) + v.count;
    if (end >= t->len || t->buf[end] != 0)
        return false;
    *s = (const char *)v.data;
    *len = v.count;
    return true;
}

bool tr_fb_vec_table(const tr_fb_table *owner, const tr_fb_vec *v, uint32_t i, tr_fb_table *out)
{
    if (i >= v->count)
        return false;
    uint32_t p = (uint32_t)(v->data - owner->buf) + 4u * i;
    uint64_t tgt = (uint64_t)p + tr_fb_load_u32(owner->buf + p);
    if (tgt >= owner->len)
        return false;
    return table_at(owner->buf, owner->len, (uint32_t)tgt, out);
}
