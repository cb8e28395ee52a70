kono_add_test(test_layers SOURCES test_layers.cpp LABELS quick)
