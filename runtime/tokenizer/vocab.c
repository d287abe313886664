/* vocab.c - binary search over the model's sorted token ids. */
#include "tokenizer/vocab.h"

#include <string.h>

/* memcmp order of token `id` against prefix+s (sign as memcmp). */
static int cmp_token(const tr_vocab *v, uint32_t id, const char *prefix, size_t plen, const char *s,
                     size_t len)
{
    const uint8_t *t = v->bytes + v->offsets[id];
    size_t tlen = v->offsets[id + 1] - v->offsets[id];
    size_t k = tlen < plen ? tlen : plen;
    int c = k ? memcmp(t, prefix, k) : 0;
    if (c != 0)
        return c;
    if (tlen < plen)
        return -1;
    t += plen;
    tlen -= plen;
    k = tlen < len ? tlen : len;
    c = k ? memcmp(t, s, k) : 0;
    if (c != 0)
        return c;
    return tlen < len ? -1 : (tlen > len ? 1 : 0);
}

int32_t tr_vocab_find2(const tr_vocab *v, const char *prefix, size_t plen, const char *s, size_t len)
{
    if (!v || v->n == 0 || !v->sorted_ids || !v->offsets || !v->bytes)
        return -1;
    /* Upper bound: first index whose token is greater than the key; the
     * entry before it is the last (highest id) among equal strings. */
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t id = v->sorted_ids[mid];
        if (id >= v->n)
            return -1; /* corrupt view: never read out of bounds */
        if (cmp_token(v, id, prefix, plen, s, len) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    uint32_t id = v->sorted_ids[lo - 1];
    return cmp_token(v, id, prefix, plen, s, len) == 0 ? (int32_t)id : -1;
}

int32_t tr_vocab_find(const tr_vocab *v, const char *s, size_t len)
{
    return tr_vocab_find2(v, "", 0, s, len);
}

const uint8_t *tr_vocab_token(const tr_vocab *v, uint32_t id, size_t *len)
{
    if (!v || id >= v->n)
        return NULL;
    *len = v->offsets[id + 1] - v->offsets[id];
    return v->bytes + v->offsets[id];
}
