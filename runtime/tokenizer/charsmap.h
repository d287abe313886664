/* charsmap.h - sentencepiece's precompiled character map (the normalizer of
 * nmt_nfkc and friends), read in place from the model file.
 *
 * Layout, as sentencepiece serializes it (normalizer.cc,
 * DecodePrecompiledCharsMap): a little-endian uint32 T, then T bytes of a
 * darts-clone double-array trie (uint32 units) whose keys are UTF-8 byte
 * strings, then a blob of NUL-terminated replacement strings; a key's value
 * is the offset of its replacement in that blob.
 *
 * tr_charsmap_init checks everything a lookup can touch, once: every unit
 * that can be a node sends its children inside the array (a child is
 * node ^ offset ^ byte, so the whole 256-unit block must fit), every leaf
 * value lies inside the blob, and the blob ends with a NUL. Lookups then
 * need no checks beyond the array bound of the first step. */
#ifndef TR_TOKENIZER_CHARSMAP_H
#define TR_TOKENIZER_CHARSMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tr_charsmap {
    const uint8_t *units; /* n_units little-endian uint32 (any alignment) */
    uint32_t n_units;
    const char *strings; /* replacement strings, NUL-terminated */
    uint32_t strings_len;
} tr_charsmap;

/* Validates blob[0..len) and fills *cm. len 0 gives an empty map (no
 * normalization). false with a static reason in *why when malformed. */
bool tr_charsmap_init(tr_charsmap *cm, const uint8_t *blob, size_t len, const char **why);

/* The longest key that is a prefix of s[0..len) (sentencepiece's rule:
 * the longest among the first 32 prefix matches, as its fixed result array
 * holds). Returns the key length in bytes (0: no key matches) and sets
 * *replacement to its NUL-terminated replacement (possibly ""). */
size_t tr_charsmap_match(const tr_charsmap *cm, const uint8_t *s, size_t len,
                         const char **replacement);

/* The Rust `tokenizers` rule (spm_precompiled's transform): the replacement
 * of the SHORTEST key that is a prefix of s[0..len) (a NUL byte ends the
 * search); the caller replaces all of s with it. false when none. */
bool tr_charsmap_first(const tr_charsmap *cm, const uint8_t *s, size_t len,
                       const char **replacement);

#endif
