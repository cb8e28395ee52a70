# SpectralConv, the Fourier layer of FNO (included by tests/operators/CMakeLists.txt).
kono_add_test(test_spectral_conv SOURCES test_spectral_conv.cpp LABELS quick)
