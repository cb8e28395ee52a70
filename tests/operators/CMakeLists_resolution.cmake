# Resolution-consistent operators: grid transfers, discretized convolutions, MgNO across grids
# (included by tests/operators/CMakeLists.txt).
kono_add_test(test_resolution SOURCES test_resolution.cpp LABELS quick)
