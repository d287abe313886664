/* pair.c - pair assembly and truncation (see pair.h).
 *
 * Why an encoding capped at max_length is enough: write m = max_length -
 * n_special. A text longer than max_length is longer than m, so it can never
 * be kept whole; the rules then only ask whether it is longer than the
 * other text and than m / 2, and any length > max_length answers those
 * questions the same way. So a truncated side is passed on as cap + 1. */
#include "tokenizer/pair.h"

#include "tinyrank.h"

/* transformers' LONGEST_FIRST: remove `r` tokens in total. */
static void longest_first(size_t len_a, size_t len_b, size_t r, size_t *keep_a, size_t *keep_b)
{
    size_t diff = len_a > len_b ? len_a - len_b : len_b - len_a;
    size_t first = diff < r ? diff : r;
    size_t second = r - first;
    size_t rm_a, rm_b;
    if (len_a > len_b) {
        rm_a = first + second / 2;
        rm_b = second - second / 2;
    } else {
        rm_a = second / 2;
        rm_b = first + second - second / 2;
    }
    *keep_a = len_a - rm_a;
    *keep_b = len_b - rm_b;
}

int tr_pair_truncate(size_t len_a, size_t len_b, size_t max_length, size_t n_special, int strategy,
                     size_t *keep_a, size_t *keep_b)
{
    if (!keep_a || !keep_b || max_length < n_special ||
        (strategy != TR_PAIR_ONLY_SECOND && strategy != TR_PAIR_LONGEST_FIRST))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    size_t budget = max_length - n_special;
    *keep_a = len_a;
    *keep_b = len_b;
    if (len_a > budget || len_b > budget - len_a) {
        /* over-long: remove r = total - max_length tokens (no overflow: the
         * lengths are token counts of texts in memory) */
        size_t r = len_a + len_b - budget;
        if (strategy == TR_PAIR_ONLY_SECOND && len_b > r) /* HF: strictly more */
            *keep_b = len_b - r;
        else
            longest_first(len_a, len_b, r, keep_a, keep_b);
    }
    return TINYRANK_OK;
}

int tr_pair_build(const int32_t *a, size_t len_a, bool a_truncated, const int32_t *b, size_t len_b,
                  bool b_truncated, int32_t cls_id, int32_t sep_id, size_t max_length, int strategy,
                  int32_t *ids, int32_t *type_ids, size_t *n_out)
{
    if (!n_out || !ids || !type_ids || (!a && len_a) || (!b && len_b))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    *n_out = 0;
    /* A truncated side must have been encoded with cap >= max_length. */
    if ((a_truncated && len_a < max_length) || (b_truncated && len_b < max_length))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    size_t keep_a, keep_b;
    int rc = tr_pair_truncate(a_truncated ? len_a + 1 : len_a, b_truncated ? len_b + 1 : len_b,
                              max_length, 3, strategy, &keep_a, &keep_b);
    if (rc != TINYRANK_OK)
        return rc;
    if (keep_a > len_a || keep_b > len_b)
        return TINYRANK_ERR_INTERNAL; /* the argument above says it cannot */
    size_t n = 0;
    ids[n] = cls_id;
    type_ids[n++] = 0;
    for (size_t i = 0; i < keep_a; i++) {
        ids[n] = a[i];
        type_ids[n++] = 0;
    }
    ids[n] = sep_id;
    type_ids[n++] = 0;
    for (size_t i = 0; i < keep_b; i++) {
        ids[n] = b[i];
        type_ids[n++] = 1;
    }
    ids[n] = sep_id;
    type_ids[n++] = 1;
    *n_out = n;
    return TINYRANK_OK;
}
