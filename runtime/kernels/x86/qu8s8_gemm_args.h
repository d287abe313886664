/* qu8s8_gemm_args.h - the arguments of a qu8s8_gemm call (kernels.h
 * contract) as one struct, shared by the register-tiled x86 kernels (avx2,
 * avxvnni, avx512vnni) so that their tile functions take one pointer.
 * kgroups = round_up(K, 4) / 4: the 4-byte k groups of one 16-channel block. */
#ifndef TR_QU8S8_GEMM_ARGS_H
#define TR_QU8S8_GEMM_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct gemm_args {
    size_t kgroups, ldq, N, ldc;
    const uint8_t *Q;
    const float *a_scale;
    const int32_t *a_zp;
    const int8_t *W;
    const float *w_scale;
    const int32_t *w_sum;
    const float *bias;
    float *C;
} gemm_args;

#endif
