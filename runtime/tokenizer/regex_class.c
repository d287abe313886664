/* regex_class.c - lookup in the table of regex_tables.c. */
#include "tokenizer/regex_class.h"

/* Must match PROP_LEAF_BITS / PROP_MID_BITS of gen_unicode_tables.py (the
 * generator of regex_tables.c reuses them). */
#define LEAF_BITS 4
#define MID_BITS 5

int tr_regex_class(uint32_t cp)
{
    if (cp < 0x80) { /* ASCII fast path, same answers as the table */
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return TR_RX_LETTER;
        if (cp >= '0' && cp <= '9')
            return TR_RX_NUMBER;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
            return TR_RX_SPACE;
        return TR_RX_OTHER;
    }
    if (cp > 0x10FFFFu)
        return TR_RX_OTHER;
    uint32_t mid = tr_regex_class_stage1[cp >> (LEAF_BITS + MID_BITS)];
    uint32_t leaf = tr_regex_class_stage2[(mid << MID_BITS) | ((cp >> LEAF_BITS) & ((1u << MID_BITS) - 1))];
    return tr_regex_class_stage3[(leaf << LEAF_BITS) | (cp & ((1u << LEAF_BITS) - 1))];
}
