/* grapheme.c - see grapheme.h. */
#include "tokenizer/grapheme.h"

int tr_grapheme_class(uint32_t cp)
{
    size_t lo = 0, hi = tr_grapheme_ranges_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr_grapheme_ranges[mid].last < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < tr_grapheme_ranges_count && tr_grapheme_ranges[lo].first <= cp)
        return tr_grapheme_ranges[lo].gcb;
    return TR_GCB_OTHER;
}

static void track(tr_grapheme_state *s, int c)
{
    s->ri_run = c == TR_GCB_RI ? s->ri_run + 1 : 0;
    if (c == TR_GCB_EXTPICT) {
        s->emoji = true;
        s->emoji_zwj = false;
    } else if (c == TR_GCB_EXTEND && s->emoji && !s->emoji_zwj) {
        /* ExtPict Extend*: still open */
    } else if (c == TR_GCB_ZWJ && s->emoji && !s->emoji_zwj) {
        s->emoji_zwj = true;
    } else {
        s->emoji = s->emoji_zwj = false;
    }
    s->prev = c;
}

void tr_grapheme_start(tr_grapheme_state *s, uint32_t first)
{
    s->prev = TR_GCB_OTHER;
    s->ri_run = 0;
    s->emoji = s->emoji_zwj = false;
    track(s, tr_grapheme_class(first));
}

bool tr_grapheme_joins(tr_grapheme_state *s, uint32_t next)
{
    int p = s->prev, c = tr_grapheme_class(next);
    bool join;
    if (p == TR_GCB_CR && c == TR_GCB_LF)
        join = true; /* GB3 */
    else if (p == TR_GCB_CONTROL || p == TR_GCB_CR || p == TR_GCB_LF)
        join = false; /* GB4 */
    else if (c == TR_GCB_CONTROL || c == TR_GCB_CR || c == TR_GCB_LF)
        join = false; /* GB5 */
    else if (p == TR_GCB_L && (c == TR_GCB_L || c == TR_GCB_V || c == TR_GCB_LV || c == TR_GCB_LVT))
        join = true; /* GB6 */
    else if ((p == TR_GCB_LV || p == TR_GCB_V) && (c == TR_GCB_V || c == TR_GCB_T))
        join = true; /* GB7 */
    else if ((p == TR_GCB_LVT || p == TR_GCB_T) && c == TR_GCB_T)
        join = true; /* GB8 */
    else if (c == TR_GCB_EXTEND || c == TR_GCB_ZWJ || c == TR_GCB_SPACINGMARK)
        join = true; /* GB9, GB9a */
    else if (p == TR_GCB_PREPEND)
        join = true; /* GB9b */
    else if (p == TR_GCB_ZWJ && c == TR_GCB_EXTPICT && s->emoji_zwj)
        join = true; /* GB11 */
    else if (p == TR_GCB_RI && c == TR_GCB_RI && s->ri_run % 2 == 1)
        join = true; /* GB12, GB13 */
    else
        join = false; /* GB999 */
    if (join)
        track(s, c);
    return join;
}
