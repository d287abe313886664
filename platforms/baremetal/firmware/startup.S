/* startup.S - reset for a Cortex-M55 (or M4/M7) with no OS: the vector
 * table, then Reset_Handler turns on the FPU (and with it Helium/MVE: both
 * use coprocessors 10 and 11), copies .data from its load address, clears
 * .bss and calls main. In assembly because C code before the FPU is on may
 * already use it (GCC 12 vectorizes plain loops with MVE at -O2). */
    .syntax unified
    .thumb

    .section .vectors, "a", %progbits
    .balign 128
    .global fw_vectors
fw_vectors:
    .word __stack_top
    .word Reset_Handler
    .rept 14            /* NMI, HardFault ... SysTick */
    .word Fault_Handler
    .endr
    .rept 64            /* external interrupts: none enabled */
    .word Fault_Handler
    .endr

    .text
    .thumb_func
    .global Reset_Handler
    .type Reset_Handler, %function
Reset_Handler:
    /* CPACR (0xE000ED88): CP10 and CP11 full access */
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    orr r1, r1, #(0xF << 20)
    str r1, [r0]
    dsb
    isb
    /* .data: copy from flash to RAM */
    ldr r0, =__data_load
    ldr r1, =__data_start
    ldr r2, =__data_end
1:  cmp r1, r2
    bhs 2f
    ldr r3, [r0], #4
    str r3, [r1], #4
    b 1b
2:  /* .bss: zero */
    ldr r1, =__bss_start
    ldr r2, =__bss_end
    movs r3, #0
3:  cmp r1, r2
    bhs 4f
    str r3, [r1], #4
    b 3b
4:  bl main
    bl sh_exit          /* main's return value is the exit status */
    .size Reset_Handler, . - Reset_Handler

    /* Any exception: say so (r0 = the IPSR number) and exit with status 3,
     * so that a fault fails the QEMU run instead of hanging it. */
    .thumb_func
    .weak Fault_Handler
    .type Fault_Handler, %function
Fault_Handler:
    mrs r0, ipsr
    bl fw_fault
    .size Fault_Handler, . - Fault_Handler
    .section .note.GNU-stack,"",%progbits
