/* template.c - verification of a SEGMENTS input template at model load. */
#include "graph/template.h"

#include "graph/model.h"

#define FAIL(code, ...)                                       \
    do {                                                      \
        tr_msg(m->errmsg, sizeof m->errmsg, __VA_ARGS__);     \
        return (code);                                        \
    } while (0)
#define CORRUPT(...) FAIL(TINYRANK_ERR_CORRUPT_MODEL, __VA_ARGS__)

static bool read_segment(const tr_template *t, uint32_t i, tr_segment *out)
{
    tr_fb_table st;
    tr_fb_vec ids;
    if (!tr_fb_vec_table(&t->table, &t->segments, i, &st) ||
        !tr_fb_vec_field(&st, F_SEG_IDS, 4, 4, &ids) ||
        !tr_fb_vec_field(&st, F_SEG_PARTS, 4, 4, &out->parts) ||
        !tr_fb_i32(&st, F_SEG_TRUNCATE_ORDER, 0, &out->truncate_order) ||
        !tr_fb_u16(&st, F_SEG_MAX_SHARE, 0, &out->max_share))
        return false;
    uint8_t in_body;
    if (!tr_fb_u8(&st, F_SEG_IN_BODY, 0, &in_body))
        return false;
    out->in_body = in_body != 0;
    out->ids = ids.count > 0 ? ids.data : NULL;
    out->n_ids = ids.count;
    return true;
}

static bool read_part(const tr_template *t, const tr_segment *seg, uint32_t k, uint8_t *slot,
                      const char **text, uint32_t *len)
{
    tr_fb_table pt; /* any table of the same buffer resolves the vector's offsets */
    return tr_fb_vec_table(&t->table, &seg->parts, k, &pt) && tr_fb_u8(&pt, F_PART_SLOT, 0, slot) &&
           tr_fb_string_field(&pt, F_PART_TEXT, text, len);
}

int tr_template_load(tinyrank_model *m, const tr_fb_table *tpl)
{
    tr_template *t = &m->tpl;
    t->table = *tpl;
    if (!tr_fb_vec_field(tpl, F_TPL_SEGMENTS, 4, 4, &t->segments) ||
        !tr_fb_string_field(tpl, F_TPL_DEFAULT_INSTRUCTION, &t->default_instruction,
                            &t->default_instruction_len))
        CORRUPT("input template: segments are malformed");
    if (t->segments.count == 0 || t->segments.count > TR_TEMPLATE_MAX_SEGMENTS)
        CORRUPT("input template: %u segments (1..%d)", t->segments.count, TR_TEMPLATE_MAX_SEGMENTS);
    if (t->default_instruction_len > TR_TEMPLATE_MAX_INSTRUCTION)
        CORRUPT("input template: default instruction over %d bytes", TR_TEMPLATE_MAX_INSTRUCTION);
    t->fixed_ids = 0;
    t->has_document = false;
    t->has_instruction = false;
    for (uint32_t i = 0; i < t->segments.count; i++) {
        tr_segment sg;
        if (!read_segment(t, i, &sg))
            CORRUPT("input template: segment %u is malformed", i);
        if ((sg.n_ids > 0) == (sg.parts.count > 0))
            CORRUPT("input template: segment %u must have either ids or text parts", i);
        if (sg.truncate_order < 0 || sg.parts.count > TR_TEMPLATE_MAX_PARTS)
            CORRUPT("input template: segment %u has a bad truncate order or too many parts", i);
        if (sg.max_share > 1000 || (sg.max_share > 0 && sg.truncate_order == 0) ||
            (sg.in_body && sg.truncate_order != 0))
            CORRUPT("input template: segment %u: max_share (0..1000) belongs to truncatable "
                    "segments, in_body to fixed ones", i);
        for (uint32_t k = 0; k < sg.n_ids; k++) {
            int32_t id = tr_fb_load_i32(sg.ids + 4u * k);
            if (id < 0 || (uint32_t)id >= m->tok.vocab.n)
                CORRUPT("input template: segment %u has token id %d outside the vocabulary", i,
                        (int)id);
        }
        if (sg.truncate_order == 0)
            t->fixed_ids += sg.n_ids;
        for (uint32_t k = 0; k < sg.parts.count; k++) {
            uint8_t slot;
            const char *text;
            uint32_t len;
            if (!read_part(t, &sg, k, &slot, &text, &len) || slot > TR_SLOT_INSTRUCTION)
                CORRUPT("input template: part %u of segment %u is malformed", k, i);
            t->has_document |= slot == TR_SLOT_DOCUMENT;
            t->has_instruction |= slot == TR_SLOT_INSTRUCTION;
        }
    }
    if (!t->has_document)
        CORRUPT("input template has no place for the document");
    if (t->fixed_ids >= (uint32_t)m->max_length)
        CORRUPT("input template: %u fixed tokens leave no room within max_length %d", t->fixed_ids,
                (int)m->max_length);
    return TINYRANK_OK;
}

void tr_template_segment(const tr_template *t, uint32_t i, tr_segment *out)
{
    if (!read_segment(t, i, out)) {
        out->ids = NULL;
        out->n_ids = 0;
        out->parts.count = 0;
        out->truncate_order = 0;
        out->max_share = 0;
        out->in_body = false;
    }
}

void tr_template_part(const tr_template *t, const tr_segment *seg, uint32_t k, uint8_t *slot,
                      const char **text, uint32_t *len)
{
    if (!read_part(t, seg, k, slot, text, len)) {
        *slot = TR_SLOT_LITERAL;
        *text = "";
        *len = 0;
    }
}
