# SpectralConv, the Fourier layer of FNO (included by tests/operators/CMakeLists.txt).
kono_add_test(test_spectral_conv SOURCES test_spectral_conv.cpp LABELS quick)

# The portable path (Kokkos kernels + full-grid FFT, the device path) run on the host; it
# includes the internal header operators/src/layers/spectral_conv_portable.hpp.
kono_add_test(test_spectral_portable SOURCES test_spectral_portable.cpp LABELS quick)
target_include_directories(test_spectral_portable PRIVATE ${PROJECT_SOURCE_DIR}/operators/src)
kono_add_test(test_spectral_path_env SOURCES test_spectral_path_env.cpp LABELS quick)

# The existing SpectralConv and FNO suites once more with every spectral layer on the portable path.
foreach(_t test_spectral_conv test_fno)
  add_test(NAME ${_t}_portable_path COMMAND ${_t})
  set_tests_properties(${_t}_portable_path PROPERTIES LABELS "unit;quick" TIMEOUT 300
                       ENVIRONMENT "KONO_SPECTRAL_PATH=portable")
endforeach()
