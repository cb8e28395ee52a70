# Conv and ConvTranspose layers (included by tests/operators/CMakeLists.txt).
kono_add_test(test_conv SOURCES test_conv.cpp LABELS quick)
