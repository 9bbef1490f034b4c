#!/usr/bin/env bash
# Builds libwhittle for the machine Maven runs on and copies it where the Java loader looks:
#
#   cmake/build-native.sh <build-dir> <output-dir> [<test-output-dir>]
#
# puts the library at <output-dir>/<os>-<arch>/libwhittle.so, and the test-only libraries
# (the libedgetpu test double, libwhittle_fake_edgetpu.so) in <test-output-dir> when given, with <os>-<arch> spelled as
# dev.whittle.internal.nativelib.NativeLibrary derives it from os.name/os.arch
# (linux-x86_64, linux-aarch64, macos-aarch64, ...).
#
# No cmake or no C++ compiler: one line, exit 0, and the build goes on with the Java path.
# A compile error: non-zero exit, so the Maven build fails instead of silently losing the
# native kernels. <build-dir> is reused between runs, so an unchanged tree rebuilds in well
# under a second. Extra CMake arguments can be passed in WHITTLE_CMAKE_ARGS.
set -euo pipefail

if [ $# -ne 2 ] && [ $# -ne 3 ]; then
  echo "usage: $0 <build-dir> <output-dir> [<test-output-dir>]" >&2
  exit 2
fi
build_dir=$1
output_dir=$2
test_output_dir=${3:-}
source_dir=$(cd "$(dirname "$0")/../native" && pwd)

cxx=${CXX:-}
if [ -z "$cxx" ]; then
  for candidate in c++ g++ clang++; do
    if command -v "$candidate" >/dev/null 2>&1; then cxx=$candidate; break; fi
  done
fi
if ! command -v cmake >/dev/null 2>&1 || [ -z "$cxx" ] || ! command -v "$cxx" >/dev/null 2>&1; then
  echo "whittle: no C++ toolchain (cmake + c++), building the Java path only; install cmake and g++ for native kernels"
  exit 0
fi

case "$(uname -s)" in
  Linux) os=linux; lib=libwhittle.so; fake=libwhittle_fake_edgetpu.so ;;
  Darwin) os=macos; lib=libwhittle.dylib; fake=libwhittle_fake_edgetpu.dylib ;;
  *) echo "whittle: native build not supported on $(uname -s), building the Java path only"; exit 0 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac

# A build dir configured from another checkout (a moved or copied worktree) makes cmake
# refuse to configure; start that one afresh.
cache="$build_dir/CMakeCache.txt"
if [ -f "$cache" ] && ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$source_dir" "$cache"; then
  rm -rf "$build_dir"
fi

# Generator and compiler are fixed when the build dir is first configured; passing them
# again on later runs would make cmake discard its cache.
first_configure=()
if [ ! -f "$cache" ]; then
  first_configure=(-DCMAKE_CXX_COMPILER="$cxx")
  if command -v ninja >/dev/null 2>&1; then first_configure+=(-G Ninja); fi
fi

# shellcheck disable=SC2086 # WHITTLE_CMAKE_ARGS is a list of words on purpose
cmake -S "$source_dir" -B "$build_dir" "${first_configure[@]}" \
  -DCMAKE_BUILD_TYPE=Release ${WHITTLE_CMAKE_ARGS:-} >/dev/null
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
cmake --build "$build_dir" --parallel "$jobs"

dest="$output_dir/$os-$arch"
mkdir -p "$dest"
cmake -E copy_if_different "$build_dir/$lib" "$dest/$lib"
echo "whittle: native library $dest/$lib"
if [ -n "$test_output_dir" ] && [ -f "$build_dir/$fake" ]; then
  mkdir -p "$test_output_dir"
  cmake -E copy_if_different "$build_dir/$fake" "$test_output_dir/$fake"
fi
