# The cuFFT wrapper of SpectralConv's device path (included by tests/operators/CMakeLists.txt).
# Built whenever a CUDA toolkit with cuFFT is found, whatever Kokkos' backends: the wrapper uses
# only cuFFT's host API, so the host compiler builds it; the test checks a round trip on a GPU
# and the clear error without one.
find_package(CUDAToolkit QUIET)
if(TARGET CUDA::cufft AND TARGET CUDA::cudart)
  set(_kono_cufft_sources test_cufft_real_fft.cpp)
  if(NOT KONO_DEVICE_FFT STREQUAL "cuFFT")  # otherwise kono_operators already holds it
    list(APPEND _kono_cufft_sources ${PROJECT_SOURCE_DIR}/operators/src/layers/cufft_real_fft.cpp)
  endif()
  kono_add_test(test_cufft_real_fft SOURCES ${_kono_cufft_sources} LABELS quick)
  target_include_directories(test_cufft_real_fft PRIVATE ${PROJECT_SOURCE_DIR}/operators/src)
  target_link_libraries(test_cufft_real_fft PRIVATE CUDA::cufft CUDA::cudart)
  message(STATUS "kono tests: test_cufft_real_fft builds against cuFFT of CUDA ${CUDAToolkit_VERSION} "
                 "(${CUDAToolkit_LIBRARY_DIR})")
else()
  message(STATUS "kono tests: no CUDA toolkit with cuFFT found, test_cufft_real_fft is not built")
endif()
