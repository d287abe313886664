# Cross build for 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu:
#   cmake -S . -B build/arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# Tests run through qemu-user (qemu-aarch64), which ctest calls via
# CMAKE_CROSSCOMPILING_EMULATOR; QEMU_CPU picks the emulated core (default
# "max": every extension qemu has, dotprod and i8mm included).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(TINYRANK_AARCH64_PREFIX aarch64-linux-gnu CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER ${TINYRANK_AARCH64_PREFIX}-gcc)

# Headers and libraries of the target: the cross sysroot of the toolchain
# packages, and Debian multiarch for target libraries (libcmocka-dev:arm64).
set(CMAKE_FIND_ROOT_PATH /usr/${TINYRANK_AARCH64_PREFIX})
set(CMAKE_LIBRARY_ARCHITECTURE ${TINYRANK_AARCH64_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # flatc, python3: host tools
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

find_program(TINYRANK_QEMU_AARCH64 qemu-aarch64)
if(TINYRANK_QEMU_AARCH64)
  if(NOT DEFINED TINYRANK_QEMU_CPU)
    set(TINYRANK_QEMU_CPU max)
  endif()
  # -L: where the emulated dynamic loader is. With Debian multiarch
  # (libcmocka-dev:arm64 brings libc6:arm64) the loader and libc are under /
  # and must be taken from there as a pair: the cross toolchain's own loader
  # (/usr/aarch64-linux-gnu/lib) with the multiarch libc.so.6 of another
  # Debian revision makes fork() hang in the child under qemu 7.2.
  if(EXISTS /lib/ld-linux-aarch64.so.1)
    set(TINYRANK_QEMU_LD_PREFIX /)
  else()
    set(TINYRANK_QEMU_LD_PREFIX /usr/${TINYRANK_AARCH64_PREFIX})
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${TINYRANK_QEMU_AARCH64};-L;${TINYRANK_QEMU_LD_PREFIX};-cpu;${TINYRANK_QEMU_CPU})
endif()
