/* session_template.c - builds the token sequence of one (query, passage)
 * pair for a SEGMENTS template (decoder and T5 rerankers).
 *
 * Each segment is tokenized on its own (fixed ids are copied; text parts -
 * literal text, the query, the document, the instruction - are joined as
 * spans and tokenized as one string), as the reference implementations do:
 * tokenizing the whole prompt at once would give other ids at the segment
 * borders. When the sum exceeds max_length, the segments with
 * truncate_order > 0 lose tokens at their end, lowest order first (equal
 * orders: the later segment first), e.g. the document of mxbai-rerank-v2 or
 * the body of Qwen3-Reranker; the template's fixed part always stays. */
#include <string.h>

#include "graph/session.h"
#include "graph/template.h"

_Static_assert(TINYRANK_MAX_INSTRUCTION_BYTES == TR_TEMPLATE_MAX_INSTRUCTION,
               "the public and internal instruction limits differ");

size_t tr_session_template_bytes(const tinyrank_model *m, size_t max_length)
{
    if (m->input_format != TR_FORMAT_SEGMENTS)
        return 0;
    return m->tpl.segments.count * max_length * sizeof(int32_t);
}

/* The text of a slot for this call. */
static tr_span slot_text(const tinyrank_session *s, uint8_t slot, const char *text, uint32_t len,
                         tr_span query, tr_span doc)
{
    tr_span sp = {text, len};
    switch (slot) {
    case TR_SLOT_QUERY: return query;
    case TR_SLOT_DOCUMENT: return doc;
    case TR_SLOT_INSTRUCTION:
        if (s->instruction_set) {
            sp.ptr = s->instruction;
            sp.len = s->instruction_len;
        } else {
            sp.ptr = s->model->tpl.default_instruction;
            sp.len = s->model->tpl.default_instruction_len;
        }
        return sp;
    default: return sp;
    }
}

int tr_session_pack_template(tinyrank_session *s, tr_span query, tr_span doc, int32_t *out,
                             size_t *n_out, int *bad_slot)
{
    const tinyrank_model *m = s->model;
    const tr_template *t = &m->tpl;
    const size_t cap = (size_t)s->params.max_length;
    size_t len[TR_TEMPLATE_MAX_SEGMENTS];
    int32_t order[TR_TEMPLATE_MAX_SEGMENTS];
    uint16_t share[TR_TEMPLATE_MAX_SEGMENTS];
    size_t total = 0, outside = 0; /* outside: fixed segments not in the body */
    *n_out = 0;
    *bad_slot = TR_SLOT_LITERAL;
    for (uint32_t i = 0; i < t->segments.count; i++) {
        tr_segment sg;
        tr_template_segment(t, i, &sg);
        int32_t *dst = s->seg_ids + (size_t)i * cap;
        order[i] = sg.truncate_order;
        share[i] = sg.max_share;
        if (sg.n_ids > 0) {
            size_t n = sg.n_ids < cap ? sg.n_ids : cap;
            for (size_t k = 0; k < n; k++)
                dst[k] = tr_fb_load_i32(sg.ids + 4 * k);
            len[i] = n;
        } else {
            tr_span spans[TR_TEMPLATE_MAX_PARTS];
            uint8_t slots[TR_TEMPLATE_MAX_PARTS];
            for (uint32_t k = 0; k < sg.parts.count; k++) {
                const char *text;
                uint32_t tl;
                tr_template_part(t, &sg, k, &slots[k], &text, &tl);
                spans[k] = slot_text(s, slots[k], text, tl, query, doc);
            }
            bool truncated;
            int rc = tr_tokenizer_encode(&m->tok, spans, sg.parts.count, s->tok_scratch, dst, cap,
                                         &len[i], &truncated);
            if (rc != TINYRANK_OK) {
                /* name the caller's text at fault when the check can tell */
                for (uint32_t k = 0; k < sg.parts.count && rc == TINYRANK_ERR_INVALID_UTF8; k++) {
                    if (slots[k] != TR_SLOT_LITERAL) {
                        size_t one;
                        bool tr1;
                        if (tr_tokenizer_encode(&m->tok, &spans[k], 1, s->tok_scratch, dst, 1, &one,
                                                &tr1) == TINYRANK_ERR_INVALID_UTF8) {
                            *bad_slot = slots[k];
                            break;
                        }
                    }
                }
                return rc;
            }
        }
        total += len[i];
        outside += sg.truncate_order == 0 && !sg.in_body ? len[i] : 0;
    }
    /* shares first: a capped segment keeps at most its share of the budget
     * (cap minus the fixed segments outside the body) */
    const size_t budget = cap > outside ? cap - outside : 0;
    for (uint32_t i = 0; i < t->segments.count; i++) {
        const size_t limit = budget * share[i] / 1000;
        if (share[i] > 0 && len[i] > limit) {
            total -= len[i] - limit;
            len[i] = limit;
        }
    }
    /* cut the truncatable segments, lowest order first, later segment first */
    size_t excess = total > cap ? total - cap : 0;
    while (excess > 0) {
        int best = -1;
        for (uint32_t i = 0; i < t->segments.count; i++)
            if (order[i] > 0 && len[i] > 0 && (best < 0 || order[i] <= order[best]))
                best = (int)i;
        if (best < 0)
            return TINYRANK_ERR_INPUT_TOO_LARGE; /* only the fixed part is left */
        size_t cut = len[best] < excess ? len[best] : excess;
        len[best] -= cut;
        excess -= cut;
        if (len[best] == 0)
            order[best] = 0;
    }
    size_t at = 0;
    for (uint32_t i = 0; i < t->segments.count; i++) {
        memmove(out + at, s->seg_ids + (size_t)i * cap, len[i] * sizeof(int32_t));
        at += len[i];
    }
    if (at == 0)
        return TINYRANK_ERR_INPUT_TOO_LARGE;
    *n_out = at;
    return TINYRANK_OK;
}

int tinyrank_set_instruction(tinyrank_session *s, const char *instruction, size_t len)
{
    if (s == NULL || s->magic != TR_SESSION_MAGIC)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (s->model->input_format != TR_FORMAT_SEGMENTS || !s->model->tpl.has_instruction) {
        tr_msg(s->errmsg, sizeof s->errmsg, "this model's template takes no instruction");
        return TINYRANK_ERR_UNSUPPORTED;
    }
    if (instruction == NULL) {
        s->instruction_set = false;
        return TINYRANK_OK;
    }
    if (len > TINYRANK_MAX_INSTRUCTION_BYTES) {
        tr_msg(s->errmsg, sizeof s->errmsg, "instruction is %zu bytes; at most %d", len,
               TINYRANK_MAX_INSTRUCTION_BYTES);
        return TINYRANK_ERR_INPUT_TOO_LARGE;
    }
    memcpy(s->instruction, instruction, len);
    s->instruction_len = len;
    s->instruction_set = true;
    return TINYRANK_OK;
}
