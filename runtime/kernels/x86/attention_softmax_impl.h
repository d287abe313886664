/* attention_softmax_impl.h - the row softmax of the blocked attention
 * kernels (f32_kernels_impl.h, attention_bf16_avx512.c), written once over
 * the vector layer of f32_simd.h. The includer defines ATT_R, the rows of a
 * block: scores sit in blocks [keys / VL][ATT_R][VL], so row r of key block
 * jb is at sc + (jb * ATT_R + r) * VL, and ATT_EXP, the vector exp of the
 * probabilities (vf_exp, or a shorter one where they are rounded to bf16
 * anyway). Not a standalone header. */
/* The softmax of the block's rows in two passes over all the rows (the
 * maxima first), so that one row's exp does not wait on its horizontal max
 * with nothing else to do. Row r sees keys below end. */
static inline float att_row_max(const float *sc, size_t r, size_t end)
{
    const float *row = sc + r * VL;
    const size_t step = ATT_R * VL, full = end / VL;
    vf mx = vf_set1(-__builtin_inff());
    for (size_t jb = 0; jb < full; jb++)
        mx = vf_max(mx, vf_load(row + jb * step));
    if (full * VL < end)
        mx = vf_max(mx, vf_select(vmask_n(end - full * VL), mx, vf_load(row + full * step)));
    return vf_hmax(mx);
}

/* Row r becomes exp(s - mx) over its end keys and 0 from there up to jend
 * (the keys the block's later rows see when causal); returns 1 / sum. */
static inline float att_row_exp(float *sc, size_t r, size_t end, size_t jend, float mx)
{
    float *row = sc + r * VL;
    const size_t step = ATT_R * VL, full = end / VL;
    const vf m = vf_set1(mx);
    vf s0 = vf_zero(), s1 = vf_zero();
    size_t jb = 0;
    for (; jb + 2 <= full; jb += 2) {
        const vf e0 = ATT_EXP(vf_sub(vf_load(row + jb * step), m));
        const vf e1 = ATT_EXP(vf_sub(vf_load(row + (jb + 1) * step), m));
        vf_store(row + jb * step, e0);
        vf_store(row + (jb + 1) * step, e1);
        s0 = vf_add(s0, e0);
        s1 = vf_add(s1, e1);
    }
    for (; jb < full; jb++) {
        const vf e = ATT_EXP(vf_sub(vf_load(row + jb * step), m));
        vf_store(row + jb * step, e);
        s0 = vf_add(s0, e);
    }
    if (full * VL < end) { /* lanes past end become 0 */
        const vf e = vf_keep(vmask_n(end - full * VL), ATT_EXP(vf_sub(vf_load(row + jb * step), m)));
        vf_store(row + jb * step, e);
        s1 = vf_add(s1, e);
        jb++;
    }
    for (; jb * VL < jend; jb++)
        vf_store(row + jb * step, vf_zero());
    return 1.0f / vf_hsum(vf_add(s0, s1));
}

