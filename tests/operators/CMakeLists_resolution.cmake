# Resolution-consistent operators: grid transfers, discretized convolutions, MgNO across grids
# (included by tests/operators/CMakeLists.txt).
kono_add_test(test_resolution SOURCES test_resolution.cpp LABELS quick)
# Which architectures are resolution-consistent (kono info / eval / validate; issue 13, item 3).
kono_add_test(test_model_resolution SOURCES test_model_resolution.cpp LABELS quick)
