/* fb_builder.c - front-to-back FlatBuffers serializer (see fb_builder.h). */
#include "converter/write/fb_builder.h"

#include <stdlib.h>
#include <string.h>

enum { NODE_TABLE, NODE_VEC, NODE_VEC_TABLES, NODE_STRING };

typedef struct field {
    int id;
    uint8_t size;   /* scalar bytes, or 4 for an offset */
    uint8_t bytes[4];
    tr_fbn *child;  /* offset fields */
} field;

struct tr_fbn {
    int kind;
    /* table */
    field *fields;
    size_t nfields, capfields;
    /* vectors and strings */
    uint8_t *data;
    size_t count, elem_size, align;
    tr_fbn **children;
    tr_fbn *next_alloc; /* every node, for freeing */
};

struct tr_fbb {
    tr_fbn *nodes;
    int failed;
    uint8_t *out;
    size_t len, cap;
};

tr_fbb *tr_fbb_new(void)
{
    return calloc(1, sizeof(tr_fbb));
}

void tr_fbb_free(tr_fbb *b)
{
    if (b == NULL)
        return;
    for (tr_fbn *n = b->nodes; n != NULL;) {
        tr_fbn *next = n->next_alloc;
        free(n->fields);
        free(n->data);
        free(n->children);
        free(n);
        n = next;
    }
    free(b->out);
    free(b);
}

static tr_fbn *node_new(tr_fbb *b, int kind)
{
    tr_fbn *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        b->failed = 1;
        return NULL;
    }
    n->kind = kind;
    n->next_alloc = b->nodes;
    b->nodes = n;
    return n;
}

tr_fbn *tr_fbb_table(tr_fbb *b)
{
    return node_new(b, NODE_TABLE);
}

static field *add_field(tr_fbn *t, int id)
{
    if (t == NULL)
        return NULL;
    if (t->nfields == t->capfields) {
        size_t cap = t->capfields ? 2 * t->capfields : 8;
        field *f = realloc(t->fields, cap * sizeof(field));
        if (f == NULL)
            return NULL;
        t->fields = f;
        t->capfields = cap;
    }
    field *f = &t->fields[t->nfields++];
    memset(f, 0, sizeof(*f));
    f->id = id;
    return f;
}

static void add_scalar(tr_fbn *t, int id, const void *v, uint8_t size)
{
    field *f = add_field(t, id);
    if (f == NULL)
        return;
    f->size = size;
    memcpy(f->bytes, v, size);
}

void tr_fbt_u8(tr_fbn *t, int id, uint8_t v) { add_scalar(t, id, &v, 1); }
void tr_fbt_u16(tr_fbn *t, int id, uint16_t v) { add_scalar(t, id, &v, 2); }
void tr_fbt_i32(tr_fbn *t, int id, int32_t v) { add_scalar(t, id, &v, 4); }
void tr_fbt_f32(tr_fbn *t, int id, float v) { add_scalar(t, id, &v, 4); }

void tr_fbt_child(tr_fbn *t, int id, tr_fbn *child)
{
    if (child == NULL)
        return;
    field *f = add_field(t, id);
    if (f == NULL)
        return;
    f->size = 4;
    f->child = child;
}

void tr_fbt_union(tr_fbn *t, int id, uint8_t type, tr_fbn *value)
{
    tr_fbt_u8(t, id, type);
    tr_fbt_child(t, id + 1, value);
}

tr_fbn *tr_fbb_string(tr_fbb *b, const char *s, size_t len)
{
    tr_fbn *n = node_new(b, NODE_STRING);
    if (n == NULL)
        return NULL;
    n->data = malloc(len + 1);
    if (n->data == NULL) {
        b->failed = 1;
        return NULL;
    }
    if (len)
        memcpy(n->data, s, len);
    n->data[len] = 0;
    n->count = len;
    n->elem_size = 1;
    n->align = 1;
    return n;
}

tr_fbn *tr_fbb_cstring(tr_fbb *b, const char *s)
{
    return tr_fbb_string(b, s, strlen(s));
}

tr_fbn *tr_fbb_vec(tr_fbb *b, const void *data, size_t count, size_t elem_size, size_t align)
{
    tr_fbn *n = node_new(b, NODE_VEC);
    if (n == NULL)
        return NULL;
    size_t bytes = count * elem_size;
    n->data = malloc(bytes ? bytes : 1);
    if (n->data == NULL) {
        b->failed = 1;
        return NULL;
    }
    if (bytes)
        memcpy(n->data, data, bytes);
    n->count = count;
    n->elem_size = elem_size;
    n->align = align < 4 ? 4 : align;
    return n;
}

tr_fbn *tr_fbb_vec_tables(tr_fbb *b, size_t count)
{
    tr_fbn *n = node_new(b, NODE_VEC_TABLES);
    if (n == NULL)
        return NULL;
    n->children = calloc(count ? count : 1, sizeof(tr_fbn *));
    if (n->children == NULL) {
        b->failed = 1;
        return NULL;
    }
    n->count = count;
    return n;
}

void tr_fbv_set(tr_fbn *vec, size_t i, tr_fbn *child)
{
    if (vec != NULL && i < vec->count)
        vec->children[i] = child;
}

/* ---- serialization */

static int reserve(tr_fbb *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    if (b->len + extra > 0x7fffffffu)
        return -1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->out, cap);
    if (p == NULL)
        return -1;
    b->out = p;
    b->cap = cap;
    return 0;
}

static int pad_to(tr_fbb *b, size_t align)
{
    size_t pad = (align - b->len % align) % align;
    if (reserve(b, pad) != 0)
        return -1;
    memset(b->out + b->len, 0, pad);
    b->len += pad;
    return 0;
}

static int put(tr_fbb *b, const void *p, size_t n)
{
    if (reserve(b, n) != 0)
        return -1;
    memcpy(b->out + b->len, p, n);
    b->len += n;
    return 0;
}

static void patch_u32(tr_fbb *b, size_t at, uint32_t v)
{
    memcpy(b->out + at, &v, 4);
}

static int write_node(tr_fbb *b, tr_fbn *n, size_t *pos);

/* Writes n and stores the forward offset to it in the slot at `slot`. */
static int write_child(tr_fbb *b, tr_fbn *n, size_t slot)
{
    size_t pos;
    if (n == NULL || write_node(b, n, &pos) != 0)
        return -1;
    patch_u32(b, slot, (uint32_t)(pos - slot));
    return 0;
}

static int cmp_field_size_desc(const void *a, const void *b)
{
    const field *x = a, *y = b;
    if (x->size != y->size)
        return y->size - x->size;
    return x->id - y->id;
}

static int write_table(tr_fbb *b, tr_fbn *t, size_t *pos)
{
    /* Lay fields out largest first so that each is naturally aligned once
     * the table start is 4-aligned (no field here is larger than 4). */
    qsort(t->fields, t->nfields, sizeof(field), cmp_field_size_desc);
    int max_id = -1;
    for (size_t i = 0; i < t->nfields; i++)
        if (t->fields[i].id > max_id)
            max_id = t->fields[i].id;
    size_t offs[256];
    size_t tbl_len = 4;
    if (t->nfields > 256)
        return -1;
    for (size_t i = 0; i < t->nfields; i++) {
        if (t->fields[i].id > 255)
            return -1;
        size_t sz = t->fields[i].size;
        tbl_len = (tbl_len + sz - 1) / sz * sz;
        offs[i] = tbl_len;
        tbl_len += sz;
    }
    tbl_len = (tbl_len + 3) & ~(size_t)3;
    size_t vt_len = 4 + 2 * (size_t)(max_id + 1);

    /* vtable, then the table right after it */
    if (pad_to(b, 2) != 0)
        return -1;
    size_t vt = b->len;
    uint16_t *vtab = calloc(vt_len / 2, sizeof(uint16_t));
    if (vtab == NULL)
        return -1;
    vtab[0] = (uint16_t)vt_len;
    vtab[1] = (uint16_t)tbl_len;
    for (size_t i = 0; i < t->nfields; i++)
        vtab[2 + t->fields[i].id] = (uint16_t)offs[i];
    int rc = put(b, vtab, vt_len);
    free(vtab);
    if (rc != 0 || pad_to(b, 4) != 0)
        return -1;
    size_t tpos = b->len;
    if (reserve(b, tbl_len) != 0)
        return -1;
    memset(b->out + tpos, 0, tbl_len);
    b->len += tbl_len;
    int32_t soff = (int32_t)(tpos - vt);
    memcpy(b->out + tpos, &soff, 4);
    for (size_t i = 0; i < t->nfields; i++)
        if (t->fields[i].child == NULL)
            memcpy(b->out + tpos + offs[i], t->fields[i].bytes, t->fields[i].size);
    *pos = tpos;
    for (size_t i = 0; i < t->nfields; i++)
        if (t->fields[i].child != NULL && write_child(b, t->fields[i].child, tpos + offs[i]) != 0)
            return -1;
    return 0;
}

static int write_node(tr_fbb *b, tr_fbn *n, size_t *pos)
{
    uint32_t count = (uint32_t)n->count;
    switch (n->kind) {
    case NODE_TABLE:
        return write_table(b, n, pos);
    case NODE_STRING:
        if (pad_to(b, 4) != 0)
            return -1;
        *pos = b->len;
        return put(b, &count, 4) || put(b, n->data, n->count + 1) ? -1 : 0;
    case NODE_VEC: {
        /* the elements (after the u32 count) must be aligned to n->align */
        if (pad_to(b, 4) != 0)
            return -1;
        while ((b->len + 4) % n->align != 0)
            if (put(b, "\0\0\0\0", 4) != 0)
                return -1;
        *pos = b->len;
        return put(b, &count, 4) || put(b, n->data, n->count * n->elem_size) ? -1 : 0;
    }
    case NODE_VEC_TABLES: {
        if (pad_to(b, 4) != 0)
            return -1;
        *pos = b->len;
        size_t slots = b->len + 4;
        if (put(b, &count, 4) != 0 || reserve(b, 4 * n->count) != 0)
            return -1;
        memset(b->out + slots, 0, 4 * n->count);
        b->len += 4 * n->count;
        for (size_t i = 0; i < n->count; i++)
            if (write_child(b, n->children[i], slots + 4 * i) != 0)
                return -1;
        return 0;
    }
    }
    return -1;
}

int tr_fbb_finish(tr_fbb *b, tr_fbn *root, const char *ident, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (b->failed || root == NULL)
        return -1;
    b->len = 0;
    /* [u32 size][u32 root offset][4-byte identifier] */
    uint8_t head[12] = {0};
    memcpy(head + 8, ident, 4);
    if (put(b, head, 12) != 0)
        return -1;
    if (write_child(b, root, 4) != 0)
        return -1;
    if (pad_to(b, 8) != 0)
        return -1;
    patch_u32(b, 0, (uint32_t)(b->len - 4));
    *out = b->out;
    *out_len = b->len;
    b->out = NULL;
    b->cap = 0;
    b->len = 0;
    return 0;
}
