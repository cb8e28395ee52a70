# Resolution consistency of architectures (issue 13, item 3; included by tests/operators/CMakeLists.txt).
kono_add_test(test_model_resolution SOURCES test_model_resolution.cpp LABELS quick)
