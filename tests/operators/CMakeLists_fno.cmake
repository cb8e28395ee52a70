# FNO model and domain padding (included by tests/operators/CMakeLists.txt).
kono_add_test(test_fno SOURCES test_fno.cpp LABELS quick)
