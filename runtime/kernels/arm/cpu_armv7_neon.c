/* cpu_armv7_neon.c - does this 32-bit Arm CPU run NEON? On Linux the kernel
 * says so in the auxiliary vector (HWCAP_NEON, set only when the kernel
 * saves the NEON registers too); elsewhere we trust what the compiler was
 * told the whole program targets (-mfpu=neon for everything). */
#include "kernels/arm/armv7_neon_kernels.h"

#if defined(__linux__)
#include <sys/auxv.h>
/* arch/arm/include/uapi/asm/hwcap.h, for C libraries without it */
#ifndef HWCAP_NEON
#define HWCAP_NEON (1ul << 12)
#endif
#endif

unsigned tr_armv7_has_neon(void)
{
#if defined(__linux__)
    /* a table lookup: cheap enough for every dispatch, no static to race on */
    return (getauxval(AT_HWCAP) & HWCAP_NEON) != 0;
#elif defined(__ARM_NEON)
    return 1;
#else
    return 0;
#endif
}
