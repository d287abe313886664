# cortex-m55.cmake - CMake toolchain file for bare-metal Cortex-M55 (Armv8.1-M
# with Helium/MVE and the FPU) with arm-none-eabi-gcc and newlib:
#
#   cmake -S . -B build/m55 -DCMAKE_TOOLCHAIN_FILE=platforms/baremetal/cortex-m55.cmake
#   cmake --build build/m55          # -> libtinyrank.a (runtime only)
#
# CMAKE_SYSTEM_NAME Generic turns the POSIX thread pool off (firmware links
# platforms/baremetal/threadpool_none.c) and the host tools too (converter,
# CLI and tests need an OS). The Helium kernels (runtime/kernels/mve) are
# compiled because -mcpu=cortex-m55 defines __ARM_FEATURE_MVE; dispatch.c
# picks them at build time (no cpuid/HWCAP on a bare-metal core).
set(TINYRANK_BAREMETAL_CPU "cortex-m55")
set(TINYRANK_BAREMETAL_FLAGS "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
