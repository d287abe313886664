/* semihost.h - Arm semihosting (the debugger or QEMU -semihosting does the
 * I/O for the target): text out and exit with a status. The only output
 * channel of the firmware; the library itself prints nothing. */
#ifndef FW_SEMIHOST_H
#define FW_SEMIHOST_H

#include <stdint.h>

void sh_puts(const char *s);       /* no newline added */
void sh_put_u32(uint32_t v);       /* decimal */
void sh_put_hex32(uint32_t v);     /* 0x%08x */
void sh_put_f32(float v);          /* approximate decimal, for people: %.6f-like */
_Noreturn void sh_exit(int status); /* ends the QEMU process with this status */

#endif
