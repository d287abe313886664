# Cross build for 64-bit RISC-V Linux (rv64gc, lp64d) with Debian's
# gcc-riscv64-linux-gnu (VisionFive 2, Milk-V, SiFive boards):
#   cmake -S . -B build/riscv64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
# The portable (reference) kernels only. Tests run through qemu-user
# (qemu-riscv64) via CMAKE_CROSSCOMPILING_EMULATOR.
#
# Debian 12 has no riscv64 multiarch archive (riscv64 became official in
# Debian 13), so there is no libcmocka-dev:riscv64: .ci/riscv64.sh builds
# cmocka from Debian's source package with this toolchain into
# TINYRANK_RISCV64_DEPS (default /opt/tinyrank-riscv64), which is searched
# here for target libraries.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(TINYRANK_RISCV64_PREFIX riscv64-linux-gnu CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER ${TINYRANK_RISCV64_PREFIX}-gcc)

if(NOT DEFINED TINYRANK_RISCV64_DEPS)
  if(DEFINED ENV{TINYRANK_RISCV64_DEPS})
    set(TINYRANK_RISCV64_DEPS $ENV{TINYRANK_RISCV64_DEPS})
  else()
    set(TINYRANK_RISCV64_DEPS /opt/tinyrank-riscv64)
  endif()
endif()
set(CMAKE_FIND_ROOT_PATH /usr/${TINYRANK_RISCV64_PREFIX} ${TINYRANK_RISCV64_DEPS})
set(CMAKE_LIBRARY_ARCHITECTURE ${TINYRANK_RISCV64_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # flatc, python3: host tools
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(TINYRANK_QEMU_RISCV64 qemu-riscv64)
if(TINYRANK_QEMU_RISCV64)
  if(NOT DEFINED TINYRANK_QEMU_CPU)
    set(TINYRANK_QEMU_CPU rv64)
  endif()
  # The cross toolchain's loader and libc, as a pair (no multiarch here);
  # LD_LIBRARY_PATH-free: the tests link cmocka statically.
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${TINYRANK_QEMU_RISCV64};-L;/usr/${TINYRANK_RISCV64_PREFIX};-cpu;${TINYRANK_QEMU_CPU})
endif()
