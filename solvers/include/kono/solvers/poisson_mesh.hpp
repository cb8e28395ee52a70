#pragma once
/// Poisson/diffusion reference solver on unstructured triangle meshes: -div(a grad u) = f in the
/// mesh's domain, u = g on its boundary, P1 finite elements, PETSc KSP (CG + GAMG by default).
#include <memory>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/solvers/triangle_mesh.hpp>

namespace kono {

/// Solver parameters. Plain value type; PETSc options with `options_prefix` (default
/// "-mesh_ksp_type", "-mesh_pc_type", "-mesh_ksp_rtol", ...) override the fields below.
struct PoissonMeshSolverOptions {
  std::string ksp_type = "cg";
  std::string pc_type = "gamg";
  double rtol = 1e-10;              ///< ||b - A u||_2 <= rtol ||b||_2 (true residual for CG)
  double atol = 1e-50;
  int max_iterations = 1000;
  std::string options_prefix = "mesh_";  ///< PETSc options prefix, without the leading '-'
  bool throw_on_divergence = true;  ///< false: solve() returns the info of a diverged solve
  /// "petscfe": DMPlex + PetscFE (P1 Lagrange) assembly; "direct": the element matrices written
  /// out here. Both integrate the same P1 forms exactly, so they agree to the solver tolerance.
  std::string assembly = "petscfe";

  /// Throws Error{invalid_argument} naming the field: rtol outside (0, 1), atol < 0,
  /// max_iterations < 1, empty ksp/pc type, assembly not petscfe or direct.
  void validate() const;
};

/// Outcome of one solve.
struct PoissonMeshSolveInfo {
  index_t sample = 0;          ///< sample index the caller gave
  int iterations = 0;          ///< KSPGetIterationNumber
  double residual_norm = 0;    ///< KSPGetResidualNorm
  int converged_reason = 0;    ///< KSPConvergedReason (> 0 converged)
  std::string reason_name;     ///< e.g. "CONVERGED_RTOL"
  bool converged() const noexcept { return converged_reason > 0; }
};

/// P1 Galerkin with a and f interpolated linearly: int a_h grad u_h . grad v = int f_h v for every
/// P1 v vanishing on the boundary nodes (mesh.boundary), which hold u = g. assembly "petscfe"
/// builds a DMPlex from the mesh, a P1 PetscFE, a and f as a P1 auxiliary field, PetscDS pointwise
/// residual/Jacobian and an essential boundary condition (DMAddBoundary), and assembles the
/// interior block with DMPlexSNESComputeJacobianFEM/ResidualFEM; "direct" writes the element
/// matrices out (abar_T |T| grad phi_i . grad phi_j, load |T|/12 (f_i + sum_{k in T} f_k)) with
/// the boundary rows eliminated symmetrically. Both matrices are SPD. Serial (PETSC_COMM_SELF):
/// meshes change from sample to sample, so each solve() assembles a new matrix and KSP. PETSc
/// must be initialised.
class PoissonMeshSolver {
 public:
  /// Throws Error{invalid_argument} (options), Error{wrong_state} (PETSc not initialised).
  explicit PoissonMeshSolver(PoissonMeshSolverOptions const& options = {});
  ~PoissonMeshSolver();
  PoissonMeshSolver(PoissonMeshSolver const&) = delete;
  PoissonMeshSolver& operator=(PoissonMeshSolver const&) = delete;

  PoissonMeshSolverOptions const& options() const noexcept;

  /// Solves on `mesh` for the nodal coefficient `a` (finite, > 0) and source `f` (finite);
  /// `g` (nodal, only boundary entries are read; empty: g = 0) is the Dirichlet value. `u` is
  /// resized to the node count; boundary nodes get g exactly. Starts from u = 0 with a fresh
  /// KSP, so the result depends on the inputs only. Throws Error{size_mismatch} (array sizes),
  /// Error{invalid_argument} (bad values naming node and `sample`; a mesh without boundary
  /// nodes; when options().throw_on_divergence, a diverged solve naming `sample` and the reason).
  PoissonMeshSolveInfo solve(TriangleMesh const& mesh, std::vector<double> const& a, std::vector<double> const& f,
                             std::vector<double>& u, index_t sample = 0, std::vector<double> const& g = {});

  /// KSP/PC types and tolerances of the last solve (after the PETSc options were applied);
  /// before the first solve, those a solve would use.
  std::string ksp_type() const;
  std::string pc_type() const;
  double rtol() const;
  double atol() const;
  int max_iterations() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kono
