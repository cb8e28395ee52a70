# Coarse finite-volume Navier-Stokes solver with learnable stencils (issue 23, part 2): gradient
# checks of the reverse mode, projection properties, physics and the blow-up diagnostics.
kono_add_test(test_stencil_solver SOURCES test_stencil_solver.cpp LABELS quick)
