/* regex_class.h - the Unicode classes of the pre-tokenizer regexes of
 * byte-level BPE tokenizers (Qwen2): \p{L}, \p{N} and \s, from the generated
 * table regex_tables.c (gen_regex_tables.py, Unicode 14.0.0). 12 KB of
 * read-only data; no state. */
#ifndef TR_TOKENIZER_REGEX_CLASS_H
#define TR_TOKENIZER_REGEX_CLASS_H

#include <stdint.h>

/* Disjoint: a code point is at most one of them. */
enum { TR_RX_OTHER = 0, TR_RX_LETTER = 1, TR_RX_NUMBER = 2, TR_RX_SPACE = 4 };

/* TR_RX_* of a code point (\p{L}: Lu Ll Lt Lm Lo; \p{N}: Nd Nl No; \s: the
 * White_Space property, as Oniguruma and Rust see it). */
int tr_regex_class(uint32_t cp);

extern const uint8_t tr_regex_class_stage1[];
extern const uint16_t tr_regex_class_stage2[];
extern const uint8_t tr_regex_class_stage3[];

#endif
