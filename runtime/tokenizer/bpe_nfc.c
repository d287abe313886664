/* bpe_nfc.c - see bpe_nfc.h. */
#include "tokenizer/bpe_nfc.h"

#include "tokenizer/unicode.h"

void tr_nfc_start(tr_nfc *n, tr_bpe_text *text, size_t pos, size_t end)
{
    n->text = text;
    n->pos = pos;
    n->end = end;
    n->has_starter = false;
    n->done = pos >= end;
    n->n_marks = 0;
    n->out_head = n->out_n = 0;
}

/* Canonical order of the pending marks (stable: equal classes keep their
 * order), then composition of each mark into the starter unless blocked by
 * an earlier kept mark of the same class (sorted, so never a higher one). */
static void compose_marks(tr_nfc *n)
{
    size_t m = n->n_marks;
    if (m == 0)
        return;
    uint8_t cc[TR_NFC_MAX_MARKS];
    for (size_t i = 0; i < m; i++)
        cc[i] = tr_uc_ccc(n->marks[i]);
    for (size_t i = 1; i < m; i++) {
        uint32_t v = n->marks[i];
        uint8_t c = cc[i];
        size_t j = i;
        while (j > 0 && cc[j - 1] > c) {
            n->marks[j] = n->marks[j - 1];
            cc[j] = cc[j - 1];
            j--;
        }
        n->marks[j] = v;
        cc[j] = c;
    }
    if (!n->has_starter)
        return;
    size_t kept = 0;
    uint8_t last_cc = 0; /* 0: no mark kept yet */
    for (size_t i = 0; i < m; i++) {
        uint32_t x = 0;
        if (last_cc == 0 || last_cc < cc[i])
            x = tr_uc_compose(n->starter, n->marks[i]);
        if (x != 0) {
            n->starter = x;
        } else {
            n->marks[kept++] = n->marks[i];
            last_cc = cc[i];
        }
    }
    n->n_marks = kept;
}

static void emit_segment(tr_nfc *n)
{
    if (n->has_starter)
        n->out[n->out_n++] = n->starter;
    for (size_t i = 0; i < n->n_marks; i++)
        n->out[n->out_n++] = n->marks[i];
    n->has_starter = false;
    n->n_marks = 0;
}

static void feed(tr_nfc *n, uint32_t d)
{
    if (tr_uc_ccc(d) != 0) {
        if (n->n_marks == TR_NFC_MAX_MARKS) { /* the documented bound */
            compose_marks(n);
            emit_segment(n);
        }
        n->marks[n->n_marks++] = d;
        return;
    }
    compose_marks(n);
    if (n->has_starter && n->n_marks == 0) {
        uint32_t x = tr_uc_compose(n->starter, d);
        if (x != 0) {
            n->starter = x;
            return;
        }
    }
    emit_segment(n);
    n->starter = d;
    n->has_starter = true;
}

bool tr_nfc_next(tr_nfc *n, uint32_t *cp)
{
    while (n->out_head == n->out_n) {
        n->out_head = n->out_n = 0;
        if (n->pos < n->end) {
            uint32_t c;
            size_t len = tr_bpe_text_cp(n->text, n->pos, n->end, &c);
            if (len == 0) { /* validated before: unreachable; end safely */
                n->pos = n->end;
                continue;
            }
            n->pos += len;
            uint32_t d[TR_UC_MAX_DECOMP];
            size_t k = tr_uc_decompose(c, d);
            for (size_t i = 0; i < k; i++)
                feed(n, d[i]);
        } else if (!n->done) {
            compose_marks(n);
            emit_segment(n);
            n->done = true;
        } else {
            return false;
        }
    }
    *cp = n->out[n->out_head++];
    return true;
}
