# arm-none-eabi.cmake - the part of the bare-metal Cortex-M toolchain files
# (cortex-m55.cmake, cortex-m4.cmake) that does not depend on the core.
# Those files set TINYRANK_BAREMETAL_CPU and TINYRANK_BAREMETAL_FLAGS, then
# include this one.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR ${TINYRANK_BAREMETAL_CPU})

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "")
# There is no OS to link a test program against: CMake's compiler checks
# build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# -ffunction-sections/-fdata-sections: firmware links with --gc-sections, so
# the kernels and tables it never calls cost no flash.
set(CMAKE_C_FLAGS_INIT "${TINYRANK_BAREMETAL_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${TINYRANK_BAREMETAL_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${TINYRANK_BAREMETAL_FLAGS} -Wl,--gc-sections")

# Only the runtime library: the converter, CLI and tests are host tools.
set(TINYRANK_BUILD_HOST_TOOLS OFF CACHE BOOL "Build the converter, CLI, tests and benchmarks")
# Never look for libraries or headers of the build machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
