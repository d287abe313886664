/* xnnpack_delegate.h - internal counters of the XNNPACK delegate (tests).
 * The delegate itself is public: tinyrank_xnnpack_delegate in tinyrank.h. */
#ifndef TR_XNNPACK_DELEGATE_H
#define TR_XNNPACK_DELEGATE_H

#include <math.h>

#include "tinyrank.h"

/* Allocations XNNPACK made through the delegate's allocator after
 * xnn_initialize outside any prepare (should be 0: everything else lives in
 * session arenas). */
unsigned long tr_xnnpack_late_allocations(void);

#endif
