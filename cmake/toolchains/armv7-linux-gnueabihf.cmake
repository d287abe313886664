# Cross build for 32-bit Arm Linux (armv7-a, hard float, NEON) with Debian's
# gcc-arm-linux-gnueabihf (Raspberry Pi OS 32-bit, older Android-class SoCs):
#   cmake -S . -B build/armv7 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armv7-linux-gnueabihf.cmake
# Tests run through qemu-user (qemu-arm), which ctest calls via
# CMAKE_CROSSCOMPILING_EMULATOR. Debian's armhf baseline is armv7-a+vfpv3-d16
# without NEON; NEON is optional on armv7-a, so the library is built for the
# baseline and only the NEON kernel files get -mfpu=neon (CMakeLists.txt),
# and dispatch.c enables them from HWCAP at run time.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)

set(TINYRANK_ARMV7_PREFIX arm-linux-gnueabihf CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER ${TINYRANK_ARMV7_PREFIX}-gcc)
# _FILE_OFFSET_BITS=64: 64-bit off_t/ino_t in stat, readdir and mmap of the
# host tools, so that they work on file systems with 64-bit inode numbers and
# directory offsets (glibc's 32-bit readdir fails there with EOVERFLOW, as
# seen under qemu-user on a 64-bit kernel) and on files over 2 GiB.
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfloat-abi=hard -mfpu=vfpv3-d16 -D_FILE_OFFSET_BITS=64")

# Headers and libraries of the target: the cross sysroot of the toolchain
# packages, and Debian multiarch for target libraries (libcmocka-dev:armhf).
set(CMAKE_FIND_ROOT_PATH /usr/${TINYRANK_ARMV7_PREFIX})
set(CMAKE_LIBRARY_ARCHITECTURE ${TINYRANK_ARMV7_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # flatc, python3: host tools
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

find_program(TINYRANK_QEMU_ARM qemu-arm)
if(TINYRANK_QEMU_ARM)
  if(NOT DEFINED TINYRANK_QEMU_CPU)
    set(TINYRANK_QEMU_CPU cortex-a15) # armv7-a with NEON (and VFPv4)
  endif()
  # -L: the loader and libc as a pair, from multiarch when libcmocka-dev:armhf
  # brought libc6:armhf (see aarch64-linux-gnu.cmake for why a pair).
  if(EXISTS /lib/ld-linux-armhf.so.3 AND EXISTS /lib/${TINYRANK_ARMV7_PREFIX}/libc.so.6)
    set(TINYRANK_QEMU_LD_PREFIX /)
  else()
    set(TINYRANK_QEMU_LD_PREFIX /usr/${TINYRANK_ARMV7_PREFIX})
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${TINYRANK_QEMU_ARM};-L;${TINYRANK_QEMU_LD_PREFIX};-cpu;${TINYRANK_QEMU_CPU})
endif()
