#!/usr/bin/env bash
# Installs the kono build tree into a staging prefix, then builds and runs a ten-line consumer
# with find_package(kono) and, separately, with pkg-config. Usage: run_install_test.sh BUILD SRC WORK
set -euo pipefail
build=$1; src=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
cmake --build "$work/cmake-build" >"$work/build.log"
"$work/cmake-build/consumer"
pcdir=$(dirname "$(find "$work/prefix" -name kono.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir=$(pkg-config --variable=libdir kono)
${MPICXX:-mpicxx} "$src/main.cpp" -o "$work/consumer-pc" $(pkg-config --cflags --libs kono) -Wl,-rpath,"$libdir"
"$work/consumer-pc"
echo "install test: find_package and pkg-config consumers both ran"
