# Learned-stencil building blocks: stencil_constraint, HiPPO-LegT features, channel_attention
# (included by tests/operators/CMakeLists.txt).
kono_add_test(test_stencil_layers SOURCES test_stencil_layers.cpp LABELS quick)
