/* cpu_x86.c - which x86 kernel sets this CPU *and* OS can run. A CPUID bit
 * alone is not enough: the OS must also save the wider register state on a
 * context switch, which XCR0 (read with xgetbv, allowed once CPUID says
 * OSXSAVE) reports. Compiled without -m flags: it runs on every x86-64. */
#include <cpuid.h>

#include "kernels/x86/x86_kernels.h"

static unsigned long long read_xcr0(void)
{
    unsigned lo, hi;
    /* xgetbv with ecx = 0; spelled as asm so that no -mxsave is needed */
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

unsigned tr_x86_cpu_features(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx)
        return 0;
    const unsigned long long xcr0 = read_xcr0();
    const int os_ymm = (xcr0 & 0x6) == 0x6;   /* SSE + AVX state */
    const int os_zmm = (xcr0 & 0xE6) == 0xE6; /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!os_ymm || __get_cpuid_max(0, 0) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1, f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    const int vnni = (c >> 11) & 1;
    unsigned avx_vnni_bit = 0;
    if (a >= 1) { /* leaf 7 sub-leaf 1 exists */
        unsigned a1, b1, c1, d1;
        __cpuid_count(7, 1, a1, b1, c1, d1);
        avx_vnni_bit = (a1 >> 4) & 1;
    }
    unsigned feat = 0;
    if (avx2 && fma)
        feat |= TR_X86_AVX2_FMA;
    if (avx2 && fma && os_zmm && f && bw && vl && vnni)
        feat |= TR_X86_AVX512_VNNI;
    if (avx2 && avx_vnni_bit)
        feat |= TR_X86_AVX_VNNI;
    return feat;
}
