# Finds kono's dependencies and gives each one an imported target named kono::Dep_<Name>.
# The same file is used in the build tree and by the installed konoConfig.cmake, so a
# downstream project resolves exactly the dependencies kono was built with.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/konoCheckHdf5.cmake)

# ---------------------------------------------------------------------------------------
# Kokkos: a standard install (Kokkos_ROOT, Kokkos 4) is used as it is. Debian's
# libtrilinos-kokkos-dev (Kokkos 3.4 via TriBITS) exports Kokkos::kokkos with an include
# directory that does not exist (/usr/lib/include), so CMake refuses to generate; in that
# case we build the target from the package variables instead.
macro(kono_find_kokkos)
  if(NOT TARGET kono::Dep_Kokkos)
    find_package(Kokkos 3.4 CONFIG REQUIRED)
    set(_kono_kokkos_broken FALSE)
    if(TARGET Kokkos::kokkos)
      get_target_property(_kono_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
      if(_kono_inc)
        foreach(_d IN LISTS _kono_inc)
          if(NOT _d MATCHES "^\\$<" AND NOT EXISTS "${_d}")
            set(_kono_kokkos_broken TRUE)
          endif()
        endforeach()
      endif()
    else()
      set(_kono_kokkos_broken TRUE)
    endif()
    add_library(kono::Dep_Kokkos INTERFACE IMPORTED GLOBAL)
    if(_kono_kokkos_broken)
      find_path(KONO_KOKKOS_INCLUDE_DIR Kokkos_Core.hpp
                HINTS ${Kokkos_INCLUDE_DIRS} PATH_SUFFIXES trilinos REQUIRED)
      set_target_properties(kono::Dep_Kokkos PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${KONO_KOKKOS_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${Kokkos_LIBRARIES};${CMAKE_DL_LIBS}")
      set(KONO_KOKKOS_FLAVOUR "Trilinos-packaged (wrapped: its Kokkos::kokkos target is broken)")
    else()
      set_target_properties(kono::Dep_Kokkos PROPERTIES INTERFACE_LINK_LIBRARIES Kokkos::kokkos)
      set(KONO_KOKKOS_FLAVOUR "standard install")
    endif()
  endif()
endmacro()

# Kokkos Kernels: Kokkos::kokkoskernels (standard) or trilinos_kokkoskernels (Debian).
macro(kono_find_kokkoskernels)
  if(NOT TARGET kono::Dep_KokkosKernels)
    find_package(KokkosKernels CONFIG REQUIRED)
    add_library(kono::Dep_KokkosKernels INTERFACE IMPORTED GLOBAL)
    if(TARGET Kokkos::kokkoskernels)
      set_target_properties(kono::Dep_KokkosKernels PROPERTIES INTERFACE_LINK_LIBRARIES Kokkos::kokkoskernels)
    elseif(TARGET trilinos_kokkoskernels)
      set_target_properties(kono::Dep_KokkosKernels PROPERTIES INTERFACE_LINK_LIBRARIES trilinos_kokkoskernels)
    else()
      message(FATAL_ERROR "kono: KokkosKernels found at ${KokkosKernels_DIR} but it defines neither "
                          "Kokkos::kokkoskernels nor trilinos_kokkoskernels")
    endif()
  endif()
endmacro()

# Parallel HDF5. A serial HDF5 cannot do the sharded, collective I/O kono relies on.
macro(kono_find_hdf5)
  if(NOT TARGET kono::Dep_HDF5)
    set(HDF5_PREFER_PARALLEL TRUE)
    find_package(HDF5 1.10 REQUIRED COMPONENTS C)
    kono_check_hdf5_parallel("${HDF5_IS_PARALLEL}" "${HDF5_VERSION}")
    add_library(kono::Dep_HDF5 INTERFACE IMPORTED GLOBAL)
    set_target_properties(kono::Dep_HDF5 PROPERTIES INTERFACE_LINK_LIBRARIES HDF5::HDF5)
  endif()
endmacro()

# FFTW3 in double and float, with threads and MPI (needed by spectral layers).
macro(kono_find_fftw)
  if(NOT TARGET kono::Dep_FFTW)
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(KONO_FFTW3 REQUIRED fftw3)
    set(_kono_fftw_libs)
    foreach(_lib fftw3_mpi fftw3_threads fftw3 fftw3f_mpi fftw3f_threads fftw3f)
      find_library(KONO_${_lib}_LIBRARY ${_lib} HINTS ${KONO_FFTW3_LIBRARY_DIRS} REQUIRED)
      list(APPEND _kono_fftw_libs ${KONO_${_lib}_LIBRARY})
    endforeach()
    find_path(KONO_FFTW_MPI_INCLUDE_DIR fftw3-mpi.h HINTS ${KONO_FFTW3_INCLUDE_DIRS} REQUIRED)
    add_library(kono::Dep_FFTW INTERFACE IMPORTED GLOBAL)
    set_target_properties(kono::Dep_FFTW PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${KONO_FFTW_MPI_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${_kono_fftw_libs}")
  endif()
endmacro()

# PETSc through its pkg-config file (PETSc's own recommendation for CMake users).
macro(kono_find_petsc)
  if(NOT TARGET kono::Dep_PETSc)
    find_package(PkgConfig REQUIRED)
    pkg_search_module(PETSC REQUIRED IMPORTED_TARGET GLOBAL PETSc petsc)
    add_library(kono::Dep_PETSc INTERFACE IMPORTED GLOBAL)
    set_target_properties(kono::Dep_PETSc PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::PETSC)
  endif()
endmacro()

macro(kono_find_vtk)
  if(NOT TARGET kono::Dep_VTK)
    find_package(VTK 9 REQUIRED COMPONENTS CommonCore CommonDataModel IOXML IOParallelXML)
    add_library(kono::Dep_VTK INTERFACE IMPORTED GLOBAL)
    set_target_properties(kono::Dep_VTK PROPERTIES
      INTERFACE_LINK_LIBRARIES "VTK::CommonCore;VTK::CommonDataModel;VTK::IOXML;VTK::IOParallelXML")
  endif()
endmacro()

# nlohmann-json: layer and model configurations (the architecture stored in model files).
macro(kono_find_json)
  if(NOT TARGET kono::Dep_JSON)
    find_package(nlohmann_json 3.9 REQUIRED)
    add_library(kono::Dep_JSON INTERFACE IMPORTED GLOBAL)
    set_target_properties(kono::Dep_JSON PROPERTIES INTERFACE_LINK_LIBRARIES nlohmann_json::nlohmann_json)
  endif()
endmacro()

# CBLAS (OpenBLAS on Debian): host GEMM for pointwise and dense layers, float and double.
macro(kono_find_cblas)
  if(NOT TARGET kono::Dep_CBLAS)
    find_package(PkgConfig REQUIRED)
    pkg_search_module(KONO_CBLAS REQUIRED IMPORTED_TARGET GLOBAL openblas cblas blas)
    find_path(KONO_CBLAS_INCLUDE_DIR cblas.h HINTS ${KONO_CBLAS_INCLUDE_DIRS} PATH_SUFFIXES openblas REQUIRED)
    add_library(kono::Dep_CBLAS INTERFACE IMPORTED GLOBAL)
    set_target_properties(kono::Dep_CBLAS PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${KONO_CBLAS_INCLUDE_DIR}"
                                                     INTERFACE_LINK_LIBRARIES PkgConfig::KONO_CBLAS)
  endif()
endmacro()

# cuFFT or hipFFT for SpectralConv's device path: only when Kokkos has the CUDA or HIP backend
# (Kokkos' package config sets Kokkos_ENABLE_CUDA / Kokkos_ENABLE_HIP), so a host-only Kokkos
# never needs a GPU toolkit. Call after kono_find_kokkos().
macro(kono_find_device_fft)
  if(NOT TARGET kono::Dep_DeviceFFT)
    set(KONO_DEVICE_FFT "none")
    if(Kokkos_ENABLE_CUDA)
      find_package(CUDAToolkit REQUIRED)
      add_library(kono::Dep_DeviceFFT INTERFACE IMPORTED GLOBAL)
      set_target_properties(kono::Dep_DeviceFFT PROPERTIES INTERFACE_LINK_LIBRARIES "CUDA::cufft;CUDA::cudart")
      set(KONO_DEVICE_FFT "cuFFT")
    elseif(Kokkos_ENABLE_HIP)
      find_package(hipfft REQUIRED)
      add_library(kono::Dep_DeviceFFT INTERFACE IMPORTED GLOBAL)
      set_target_properties(kono::Dep_DeviceFFT PROPERTIES INTERFACE_LINK_LIBRARIES hip::hipfft)
      set(KONO_DEVICE_FFT "hipFFT")
    endif()
  endif()
endmacro()

# Everything the installed libraries need, in dependency order.
macro(kono_find_library_dependencies)
  find_package(MPI REQUIRED COMPONENTS C CXX)
  kono_find_kokkos()
  kono_find_device_fft()
  kono_find_kokkoskernels()
  kono_find_hdf5()
  kono_find_vtk()
  kono_find_fftw()
  kono_find_petsc()
  kono_find_json()
  kono_find_cblas()
endmacro()
