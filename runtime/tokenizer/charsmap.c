/* charsmap.c - see charsmap.h. The unit encoding is darts-clone's:
 *   has_leaf = bit 8, value = bits 0..30 (of a leaf unit),
 *   label = bits 0..7 plus bit 31 (so a leaf unit never equals a key byte),
 *   offset = (unit >> 10) << ((unit & (1 << 9)) >> 6). */
#include "tokenizer/charsmap.h"

#include <string.h>

#include "format/fb_reader.h"

/* sentencepiece's normalizer keeps at most this many prefix matches */
#define TR_CHARSMAP_MAX_RESULTS 32

static inline uint32_t unit_at(const tr_charsmap *cm, uint32_t i)
{
    return tr_fb_load_u32(cm->units + 4 * (size_t)i);
}
static inline uint32_t unit_offset(uint32_t u)
{
    return (u >> 10) << ((u & (1u << 9)) >> 6);
}
static inline bool unit_has_leaf(uint32_t u)
{
    return ((u >> 8) & 1u) == 1u;
}
static inline uint32_t unit_label(uint32_t u)
{
    return u & ((1u << 31) | 0xFFu);
}
static inline uint32_t unit_value(uint32_t u)
{
    return u & ((1u << 31) - 1u);
}

bool tr_charsmap_init(tr_charsmap *cm, const uint8_t *blob, size_t len, const char **why)
{
    memset(cm, 0, sizeof *cm);
    if (len == 0)
        return true;
    if (len <= 4) {
        *why = "precompiled charsmap is shorter than its header";
        return false;
    }
    uint32_t trie_bytes = tr_fb_load_u32(blob);
    if (trie_bytes >= len - 4 || trie_bytes % 4 != 0 || trie_bytes < 256 * 4) {
        *why = "precompiled charsmap: bad trie size";
        return false;
    }
    cm->units = blob + 4;
    cm->n_units = trie_bytes / 4;
    cm->strings = (const char *)(blob + 4 + trie_bytes);
    cm->strings_len = (uint32_t)(len - 4 - trie_bytes);
    if (cm->strings[cm->strings_len - 1] != '\0') {
        *why = "precompiled charsmap: replacement strings do not end with NUL";
        return false;
    }
    /* A unit whose label bit 31 is clear can be reached as a node: its
     * children block (and its leaf unit, label 0 of that block) must fit. */
    for (uint32_t i = 0; i < cm->n_units; i++) {
        uint32_t u = unit_at(cm, i);
        if (u & (1u << 31))
            continue;
        uint32_t base = i ^ unit_offset(u);
        if ((base | 0xFFu) >= cm->n_units) {
            *why = "precompiled charsmap: a trie offset points outside the trie";
            return false;
        }
        if (unit_has_leaf(u) && unit_value(unit_at(cm, base)) >= cm->strings_len) {
            *why = "precompiled charsmap: a replacement offset points outside the strings";
            return false;
        }
    }
    return true;
}

size_t tr_charsmap_match(const tr_charsmap *cm, const uint8_t *s, size_t len,
                         const char **replacement)
{
    *replacement = "";
    if (cm->n_units == 0)
        return 0;
    size_t best_len = 0, n_results = 0;
    uint32_t best_value = 0;
    uint32_t u = unit_at(cm, 0);
    if (u & (1u << 31))
        return 0;
    uint32_t node = unit_offset(u); /* 0 ^ offset: checked at init */
    for (size_t i = 0; i < len; i++) {
        uint32_t pos = node ^ s[i]; /* inside node's block: checked at init */
        u = unit_at(cm, pos);
        if (unit_label(u) != s[i])
            break;
        node = pos ^ unit_offset(u);
        if (unit_has_leaf(u)) {
            if (n_results < TR_CHARSMAP_MAX_RESULTS && i + 1 > best_len) {
                best_len = i + 1;
                best_value = unit_value(unit_at(cm, node));
            }
            n_results++;
        }
    }
    if (best_len > 0)
        *replacement = cm->strings + best_value;
    return best_len;
}

bool tr_charsmap_first(const tr_charsmap *cm, const uint8_t *s, size_t len,
                       const char **replacement)
{
    *replacement = "";
    if (cm->n_units == 0)
        return false;
    uint32_t u = unit_at(cm, 0);
    if (u & (1u << 31))
        return false;
    uint32_t node = unit_offset(u);
    for (size_t i = 0; i < len && s[i] != 0; i++) {
        uint32_t pos = node ^ s[i];
        u = unit_at(cm, pos);
        if (unit_label(u) != s[i])
            return false;
        node = pos ^ unit_offset(u);
        if (unit_has_leaf(u)) {
            *replacement = cm->strings + unit_value(unit_at(cm, node));
            return true;
        }
    }
    return false;
}
