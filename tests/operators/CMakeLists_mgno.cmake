# MgNO layer and model family (included by tests/operators/CMakeLists.txt).
kono_add_test(test_mgno SOURCES test_mgno.cpp LABELS quick)
