#!/usr/bin/python3
"""Generates unicode_tables.c: the Unicode data the BERT tokenizer needs.

Run with the Python whose unicodedata defines the reference (Python 3.11 =
Unicode 14.0.0, the Python that produced ../shared/tokenizers references):

    /usr/bin/python3 runtime/tokenizer/gen_unicode_tables.py > runtime/tokenizer/unicode_tables.c

Tables (all read-only, meant to live in flash):
  * tr_uc_prop_stage1/2/3: three-level lookup, one byte a code point:
    bits 0-1 the BERT class (OTHER, SPACE, DROP, PUNCT, see unicode.h),
    bit 2 "category Mn" (dropped by accent stripping).
  * tr_uc_ccc_stage1/2/3: three-level canonical combining class.
  * tr_uc_lower_runs: str.lower() as runs of (start, count, stride, delta).
    The one multi-code-point mapping (U+0130) is handled in unicode.c; the
    generator checks that it is the only one.
  * tr_uc_decomp: one-level canonical decompositions, sorted by code point,
    packed cp<<42 | first<<21 | second (second 0 = singleton).
  * tr_uc_comp: indices into tr_uc_decomp of the primary composites, sorted
    by (first, second), for NFC composition.
Hangul syllables are algorithmic (unicode.c) and not in the tables.

The script also asserts the properties unicode.c and wordpiece.c rely on.
"""
import sys
import unicodedata as ud

MAXCP = 0x110000
# Block sizes of the three-level tables; unicode.c has the same constants
# (TR_UC_PROP_LEAF_BITS ...): change both together.
PROP_LEAF_BITS, PROP_MID_BITS = 4, 5
CCC_LEAF_BITS, CCC_MID_BITS = 4, 6

assert ud.unidata_version == "14.0.0", ud.unidata_version


def is_hangul_syllable(cp):
    return 0xAC00 <= cp < 0xAC00 + 11172


def bert_class(cp):
    """0 OTHER, 1 SPACE (splits words), 2 DROP (removed by _clean_text), 3 PUNCT."""
    ch = chr(cp)
    cat = ud.category(ch)
    if ch in "\t\n\r ":
        return 1
    if cp == 0 or cp == 0xFFFD or cat.startswith("C"):
        return 2
    # _is_whitespace (Zs) -> " "; str.split() also splits on other
    # Python-whitespace that survives cleaning (U+2028, U+2029).
    if cat == "Zs" or ch.isspace():
        return 1
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return 3
    if cat.startswith("P"):
        return 3
    return 0


def three_stage(values, name, leaf_bits, mid_bits):
    """Three-level trie: stage1[cp >> (leaf_bits + mid_bits)] picks a mid
    block, whose entry ((cp >> leaf_bits) & mid mask) picks a leaf block of
    bytes. Identical blocks are stored once, which is what makes it small."""
    leaf = 1 << leaf_bits
    mid = 1 << mid_bits
    leaves = {}
    leaf_ids = []
    for start in range(0, MAXCP, leaf):
        blk = tuple(values[start:start + leaf])
        leaf_ids.append(leaves.setdefault(blk, len(leaves)))
    mids = {}
    mid_ids = []
    for start in range(0, len(leaf_ids), mid):
        blk = tuple(leaf_ids[start:start + mid])
        mid_ids.append(mids.setdefault(blk, len(mids)))
    t1 = "uint8_t" if len(mids) <= 256 else "uint16_t"
    t2 = "uint8_t" if len(leaves) <= 256 else "uint16_t"
    leaf_flat = [v for blk in leaves for v in blk]
    mid_flat = [v for blk in mids for v in blk]
    out = []
    out.append("/* %s: %d mid blocks of %d, %d leaf blocks of %d */" % (name, len(mids), mid, len(leaves), leaf))
    out.append("const %s %s_stage1[%d] = {" % (t1, name, len(mid_ids)))
    out.append(fmt(mid_ids))
    out.append("};")
    out.append("const %s %s_stage2[%d] = {" % (t2, name, len(mid_flat)))
    out.append(fmt(mid_flat))
    out.append("};")
    out.append("const uint8_t %s_stage3[%d] = {" % (name, len(leaf_flat)))
    out.append(fmt(leaf_flat))
    out.append("};")
    size = len(mid_ids) * (1 if t1 == "uint8_t" else 2) + len(mid_flat) * (1 if t2 == "uint8_t" else 2) \
        + len(leaf_flat)
    return "\n".join(out), (t1, t2), size


def fmt(vals, per=16, conv=str):
    lines = []
    for i in range(0, len(vals), per):
        lines.append("    " + ", ".join(conv(v) for v in vals[i:i + per]) + ",")
    return "\n".join(lines)


def main():
    props = [0] * MAXCP
    ccc = [0] * MAXCP
    for cp in range(MAXCP):
        ch = chr(cp)
        p = bert_class(cp)
        if ud.category(ch) == "Mn":
            p |= 4
        props[cp] = p
        ccc[cp] = ud.combining(ch)

    # --- lowercase: runs of single code point mappings
    lower = {}
    for cp in range(MAXCP):
        lo = chr(cp).lower()
        if lo != chr(cp):
            if len(lo) != 1:
                assert cp == 0x130 and lo == "i\u0307", hex(cp)
                continue
            lower[cp] = ord(lo)
        # The tokenizer lowercases each character once (transformers'
        # PreTrainedTokenizer.tokenize) and BasicTokenizer lowercases again:
        # that second pass must be a no-op, which needs idempotence.
        assert lo.lower() == lo, hex(cp)
    runs = []
    done = set()
    for start in sorted(lower):
        if start in done:
            continue
        delta = lower[start] - start
        best = (1, 1)
        for stride in (1, 2):
            n = 1
            while n < 1023:
                c = start + n * stride
                if c not in lower or c in done or lower[c] - c != delta:
                    break
                if stride == 2 and (c - 1) in lower:  # keep runs from interleaving
                    break
                n += 1
            if n > best[0]:
                best = (n, stride)
        n, stride = best
        runs.append((start, n, stride, delta))
        done.update(start + k * stride for k in range(n))
    # verify the runs reproduce the mapping exactly
    check = {}
    for start, n, stride, delta in runs:
        for k in range(n):
            c = start + k * stride
            assert c not in check
            check[c] = c + delta
    assert check == lower
    runs.sort()
    # unicode.c binary-searches the last run starting at or before cp: that
    # only works when runs do not interleave.
    for a, b in zip(runs, runs[1:]):
        assert a[0] + (a[1] - 1) * a[2] < b[0], (a, b)

    # --- canonical decompositions (one level) and primary composites
    decomp = []
    for cp in range(MAXCP):
        if is_hangul_syllable(cp):
            continue
        d = ud.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        assert 1 <= len(parts) <= 2
        decomp.append((cp, parts[0], parts[1] if len(parts) == 2 else 0))
        # unicode.c expands nested decompositions through the first code
        # point only.
        if len(parts) == 2:
            d2 = ud.decomposition(chr(parts[1]))
            assert not d2 or d2.startswith("<"), hex(cp)
    comp = []
    for idx, (cp, a, b) in enumerate(decomp):
        if b and ud.normalize("NFC", chr(cp)) == chr(cp):
            comp.append(idx)
            # A composite of lowercase parts must be lowercase, so that
            # lowercasing before NFC (as transformers does) equals lowercasing
            # after it.
            if chr(a).lower() == chr(a) and chr(b).lower() == chr(b):
                assert chr(cp).lower() == chr(cp), hex(cp)
    comp.sort(key=lambda i: (decomp[i][1], decomp[i][2]))
    # Fast paths of unicode.c: nothing below U+00C0 decomposes, no
    # composition has a second code point below U+0300, ASCII lowercases
    # only A-Z.
    assert min(d[0] for d in decomp) >= 0xC0
    assert min(decomp[i][2] for i in comp) >= 0x300
    assert all(chr(c).lower() == (chr(c + 32) if 65 <= c <= 90 else chr(c)) for c in range(128))

    def full(cp):
        if is_hangul_syllable(cp):
            return list(ud.normalize("NFD", chr(cp)))
        d = ud.decomposition(chr(cp))
        if not d or d.startswith("<"):
            return [chr(cp)]
        r = []
        for x in d.split():
            r += full(int(x, 16))
        return r
    maxd = max(len(full(cp)) for cp in range(MAXCP))
    # lowercase output + decomposition must stay within small fixed buffers
    assert maxd <= 4

    out = []
    out.append("/* unicode_tables.c - GENERATED by gen_unicode_tables.py from Python %s"
               % sys.version.split()[0])
    out.append(" * unicodedata (Unicode %s). Do not edit: rerun the script. */" % ud.unidata_version)
    out.append("#include \"tokenizer/unicode.h\"")
    out.append("")
    total = 0
    txt, t1, sz = three_stage(props, "tr_uc_prop", PROP_LEAF_BITS, PROP_MID_BITS)
    out.append(txt)
    total += sz
    txt, t2, sz = three_stage(ccc, "tr_uc_ccc", CCC_LEAF_BITS, CCC_MID_BITS)
    out.append(txt)
    total += sz
    out.append("")
    out.append("/* start | (stride - 1) << 21 | count << 22 ; delta */")
    out.append("const uint32_t tr_uc_lower_runs[%d] = {" % len(runs))
    out.append(fmt([r[0] | ((r[2] - 1) << 21) | (r[1] << 22) for r in runs], 8, lambda v: "0x%08xu" % v))
    out.append("};")
    out.append("const int32_t tr_uc_lower_delta[%d] = {" % len(runs))
    out.append(fmt([r[3] for r in runs], 12))
    out.append("};")
    total += 8 * len(runs)
    out.append("")
    out.append("const uint64_t tr_uc_decomp[%d] = {" % len(decomp))
    out.append(fmt([(cp << 42) | (a << 21) | b for cp, a, b in decomp], 4, lambda v: "0x%016xull" % v))
    out.append("};")
    out.append("const uint16_t tr_uc_comp[%d] = {" % len(comp))
    out.append(fmt(comp, 16))
    out.append("};")
    total += 8 * len(decomp) + 2 * len(comp)
    out.append("")
    out.append("const size_t tr_uc_lower_runs_count = %d;" % len(runs))
    out.append("const size_t tr_uc_decomp_count = %d;" % len(decomp))
    out.append("const size_t tr_uc_comp_count = %d;" % len(comp))
    out.append("/* total table bytes: %d */" % total)
    print("\n".join(out))
    sys.stderr.write("stage1 types %s %s, total table bytes %d, runs %d, decomp %d, comp %d, max decomp %d\n"
                     % (t1, t2, total, len(runs), len(decomp), len(comp), maxd))


if __name__ == "__main__":
    main()
