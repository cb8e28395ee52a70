# Training losses and evaluation metrics.
kono_add_test(test_losses SOURCES test_losses.cpp LABELS quick)
kono_add_test(test_metrics SOURCES test_metrics.cpp LABELS quick)
