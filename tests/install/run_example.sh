#!/usr/bin/env bash
# Builds and runs one example from examples/ against a staged kono install (like the consumer
# test next to it).
#   run_example.sh setup BUILD WORK MODEL-COMMAND...
#       installs BUILD into WORK/prefix, then runs MODEL-COMMAND (it must write WORK/model.h5)
#   run_example.sh cmake|make SRC WORK NAME EXE [LAUNCHER...] -- [ARGS...]
#       configures and builds SRC with find_package (cmake) or its Makefile with pkg-config
#       (make) into WORK/NAME, then runs LAUNCHER... WORK/NAME/EXE ARGS...
set -euo pipefail
mode=$1; shift
if [[ $mode == setup ]]; then
  build=$1; work=$2; shift 2
  rm -rf "$work"; mkdir -p "$work"
  cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
  (cd "$work" && "$@") >"$work/model.log" 2>&1 || { cat "$work/model.log"; exit 1; }
  test -f "$work/model.h5"
  echo "examples setup: installed kono and wrote $work/model.h5"
  exit 0
fi
src=$1; work=$2; name=$3; exe=$4; shift 4
launcher=()
while [[ $# -gt 0 && $1 != -- ]]; do launcher+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
dir="$work/$name"
rm -rf "$dir"
if [[ $mode == cmake ]]; then
  cmake -S "$src" -B "$dir" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >"$work/$name.configure.log" 2>&1 ||
    { cat "$work/$name.configure.log"; exit 1; }
  cmake --build "$dir" >"$work/$name.build.log" 2>&1 || { cat "$work/$name.build.log"; exit 1; }
else
  cp -r "$src" "$dir"
  pcdir=$(dirname "$(find "$work/prefix" -name kono.pc | head -n 1)")
  export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  make -C "$dir" >"$work/$name.build.log" 2>&1 || { cat "$work/$name.build.log"; exit 1; }
fi
cd "$work"
"${launcher[@]}" "$dir/$exe" "$@"
