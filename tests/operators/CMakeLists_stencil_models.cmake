# Learned finite-volume solvers (issue 23): stencil network, unrolled StencilRollout, model families
# (included by tests/operators/CMakeLists.txt).
kono_add_test(test_stencil_models SOURCES test_stencil_models.cpp LABELS quick)
# Trained stencil models rolled out on row blocks (domain decomposition), 1 and 2 ranks vs serial.
kono_add_mpi_test(test_stencil_rollout_mpi SOURCES test_stencil_rollout_mpi.cpp RANKS 1 2 LABELS quick)
