#!/usr/bin/env bash
# Installs kono's build and test dependencies from Debian packages when they are missing.
# Safe to run repeatedly: it only calls apt-get when a package is absent.
# On a non-Debian system it prints what to provide instead (site modules, Spack specs).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev
  libopenmpi-dev openmpi-bin
  petsc-dev
  libhdf5-openmpi-dev hdf5-tools
  libvtk9-dev
  libfftw3-dev libfftw3-mpi-dev
  libopenblas-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev
  python3-numpy python3-h5py python3-matplotlib python3-vtk9
)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  cat <<'TXT'
kono setup: this is not a Debian/Ubuntu system, so nothing was installed.
Provide these (e.g. `module load ...` or `spack install ...`) and point CMake at them:
  Kokkos >= 3.4 (Kokkos_ROOT), Kokkos Kernels, MPI, PETSc >= 3.18 (PKG_CONFIG_PATH),
  parallel HDF5 >= 1.10 (HDF5_ROOT), VTK 9 (IOXML, IOParallelXML), FFTW3 (double, float,
  threads, MPI), yaml-cpp, nlohmann-json, BLAS, GoogleTest, Google Benchmark (tests only).
TXT
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "kono setup: all ${#PACKAGES[@]} Debian packages present."
  exit 0
fi

echo "kono setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "kono setup: not root and no sudo; as root run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/tmp/kono-apt.log 2>&1 || {
  echo "kono setup: apt-get install failed; last lines of /tmp/kono-apt.log:" >&2
  tail -n 30 /tmp/kono-apt.log >&2
  exit 1
}
echo "kono setup: done."
