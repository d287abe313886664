# cortex-m4.cmake - CMake toolchain file for bare-metal Cortex-M4F (Armv7E-M,
# single-precision FPU, DSP extension) with arm-none-eabi-gcc and newlib: the
# portable path (reference kernels), no Helium. The same sources also serve a
# Cortex-M7 (-mcpu=cortex-m7 -mfpu=fpv5-d16).
#
#   cmake -S . -B build/m4 -DCMAKE_TOOLCHAIN_FILE=platforms/baremetal/cortex-m4.cmake
set(TINYRANK_BAREMETAL_CPU "cortex-m4")
set(TINYRANK_BAREMETAL_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
