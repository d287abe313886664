/* utf8.h - strict UTF-8 (RFC 3629): decoding, validation, encoding.
 * Invalid input is an error (TINYRANK_ERR_INVALID_UTF8), never replaced by
 * U+FFFD: silently changing a query would change its scores. Rejected:
 * stray continuation bytes, overlong forms (C0, C1, E0 80..9F, F0 80..8F),
 * UTF-16 surrogates (ED A0..BF), code points above U+10FFFF (F4 90.., F5..FF)
 * and sequences cut short by the end of the text or by a non-continuation
 * byte. */
#ifndef TR_TOKENIZER_UTF8_H
#define TR_TOKENIZER_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[0..len), len >= 1. Returns the number of
 * bytes it takes (1..4) and sets *cp, or 0 when the bytes there are not
 * valid UTF-8. */
size_t tr_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/* TINYRANK_OK when s[0..len) is entirely valid UTF-8; otherwise
 * TINYRANK_ERR_INVALID_UTF8 and, when bad_offset is not NULL, the offset of
 * the first byte of the first invalid sequence. s may be NULL when len is 0. */
int tr_utf8_validate(const char *s, size_t len, size_t *bad_offset);

/* Encodes a code point (<= U+10FFFF, not a surrogate) into out; returns
 * the byte count 1..4, or 0 for a value that has no UTF-8 form. */
size_t tr_utf8_encode(uint32_t cp, uint8_t out[4]);

#endif
