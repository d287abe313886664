/* unigram_load.c - verifies the UnigramTokenizer table of a model and fills
 * tr_unigram (views into the model bytes). Everything encode relies on is
 * checked here, once: scores finite, piece types known, the unknown piece,
 * no "▁" inside a piece (the per-word Viterbi of unigram.c depends on it),
 * the charsmap's trie offsets. */
#include <math.h>
#include <string.h>

#include "format/schema_ids.h"
#include "graph/model.h"
#include "tinyrank.h"
#include "tokenizer/tokenizer.h"

#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        tr_msg(msg, msglen, __VA_ARGS__);                                                          \
        return (code);                                                                             \
    } while (0)
#define CORRUPT(...) FAIL(TINYRANK_ERR_CORRUPT_MODEL, __VA_ARGS__)

/* Does the piece hold "▁" (E2 96 81) anywhere after its first byte? */
static bool inner_space_symbol(const uint8_t *s, size_t len)
{
    for (size_t i = 1; i + 3 <= len; i++)
        if (s[i] == 0xE2 && s[i + 1] == 0x96 && s[i + 2] == 0x81)
            return true;
    return false;
}

int tr_unigram_load(tr_tokenizer *t, const tr_fb_table *ut, char *msg, size_t msglen)
{
    tr_unigram *u = &t->unigram;
    memset(u, 0, sizeof *u);
    tr_fb_vec scores, charsmap, types, scores64;
    uint8_t dummy, remove_ws, semantics, collapse;
    if (!tr_fb_vec_field(ut, F_UNIGRAM_SCORES, 4, 4, &scores) ||
        !tr_fb_vec_field(ut, F_UNIGRAM_CHARSMAP, 1, 1, &charsmap) ||
        !tr_fb_vec_field(ut, F_UNIGRAM_PIECE_TYPES, 1, 1, &types) ||
        !tr_fb_u8(ut, F_UNIGRAM_ADD_DUMMY_PREFIX, 1, &dummy) ||
        !tr_fb_u8(ut, F_UNIGRAM_REMOVE_EXTRA_WS, 1, &remove_ws) ||
        !tr_fb_u8(ut, F_UNIGRAM_SEMANTICS, TR_UNIGRAM_SENTENCEPIECE, &semantics) ||
        !tr_fb_u8(ut, F_UNIGRAM_COLLAPSE_SPACES, 0, &collapse) ||
        !tr_fb_vec_field(ut, F_UNIGRAM_SCORES_F64, 8, 8, &scores64))
        CORRUPT("tokenizer: Unigram settings are malformed");
    uint32_t n = t->vocab.n;
    if (scores.count != n || types.count != n)
        CORRUPT("tokenizer: Unigram has %u scores and %u piece types for %u pieces", scores.count,
                types.count, n);
    if (t->unk_id < 0 || types.data[t->unk_id] != TR_PIECE_UNKNOWN)
        CORRUPT("tokenizer: Unigram needs an unknown piece (unk_id of type UNKNOWN)");
    u->vocab = t->vocab;
    u->scores = scores.data;
    u->types = types.data;
    u->unk_id = t->unk_id;
    u->add_dummy_prefix = dummy != 0;
    u->remove_extra_whitespaces = remove_ws != 0;
    if (semantics > TR_UNIGRAM_HF_TOKENIZERS)
        FAIL(TINYRANK_ERR_UNSUPPORTED, "tokenizer: Unigram semantics %u is not known",
             (unsigned)semantics);
    u->hf = semantics == TR_UNIGRAM_HF_TOKENIZERS;
    u->collapse_spaces = collapse != 0;
    if (scores64.count != 0 && scores64.count != n)
        CORRUPT("tokenizer: Unigram has %u double scores for %u pieces", scores64.count, n);
    u->scores64 = scores64.count ? scores64.data : NULL;
    float min_score = INFINITY;
    double min_score64 = INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t bits = tr_fb_load_u32(scores.data + 4 * (size_t)i);
        float s;
        memcpy(&s, &bits, 4);
        if (!isfinite(s))
            CORRUPT("tokenizer: Unigram score of piece %u is not finite", i);
        uint8_t ty = types.data[i];
        if (ty < TR_PIECE_NORMAL || ty > TR_PIECE_BYTE)
            CORRUPT("tokenizer: Unigram piece %u has unknown type %u", i, (unsigned)ty);
        if (ty == TR_PIECE_USER_DEFINED || ty == TR_PIECE_BYTE)
            FAIL(TINYRANK_ERR_UNSUPPORTED,
                 "tokenizer: Unigram piece %u is %s, which this runtime does not implement", i,
                 ty == TR_PIECE_BYTE ? "a byte-fallback piece" : "user-defined");
        if (ty == TR_PIECE_UNKNOWN && (int32_t)i != t->unk_id)
            CORRUPT("tokenizer: Unigram has a second unknown piece %u", i);
        if (ty != TR_PIECE_NORMAL)
            continue;
        size_t len;
        const uint8_t *p = tr_vocab_token(&t->vocab, i, &len);
        if (inner_space_symbol(p, len))
            FAIL(TINYRANK_ERR_UNSUPPORTED,
                 "tokenizer: Unigram piece %u holds \"\xe2\x96\x81\" after its start (pieces "
                 "across words are not implemented)",
                 i);
        if (s < min_score)
            min_score = s;
        double d = s;
        if (u->scores64) {
            uint64_t b64 = tr_fb_load_u64(u->scores64 + 8 * (size_t)i);
            memcpy(&d, &b64, 8);
            if (!isfinite(d))
                CORRUPT("tokenizer: Unigram double score of piece %u is not finite", i);
        }
        if (d < min_score64)
            min_score64 = d;
    }
    if (!isfinite(min_score))
        CORRUPT("tokenizer: Unigram has no normal piece");
    u->unk_score = min_score - 10.0f;
    u->unk_score64 = min_score64 - 10.0;
    const char *why = "";
    if (!tr_charsmap_init(&u->charsmap, charsmap.data, charsmap.count, &why))
        CORRUPT("tokenizer: %s", why);
    for (uint32_t i = 0; i < t->added.count; i++) {
        int32_t id;
        unsigned flags;
        size_t len;
        tr_tokenizer_added(t, i, &id, &flags);
        if (flags & TR_ADDED_SINGLE_WORD)
            FAIL(TINYRANK_ERR_UNSUPPORTED,
                 "tokenizer: single_word added tokens are not implemented for Unigram");
        const uint8_t *p = tr_vocab_token(&t->vocab, (uint32_t)id, &len);
        u->added_first[p[0] >> 3] |= (uint8_t)(1u << (p[0] & 7));
    }
    return TINYRANK_OK;
}
