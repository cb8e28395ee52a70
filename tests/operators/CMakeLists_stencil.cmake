# Coarse finite-volume Navier-Stokes solver with learnable stencils (issue 23, part 2): gradient
# checks of the reverse mode, projection properties, physics and the blow-up diagnostics.
kono_add_test(test_stencil_solver SOURCES test_stencil_solver.cpp LABELS quick)
# The row-block decomposed solver against the serial one, on 1 and 2 ranks.
kono_add_mpi_test(test_stencil_solver_mpi SOURCES test_stencil_solver_mpi.cpp RANKS 1 2 LABELS quick)
