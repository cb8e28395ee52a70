# Learned finite-volume solvers (issue 23): stencil network, unrolled StencilRollout, model families
# (included by tests/operators/CMakeLists.txt).
kono_add_test(test_stencil_models SOURCES test_stencil_models.cpp LABELS quick)
