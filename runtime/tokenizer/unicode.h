/* unicode.h - the Unicode properties the BERT tokenizer needs, from compact
 * generated tables (unicode_tables.c, made by gen_unicode_tables.py from
 * Python 3.11's unicodedata = Unicode 14.0.0, the version the Hugging Face
 * reference ran on). About 40 KB of read-only tables; no state, no heap.
 *
 * The classes are BERT's (transformers' BasicTokenizer), not plain Unicode
 * general categories:
 *   SPACE  splits words: \t \n \r, space, category Zs, and the other
 *          characters Python's str.split() treats as whitespace that survive
 *          cleaning (U+2028, U+2029);
 *   DROP   removed by _clean_text: NUL, U+FFFD and every category C* except
 *          \t \n \r (so also unassigned code points and noncharacters);
 *   PUNCT  split into its own token: category P* and ASCII symbols
 *          (33-47, 58-64, 91-96, 123-126). */
#ifndef TR_TOKENIZER_UNICODE_H
#define TR_TOKENIZER_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TR_UC_OTHER = 0, TR_UC_SPACE = 1, TR_UC_DROP = 2, TR_UC_PUNCT = 3 };

/* Longest full canonical decomposition (Unicode 14: 4 code points) and
 * longest lowercase mapping (U+0130 -> i + U+0307: 2). */
#define TR_UC_MAX_DECOMP 4
#define TR_UC_MAX_LOWER 2

/* BERT class (TR_UC_*) of a code point; code points > U+10FFFF are DROP. */
int tr_uc_class(uint32_t cp);
/* General category Mn (what accent stripping removes after NFD). */
bool tr_uc_is_mn(uint32_t cp);
/* Canonical combining class (0 = starter). */
uint8_t tr_uc_ccc(uint32_t cp);
/* BERT's _is_chinese_char: the CJK ideograph blocks (not Hangul, kana). */
bool tr_uc_is_cjk(uint32_t cp);
/* Python's str.lower() of the one-character string chr(cp) (full mapping,
 * no context: a lone U+03A3 gives U+03C3). Writes 1..TR_UC_MAX_LOWER code
 * points to out and returns their count. */
size_t tr_uc_lower(uint32_t cp, uint32_t out[TR_UC_MAX_LOWER]);
/* Full canonical decomposition (NFD of one code point, Hangul included,
 * not reordered). Writes 1..TR_UC_MAX_DECOMP code points, returns count. */
size_t tr_uc_decompose(uint32_t cp, uint32_t out[TR_UC_MAX_DECOMP]);
/* Primary composite of (a, b) for NFC, Hangul included; 0 when none. */
uint32_t tr_uc_compose(uint32_t a, uint32_t b);

/* ---- generated tables (unicode_tables.c); use the functions above. */
extern const uint8_t tr_uc_prop_stage1[];
extern const uint16_t tr_uc_prop_stage2[];
extern const uint8_t tr_uc_prop_stage3[];
extern const uint8_t tr_uc_ccc_stage1[];
extern const uint8_t tr_uc_ccc_stage2[];
extern const uint8_t tr_uc_ccc_stage3[];
extern const uint32_t tr_uc_lower_runs[];
extern const int32_t tr_uc_lower_delta[];
extern const uint64_t tr_uc_decomp[];
extern const uint16_t tr_uc_comp[];
extern const size_t tr_uc_lower_runs_count;
extern const size_t tr_uc_decomp_count;
extern const size_t tr_uc_comp_count;

#endif
