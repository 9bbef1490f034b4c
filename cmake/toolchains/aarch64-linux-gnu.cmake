# Cross-compile for 64-bit Arm Linux with the GNU cross toolchain
# (Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu).
#
#   cmake -S native -B build-aarch64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# Set WHITTLE_CROSS_PREFIX (e.g. /opt/gcc-arm/bin/aarch64-none-linux-gnu-) for another
# toolchain, and CMAKE_SYSROOT if its libraries do not live under /usr/aarch64-linux-gnu.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(WHITTLE_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "Prefix of the cross compiler executables")
set(CMAKE_C_COMPILER "${WHITTLE_CROSS_PREFIX}gcc")
set(CMAKE_CXX_COMPILER "${WHITTLE_CROSS_PREFIX}g++")

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Feature checks compile without linking or running: nothing built for aarch64 runs here.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
