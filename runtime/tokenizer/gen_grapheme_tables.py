#!/usr/bin/env python3
"""Writes grapheme_tables.c: the Grapheme_Cluster_Break classes of UAX #29
that the Rust `tokenizers` Precompiled normalizer depends on (it applies the
sentencepiece charsmap per extended grapheme cluster), as sorted ranges.

Derived from Python's unicodedata (Unicode 14.0.0 in Python 3.11) with the
rules of UAX #29 section 3.1; the property lists unicodedata lacks
(Other_Grapheme_Extend, Prepend, the SpacingMark exceptions,
Extended_Pictographic) are written out below from the Unicode 14 data files.
Extended_Pictographic is given as its blocks (it only decides GB11, emoji
ZWJ sequences, which are all 6 bytes or more and so mapped per character
anyway). Run: /usr/bin/python3 gen_grapheme_tables.py > grapheme_tables.c
"""
import sys
import unicodedata

CR, LF, CONTROL, EXTEND, ZWJ, RI, PREPEND, SPACINGMARK, L, V, T, LV, LVT, EXTPICT = range(1, 15)

OTHER_GRAPHEME_EXTEND = [(0x09BE, 0x09BE), (0x09D7, 0x09D7), (0x0B3E, 0x0B3E), (0x0B57, 0x0B57),
                         (0x0BBE, 0x0BBE), (0x0BD7, 0x0BD7), (0x0CC2, 0x0CC2), (0x0CD5, 0x0CD6),
                         (0x0D3E, 0x0D3E), (0x0D57, 0x0D57), (0x0DCF, 0x0DCF), (0x0DDF, 0x0DDF),
                         (0x1B35, 0x1B35), (0x200C, 0x200C), (0x302E, 0x302F), (0xFF9E, 0xFF9F),
                         (0x1133E, 0x1133E), (0x11357, 0x11357), (0x114B0, 0x114B0),
                         (0x114BD, 0x114BD), (0x115AF, 0x115AF), (0x11930, 0x11930),
                         (0x1D165, 0x1D165), (0x1D16E, 0x1D172), (0xE0020, 0xE007F),
                         (0x1F3FB, 0x1F3FF)]  # the last: Emoji_Modifier, Extend since Unicode 11
PREPENDS = [(0x0600, 0x0605), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
            (0x08E2, 0x08E2), (0x0D4E, 0x0D4E), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
            (0x111C2, 0x111C3), (0x1193F, 0x1193F), (0x11941, 0x11941), (0x11A3A, 0x11A3A),
            (0x11A84, 0x11A89), (0x11D46, 0x11D46)]
SPACINGMARK_EXCEPT = [(0x102B, 0x102C), (0x1038, 0x1038), (0x1062, 0x1064), (0x1067, 0x106D),
                      (0x1083, 0x1083), (0x1087, 0x108C), (0x108F, 0x108F), (0x109A, 0x109C),
                      (0x1A61, 0x1A61), (0x1A63, 0x1A64), (0xAA7B, 0xAA7B), (0xAA7D, 0xAA7D),
                      (0x11720, 0x11721)]
DEFAULT_IGNORABLE_UNASSIGNED = [(0x2065, 0x2065), (0xFFF0, 0xFFF8), (0xE0000, 0xE0000),
                                (0xE0002, 0xE001F), (0xE0080, 0xE00FF), (0xE01F0, 0xE0FFF)]
EXTPICT_RANGES = [(0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
                  (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
                  (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
                  (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
                  (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x27BF),
                  (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
                  (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297),
                  (0x3299, 0x3299), (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F),
                  (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A),
                  (0x1F1AD, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F),
                  (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA), (0x1F400, 0x1F53D),
                  (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF),
                  (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F),
                  (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1FAFF),
                  (0x1FC00, 0x1FFFD)]


def in_ranges(cp, ranges):
    return any(a <= cp <= b for a, b in ranges)


def gcb(cp):
    if cp == 0x0D:
        return CR
    if cp == 0x0A:
        return LF
    if cp == 0x200D:
        return ZWJ
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return RI
    if in_ranges(cp, PREPENDS):
        return PREPEND
    cat = unicodedata.category(chr(cp))
    if cat in ("Mn", "Me") or in_ranges(cp, OTHER_GRAPHEME_EXTEND):
        return EXTEND
    if cat in ("Zl", "Zp", "Cc", "Cf") and cp != 0x200C:
        return CONTROL
    if cat == "Cn" and in_ranges(cp, DEFAULT_IGNORABLE_UNASSIGNED):
        return CONTROL
    if (cat == "Mc" and not in_ranges(cp, SPACINGMARK_EXCEPT)) or cp in (0x0E33, 0x0EB3):
        return SPACINGMARK
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return L
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return V
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return T
    if 0xAC00 <= cp <= 0xD7A3:
        return LV if (cp - 0xAC00) % 28 == 0 else LVT
    if in_ranges(cp, EXTPICT_RANGES):
        return EXTPICT
    return 0


def main():
    ranges = []
    start, cur = 0, gcb(0)
    for cp in range(1, 0x110000):
        c = gcb(cp)
        if c != cur:
            if cur:
                ranges.append((start, cp - 1, cur))
            start, cur = cp, c
    if cur:
        ranges.append((start, 0x10FFFF, cur))
    out = sys.stdout
    out.write("/* grapheme_tables.c - GENERATED by gen_grapheme_tables.py from Python %s's\n"
              " * unicodedata (Unicode %s). Do not edit. */\n" % (sys.version.split()[0],
                                                                   unicodedata.unidata_version))
    out.write('#include "tokenizer/grapheme.h"\n\n')
    out.write("const tr_grapheme_range tr_grapheme_ranges[] = {\n")
    for a, b, c in ranges:
        out.write("    {0x%X, 0x%X, %d},\n" % (a, b, c))
    out.write("};\n")
    out.write("const size_t tr_grapheme_ranges_count = %d;\n" % len(ranges))


main()
