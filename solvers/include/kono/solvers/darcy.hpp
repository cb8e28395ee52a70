#pragma once
/// Darcy flow reference solver: -div(a grad u) = f on the unit square or cube, u = 0 on the
/// boundary, on a node grid, with PETSc (DMDA + KSP, CG + GAMG by default).
#include <mpi.h>
#include <petscsys.h>  // PETSC_COMM_SELF, the communicator of sample-parallel solvers

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/meshes/structured_grid.hpp>

namespace kono {

/// Smallest number of nodes per axis the Darcy solver accepts (2 interior nodes per axis).
inline constexpr index_t darcy_min_resolution = 4;

/// Discretisation and solver parameters. Plain value type; PETSc options given on the command
/// line or in PETSC_OPTIONS with `options_prefix` (default "-darcy_ksp_type", "-darcy_pc_type",
/// "-darcy_ksp_rtol", ...) override the fields below (KSPSetFromOptions).
struct DarcySolverOptions {
  int dim = 2;                      ///< 2 (5-point stencil) or 3 (7-point stencil)
  index_t resolution = 64;          ///< N nodes per axis at x_i = i/(N-1), N >= darcy_min_resolution
  double forcing = 1.0;             ///< constant right-hand side f (a per-node f can be passed to solve())
  std::string ksp_type = "cg";      ///< default Krylov method
  std::string pc_type = "gamg";     ///< default preconditioner
  double rtol = 1e-10;              ///< ||b - A u||_2 <= rtol ||b||_2 (true, unpreconditioned residual for CG)
  double atol = 1e-50;              ///< absolute residual tolerance (PETSc's default)
  int max_iterations = 1000;        ///< KSP iteration cap
  std::string options_prefix = "darcy_";  ///< PETSc options prefix, without the leading '-'
  bool throw_on_divergence = true;  ///< false: solve() returns the info of a diverged solve instead of throwing

  /// Throws Error{invalid_argument} naming the field: dim not 2 or 3, resolution below
  /// darcy_min_resolution, non-finite forcing, rtol outside (0, 1), atol < 0, max_iterations < 1,
  /// empty ksp/pc type.
  void validate() const;
};

/// Outcome of one solve.
struct DarcySolveInfo {
  index_t sample = 0;          ///< sample index the caller gave (for messages and provenance)
  int iterations = 0;          ///< KSPGetIterationNumber
  double residual_norm = 0;    ///< KSPGetResidualNorm (the norm the KSP monitors; true 2-norm for CG)
  int converged_reason = 0;    ///< KSPConvergedReason as an int (> 0 converged, < 0 diverged)
  std::string reason_name;     ///< KSPConvergedReasons[] text, e.g. "CONVERGED_RTOL", "DIVERGED_ITS"
  bool converged() const noexcept { return converged_reason > 0; }
};

/// The discrete problem on N^d nodes x_i = i/(N-1) (h = 1/(N-1)): for every interior node i,
///   (1/h^2) sum_{j neighbour of i} a_ij (u_i - u_j) = f_i,   a_ij = 2 a_i a_j / (a_i + a_j),
/// with u_j = 0 at boundary nodes (boundary rows are scaled identities, so the matrix is SPD).
/// A solver is built once per (communicator, dim, resolution) and reused for many samples:
/// each solve() refills the matrix values and rebuilds the preconditioner. On PETSC_COMM_SELF
/// it solves whole samples (sample-parallel generation); on a larger communicator one sample is
/// decomposed in blocks by the DMDA and each rank passes only the nodes it owns.
/// PETSc must be initialised (kono::ensure_petsc_initialized).
class DarcySolver {
 public:
  /// Collective on `comm`. Throws Error{invalid_argument} (options), Error{wrong_state} (PETSc
  /// not initialised), Error{internal} (PETSc failure).
  DarcySolver(MPI_Comm comm, DarcySolverOptions const& options);
  ~DarcySolver();  ///< collective on comm (destroys PETSc objects)
  DarcySolver(DarcySolver const&) = delete;
  DarcySolver& operator=(DarcySolver const&) = delete;

  DarcySolverOptions const& options() const noexcept;
  MPI_Comm comm() const noexcept;
  /// The N^d node grid on [0,1]^d (non-periodic).
  StructuredGrid grid() const;
  /// The block of nodes this rank owns: [begin[a], end[a]) per axis a in C order (axis 0 is the
  /// slowest); axes beyond dim are [0, 1). The whole grid on a 1-rank communicator.
  std::array<index_t, 3> owned_begin() const noexcept;
  std::array<index_t, 3> owned_end() const noexcept;
  index_t owned_size() const noexcept;  ///< number of owned nodes

  /// Solves for the coefficient `a_owned` (owned nodes, C order over the owned block, every
  /// value finite and > 0) and writes u at the owned nodes to `u_owned`. `f_owned` (owned nodes)
  /// replaces the constant forcing when not null. Starts from u = 0 each time, so the result
  /// does not depend on earlier samples. Collective on comm().
  /// Throws Error{invalid_argument} for a non-positive or non-finite coefficient (naming the
  /// node and `sample`), and, when options().throw_on_divergence, for a diverged solve (naming
  /// `sample` and the KSPConvergedReason).
  DarcySolveInfo solve(double const* a_owned, double* u_owned, index_t sample = 0, double const* f_owned = nullptr);

  /// Full-grid array on `root` (C order, N^d values) from every rank's owned block; empty on
  /// other ranks. Collective on comm().
  std::vector<double> gather(double const* owned, int root = 0) const;

  /// KSP and PC types and tolerances in effect (after the PETSc options were applied).
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
