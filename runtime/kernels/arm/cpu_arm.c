/* cpu_arm.c - which optional AArch64 instructions this CPU has.
 * On Linux the kernel says so in the auxiliary vector (HWCAP bits, set only
 * when the kernel also supports them), which works for unprivileged code on
 * every core (the ID registers may trap). Elsewhere (bare metal, other OSes)
 * we trust what the compiler was told the target has (-march/-mcpu), so a
 * build for a specific core still gets its kernels. */
#include "kernels/arm/arm_kernels.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
/* The values of the Linux uapi (arch/arm64/include/uapi/asm/hwcap.h), for
 * C libraries whose headers predate them. */
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1ul << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1ul << 13)
#endif
#endif

unsigned tr_arm_cpu_features(void)
{
    unsigned f = 0;
#if defined(__aarch64__) && defined(__linux__)
    /* getauxval is a lookup in a table the kernel gave the process: cheap
     * enough to call on every dispatch (no cached static to race on). */
    const unsigned long hw = getauxval(AT_HWCAP);
    const unsigned long hw2 = getauxval(AT_HWCAP2);
    if (hw & HWCAP_ASIMDDP)
        f |= TR_ARM_DOTPROD;
    if (hw2 & HWCAP2_I8MM)
        f |= TR_ARM_I8MM;
#else
#if defined(__ARM_FEATURE_DOTPROD)
    f |= TR_ARM_DOTPROD;
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
    f |= TR_ARM_I8MM;
#endif
#endif
    return f;
}
