/* cpu_x86.c - which x86 kernel sets this CPU *and* OS can run. A CPUID bit
 * alone is not enough: the OS must also save the wider register state on a
 * context switch, which XCR0 (read with xgetbv, allowed once CPUID says
 * OSXSAVE) reports. Compiled without -m flags: it runs on every x86-64. */
#if defined(__linux__)
#define _DEFAULT_SOURCE 1 /* syscall() under -std=c11 */
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <cpuid.h>

#include "kernels/x86/x86_kernels.h"

/* AMX tile data is 8 KiB of state per thread, so Linux (>= 5.16) leaves it
 * disabled (XFD) until the process asks: without the grant the first tile
 * instruction raises SIGILL even though CPUID and XCR0 say AMX. Asked once
 * per process (the grant is per process, for all its threads); a refusal
 * (older kernel, seccomp, signal stack too small) just means no "amx"
 * set. Elsewhere (no Linux, firmware) there is no known way to ask. */
#if defined(__linux__)
#define TR_ARCH_REQ_XCOMP_PERM 0x1023
#define TR_XFEATURE_XTILEDATA 18
static int amx_permitted(void)
{
    static atomic_int state; /* 0: not asked yet, 1: granted, 2: refused */
    int s = atomic_load_explicit(&state, memory_order_acquire);
    if (s == 0) {
        s = syscall(SYS_arch_prctl, TR_ARCH_REQ_XCOMP_PERM, TR_XFEATURE_XTILEDATA) == 0 ? 1 : 2;
        atomic_store_explicit(&state, s, memory_order_release);
    }
    return s == 1;
}
#else
static int amx_permitted(void)
{
    return 0;
}
#endif

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
    unsigned avx_vnni_bit = 0, bf16_bit = 0;
    if (a >= 1) { /* leaf 7 sub-leaf 1 exists */
        unsigned a1, b1, c1, d1;
        __cpuid_count(7, 1, a1, b1, c1, d1);
        avx_vnni_bit = (a1 >> 4) & 1;
        bf16_bit = (a1 >> 5) & 1; /* AVX512_BF16 */
    }
    unsigned feat = 0;
    if (avx2 && fma)
        feat |= TR_X86_AVX2_FMA;
    if (avx2 && fma && os_zmm && f && bw && vl && vnni)
        feat |= TR_X86_AVX512_VNNI;
    if (avx2 && fma && os_zmm && f && bw && vl && bf16_bit)
        feat |= TR_X86_AVX512_BF16;
    /* AMX: CPUID.(7,0):EDX bit 24 AMX-TILE, bit 25 AMX-INT8; XCR0 bits 17
     * (XTILECFG) and 18 (XTILEDATA); the kernel's epilogue and small-M path
     * are AVX-512 VNNI; the permission is asked last, only when all else
     * holds */
    const int amx_tile = (d >> 24) & 1, amx_int8 = (d >> 25) & 1;
    const int os_amx = ((xcr0 >> 17) & 3) == 3;
    if ((feat & TR_X86_AVX512_VNNI) && amx_tile && amx_int8 && os_amx && amx_permitted())
        feat |= TR_X86_AMX_INT8;
    if (avx2 && avx_vnni_bit)
        feat |= TR_X86_AVX_VNNI;
    return feat;
}
