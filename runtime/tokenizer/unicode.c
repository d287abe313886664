/* unicode.c - lookups over the generated tables of unicode_tables.c. */
#include "tokenizer/unicode.h"

/* Must match PROP_* / CCC_* in gen_unicode_tables.py. */
#define TR_UC_PROP_LEAF_BITS 4
#define TR_UC_PROP_MID_BITS 5
#define TR_UC_CCC_LEAF_BITS 4
#define TR_UC_CCC_MID_BITS 6

#define TR_UC_MAX_CP 0x10FFFFu

/* Hangul syllables are composed/decomposed by arithmetic (Unicode ch. 3.12),
 * which keeps 11,172 entries out of the tables. */
#define TR_HANGUL_S 0xAC00u
#define TR_HANGUL_L 0x1100u
#define TR_HANGUL_V 0x1161u
#define TR_HANGUL_T 0x11A7u
#define TR_HANGUL_LCOUNT 19u
#define TR_HANGUL_VCOUNT 21u
#define TR_HANGUL_TCOUNT 28u
#define TR_HANGUL_NCOUNT (TR_HANGUL_VCOUNT * TR_HANGUL_TCOUNT)
#define TR_HANGUL_SCOUNT (TR_HANGUL_LCOUNT * TR_HANGUL_NCOUNT)

static uint8_t prop(uint32_t cp)
{
    uint32_t mid = tr_uc_prop_stage1[cp >> (TR_UC_PROP_LEAF_BITS + TR_UC_PROP_MID_BITS)];
    uint32_t leaf = tr_uc_prop_stage2[(mid << TR_UC_PROP_MID_BITS) |
                                      ((cp >> TR_UC_PROP_LEAF_BITS) & ((1u << TR_UC_PROP_MID_BITS) - 1))];
    return tr_uc_prop_stage3[(leaf << TR_UC_PROP_LEAF_BITS) | (cp & ((1u << TR_UC_PROP_LEAF_BITS) - 1))];
}

int tr_uc_class(uint32_t cp)
{
    if (cp > TR_UC_MAX_CP)
        return TR_UC_DROP;
    return prop(cp) & 3;
}

bool tr_uc_is_mn(uint32_t cp)
{
    return cp <= TR_UC_MAX_CP && (prop(cp) & 4) != 0;
}

uint8_t tr_uc_ccc(uint32_t cp)
{
    if (cp > TR_UC_MAX_CP)
        return 0;
    uint32_t mid = tr_uc_ccc_stage1[cp >> (TR_UC_CCC_LEAF_BITS + TR_UC_CCC_MID_BITS)];
    uint32_t leaf = tr_uc_ccc_stage2[(mid << TR_UC_CCC_MID_BITS) |
                                     ((cp >> TR_UC_CCC_LEAF_BITS) & ((1u << TR_UC_CCC_MID_BITS) - 1))];
    return tr_uc_ccc_stage3[(leaf << TR_UC_CCC_LEAF_BITS) | (cp & ((1u << TR_UC_CCC_LEAF_BITS) - 1))];
}

bool tr_uc_is_cjk(uint32_t cp)
{
    /* The ranges of transformers' BasicTokenizer._is_chinese_char. */
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

size_t tr_uc_lower(uint32_t cp, uint32_t out[TR_UC_MAX_LOWER])
{
    /* The only multi-code-point lowercase mapping of Unicode 14 (the
     * generator asserts it). */
    if (cp == 0x130) {
        out[0] = 0x69;
        out[1] = 0x307;
        return 2;
    }
    out[0] = cp;
    if (cp < 0x80) { /* fast path (asserted by the generator) */
        if (cp >= 'A' && cp <= 'Z')
            out[0] = cp + 32;
        return 1;
    }
    if (cp > TR_UC_MAX_CP)
        return 1;
    /* Last run starting at or before cp (runs never interleave). */
    size_t lo = 0, hi = tr_uc_lower_runs_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((tr_uc_lower_runs[mid] & 0x1FFFFFu) <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 1;
    uint32_t run = tr_uc_lower_runs[lo - 1];
    uint32_t start = run & 0x1FFFFFu;
    uint32_t stride = ((run >> 21) & 1u) + 1u;
    uint32_t count = run >> 22;
    uint32_t k = cp - start;
    if (k % stride == 0 && k / stride < count)
        out[0] = (uint32_t)((int32_t)cp + tr_uc_lower_delta[lo - 1]);
    return 1;
}

/* One-level canonical decomposition: index in tr_uc_decomp or -1. */
static long decomp_index(uint32_t cp)
{
    size_t lo = 0, hi = tr_uc_decomp_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t key = (uint32_t)(tr_uc_decomp[mid] >> 42);
        if (key == cp)
            return (long)mid;
        if (key < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

size_t tr_uc_decompose(uint32_t cp, uint32_t out[TR_UC_MAX_DECOMP])
{
    if (cp < 0xC0) { /* fast path: nothing below U+00C0 decomposes */
        out[0] = cp;
        return 1;
    }
    if (cp >= TR_HANGUL_S && cp < TR_HANGUL_S + TR_HANGUL_SCOUNT) {
        uint32_t s = cp - TR_HANGUL_S;
        out[0] = TR_HANGUL_L + s / TR_HANGUL_NCOUNT;
        out[1] = TR_HANGUL_V + (s % TR_HANGUL_NCOUNT) / TR_HANGUL_TCOUNT;
        if (s % TR_HANGUL_TCOUNT == 0)
            return 2;
        out[2] = TR_HANGUL_T + s % TR_HANGUL_TCOUNT;
        return 3;
    }
    /* Decompositions nest only through their first code point (the second
     * is always a mark without its own decomposition in Unicode 14, and the
     * generator's length check bounds the total), so the first is expanded
     * in a loop and the seconds are collected in reverse. */
    uint32_t tail[TR_UC_MAX_DECOMP];
    size_t ntail = 0;
    long idx;
    while ((idx = decomp_index(cp)) >= 0) {
        uint64_t e = tr_uc_decomp[idx];
        uint32_t second = (uint32_t)(e & 0x1FFFFFu);
        cp = (uint32_t)((e >> 21) & 0x1FFFFFu);
        if (second != 0 && ntail < TR_UC_MAX_DECOMP - 1)
            tail[ntail++] = second;
    }
    size_t n = 0;
    out[n++] = cp;
    while (ntail > 0)
        out[n++] = tail[--ntail];
    return n;
}

uint32_t tr_uc_compose(uint32_t a, uint32_t b)
{
    if (b < 0x300) /* fast path: no composition has a second below U+0300 */
        return 0;
    if (a >= TR_HANGUL_L && a < TR_HANGUL_L + TR_HANGUL_LCOUNT && b >= TR_HANGUL_V &&
        b < TR_HANGUL_V + TR_HANGUL_VCOUNT)
        return TR_HANGUL_S + ((a - TR_HANGUL_L) * TR_HANGUL_VCOUNT + (b - TR_HANGUL_V)) * TR_HANGUL_TCOUNT;
    if (a >= TR_HANGUL_S && a < TR_HANGUL_S + TR_HANGUL_SCOUNT && (a - TR_HANGUL_S) % TR_HANGUL_TCOUNT == 0 &&
        b > TR_HANGUL_T && b < TR_HANGUL_T + TR_HANGUL_TCOUNT)
        return a + (b - TR_HANGUL_T);
    size_t lo = 0, hi = tr_uc_comp_count;
    uint64_t want = ((uint64_t)a << 21) | b;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t e = tr_uc_decomp[tr_uc_comp[mid]];
        uint64_t key = e & ((1ull << 42) - 1);
        if (key == want)
            return (uint32_t)(e >> 42);
        if (key < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
