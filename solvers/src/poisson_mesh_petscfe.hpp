#pragma once
// Internal to the solvers library: the DMPlex + PetscFE assembly of PoissonMeshSolver.
#include <petscmat.h>

#include <vector>

#include <kono/solvers/triangle_mesh.hpp>

namespace kono::detail {

/// P1 system of -div(a grad u) = f, u = g on the mesh.boundary nodes, assembled by PetscFE on a
/// DMPlex built from `mesh` (a and f as a P1 auxiliary field, the boundary an essential condition,
/// so *A is the SPD interior block and *b carries f and the lifted g). row[i] = row of node i in
/// *A, -1 on boundary nodes. The caller destroys *A and *b. Inputs are already validated.
void assemble_poisson_petscfe(TriangleMesh const& mesh, std::vector<double> const& a, std::vector<double> const& f,
                              std::vector<double> const& g, Mat* A, Vec* b, std::vector<PetscInt>& row);

}  // namespace kono::detail
