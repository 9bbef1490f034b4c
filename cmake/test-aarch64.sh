#!/usr/bin/env bash
# Cross-builds libwhittle and the q8 GEMM test-vector runner for aarch64 and runs the vectors
# under qemu user-mode emulation, on a CPU model with every Arm extension (-cpu max: NEON,
# DotProd, I8MM), so the NEON kernels run on an x86 machine:
#
#   cmake/test-aarch64.sh <build-dir> <vectors.bin>...
#
# The vectors come from the Java test NeonGemmVectorsTest (java/target/neon-vectors/, see
# native/testing/q8_gemm_vectors.cc); that test runs this script itself. Needs cmake, the GNU
# cross compiler (Debian: g++-aarch64-linux-gnu) and qemu-aarch64 (Debian: qemu-user); when
# one is missing it prints one "skipped" line and exits 0 (77 with WHITTLE_AARCH64_STRICT=1,
# for callers that must tell a skip from a pass). A build error or any differing byte: non-zero.
# Set WHITTLE_CROSS_PREFIX for another cross toolchain (see cmake/toolchains/aarch64-linux-gnu.cmake)
# and WHITTLE_QEMU_LD_PREFIX for another sysroot (default /usr/aarch64-linux-gnu).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 <build-dir> [<vectors.bin>...]" >&2
  exit 2
fi
build_dir=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${WHITTLE_CROSS_PREFIX:-aarch64-linux-gnu-}
sysroot=${WHITTLE_QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v "${prefix}g++" >/dev/null 2>&1 || missing+=("${prefix}g++ (apt-get install g++-aarch64-linux-gnu)")
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=("qemu-aarch64 (apt-get install qemu-user)")
if [ ${#missing[@]} -ne 0 ]; then
  echo "whittle: aarch64 tests skipped: no ${missing[*]}"
  if [ "${WHITTLE_AARCH64_STRICT:-0}" = 1 ]; then exit 77; fi
  exit 0
fi

cache="$build_dir/CMakeCache.txt"
if [ -f "$cache" ] && ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$root/native" "$cache"; then
  rm -rf "$build_dir"
fi
first_configure=()
if [ ! -f "$cache" ]; then
  first_configure=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake"
    -DWHITTLE_CROSS_PREFIX="$prefix")
  if command -v ninja >/dev/null 2>&1; then first_configure+=(-G Ninja); fi
fi
cmake -S "$root/native" -B "$build_dir" "${first_configure[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DWHITTLE_BUILD_VECTOR_TESTS=ON -DWHITTLE_BUILD_TEST_DOUBLES=OFF >/dev/null
cmake --build "$build_dir" --parallel "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)" >/dev/null

run=(qemu-aarch64 -L "$sysroot" -cpu max)
# The library must say what it was built with and find DotProd on the emulated CPU.
info=$("${run[@]}" "$build_dir/q8_gemm_vectors" "$build_dir/libwhittle.so" 2>&1 || true)
echo "$info" | head -1
if ! echo "$info" | grep -q "DOTPROD=1"; then
  echo "whittle: aarch64 tests: whittle_cpu_features did not report DOTPROD under qemu -cpu max" >&2
  exit 1
fi
if [ $# -eq 0 ]; then
  echo "whittle: aarch64 build OK; no vector files given (NeonGemmVectorsTest writes them)"
  exit 0
fi
"${run[@]}" "$build_dir/q8_gemm_vectors" "$build_dir/libwhittle.so" "$@"
