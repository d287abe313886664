/* semihost.c - semihosting calls (Arm "Semihosting for AArch32 and AArch64",
 * M-profile form: BKPT 0xAB with the operation in r0 and its argument in
 * r1). QEMU answers them when started with -semihosting; on a board without
 * a debugger attached BKPT would fault, which is why this stays in the
 * firmware example and never in the library. */
#include "semihost.h"

enum {
    SYS_WRITE0 = 0x04,        /* print a NUL-terminated string */
    SYS_EXIT = 0x18,          /* stop; r1 = reason */
    SYS_EXIT_EXTENDED = 0x20, /* stop; r1 -> {reason, exit status} */
    ADP_STOPPED_APPLICATION_EXIT = 0x20026
};

static uintptr_t semihost(uintptr_t op, const void *arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

void sh_put_u32(uint32_t v)
{
    char buf[11];
    char *p = buf + sizeof buf;
    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sh_puts(p);
}

void sh_put_hex32(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[11] = "0x";
    for (int i = 0; i < 8; i++)
        buf[2 + i] = digits[(v >> (28 - 4 * i)) & 15];
    buf[10] = '\0';
    sh_puts(buf);
}

void sh_put_f32(float v)
{
    /* printf's %f would pull newlib's dtoa, which allocates: this is for
     * people only (the exact value is printed as hex bits) */
    if (v != v) {
        sh_puts("nan");
        return;
    }
    if (v < 0) {
        sh_puts("-");
        v = -v;
    }
    if (v >= 4.0e9f) {
        sh_puts("inf-or-huge");
        return;
    }
    uint32_t whole = (uint32_t)v;
    uint32_t frac = (uint32_t)((v - (float)whole) * 1e6f + 0.5f);
    if (frac >= 1000000u) {
        whole++;
        frac -= 1000000u;
    }
    sh_put_u32(whole);
    char buf[8] = ".000000";
    for (int i = 6; i >= 1; i--) {
        buf[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    sh_puts(buf);
}

_Noreturn void sh_exit(int status)
{
    const uintptr_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};
    semihost(SYS_EXIT_EXTENDED, block);
    /* a host without the extended call: plain exit (status 0 or 1) */
    semihost(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20023));
    for (;;)
        __asm__ volatile("wfi");
}

/* startup.S's Fault_Handler: any exception ends the run with status 3 */
void fw_fault(uint32_t ipsr);
void fw_fault(uint32_t ipsr)
{
    sh_puts("FAULT: exception ");
    sh_put_u32(ipsr);
    sh_puts("\n");
    sh_exit(3);
}
