kono_add_test(test_optimizers SOURCES test_optimizers.cpp LABELS quick)
