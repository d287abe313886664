/* grapheme.h - extended grapheme clusters (UAX #29), only as far as the
 * Rust `tokenizers` Precompiled normalizer needs them: it applies the
 * sentencepiece charsmap to whole clusters under 6 bytes. Classes come from
 * the generated grapheme_tables.c (gen_grapheme_tables.py, Unicode 14.0.0);
 * Extended_Pictographic is approximated by its blocks (see the script). */
#ifndef TR_TOKENIZER_GRAPHEME_H
#define TR_TOKENIZER_GRAPHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Grapheme_Cluster_Break values (0: Other) */
enum {
    TR_GCB_OTHER = 0,
    TR_GCB_CR,
    TR_GCB_LF,
    TR_GCB_CONTROL,
    TR_GCB_EXTEND,
    TR_GCB_ZWJ,
    TR_GCB_RI,
    TR_GCB_PREPEND,
    TR_GCB_SPACINGMARK,
    TR_GCB_L,
    TR_GCB_V,
    TR_GCB_T,
    TR_GCB_LV,
    TR_GCB_LVT,
    TR_GCB_EXTPICT /* Extended_Pictographic (and Other) */
};

typedef struct tr_grapheme_range {
    uint32_t first, last;
    uint8_t gcb;
} tr_grapheme_range;

int tr_grapheme_class(uint32_t cp);

/* Cluster state: feed code points one by one; tr_grapheme_joins tells
 * whether the next one continues the cluster (rules GB3-GB13). */
typedef struct tr_grapheme_state {
    int prev;       /* class of the previous code point */
    int ri_run;     /* regional indicators in a row before it */
    bool emoji;     /* ExtPict Extend* seen (GB11) */
    bool emoji_zwj; /* ... followed by ZWJ */
} tr_grapheme_state;

void tr_grapheme_start(tr_grapheme_state *s, uint32_t first);
bool tr_grapheme_joins(tr_grapheme_state *s, uint32_t next);

extern const tr_grapheme_range tr_grapheme_ranges[];
extern const size_t tr_grapheme_ranges_count;

#endif
