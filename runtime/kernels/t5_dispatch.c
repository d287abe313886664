/* t5_dispatch.c - the relative-bias attention kernel of a kernel set. The
 * set itself (kernels.h) was chosen per CPU by tr_kernels_select, so its name
 * says which instructions this CPU has: the matching variant is safe. */
#include <string.h>

#include "kernels/t5_kernels.h"

tr_f32_attention_relbias_fn tr_f32_attention_relbias_for(const char *kernel_set_name)
{
#if defined(__x86_64__) || defined(_M_X64)
    /* every AVX-512 set ("avx512vnni", "avx512bf16") and "amx" (whose CPUs
     * all have AVX-512); then the AVX2 ones ("avx2", "avxvnni") */
    if (strncmp(kernel_set_name, "avx512", 6) == 0 || strcmp(kernel_set_name, "amx") == 0)
        return tr_f32_attention_relbias__avx512;
    if (strncmp(kernel_set_name, "avx", 3) == 0)
        return tr_f32_attention_relbias__avx2;
#else
    (void)kernel_set_name;
#endif
    return tr_f32_attention_relbias__ref;
}
