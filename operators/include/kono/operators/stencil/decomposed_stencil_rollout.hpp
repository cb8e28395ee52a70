#pragma once
/// kono::DecomposedStencilRollout: a trained StencilRollout (learned_stencil, tsm, or the classical
/// solver) rolled out on a grid split into blocks of rows over MPI ranks, as a domain-decomposed
/// simulation code would call it: each rank holds its rows, the network reads a halo of its
/// receptive radius, the solver one of the stencil reach (DecomposedCoarseNavierStokes).
#include <mpi.h>

#include <functional>
#include <memory>

#include <kono/operators/stencil/decomposed_coarse_navier_stokes.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
class DecomposedStencilRollout {
 public:
  using execution_space = typename MemorySpace::execution_space;
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using model_type = StencilRollout<MemorySpace, Scalar>;

  /// Splits the n rows over `comm` like DecomposedCoarseNavierStokes. Shares `model`'s parameters
  /// (keep the model alive). Collective; throws Error{invalid_argument} when a rank would own
  /// fewer rows than the network's receptive radius or the stencil reach.
  DecomposedStencilRollout(model_type const& model, int n, MPI_Comm comm);
  ~DecomposedStencilRollout();

  /// As StencilRollout::rollout on this rank's rows: x [B, C, rows(), n] (StencilInputLayout),
  /// on_step(k, u) with u [B, 2, rows(), n]. Forward only; no blow-up check (use the serial
  /// rollout for diagnostics). Collective.
  void rollout(execution_space const& space, tensor_type const& x, int steps,
               std::function<void(int, tensor_type const&)> const& on_step) const;

  int rows() const noexcept { return m_solver.rows(); }
  int row_begin() const noexcept { return m_solver.row_begin(); }
  /// Halo rows the network reads (0 for the classical solver).
  int network_halo() const noexcept { return m_reach; }
  /// This rank's rows of a global field [B, C, n, n]; the global field from every rank's rows.
  tensor_type local_rows(execution_space const& space, tensor_type const& global) const {
    return m_solver.local_rows(space, global);
  }
  tensor_type gather(execution_space const& space, tensor_type const& local) const { return m_solver.gather(space, local); }

 private:
  model_type const& m_model;
  stencil::DecomposedCoarseNavierStokes<MemorySpace, Scalar> m_solver;
  std::unique_ptr<Layer<MemorySpace, Scalar>> m_network;  // valid_rows copy bound to the model's parameters
  std::unique_ptr<HippoLegT<MemorySpace, Scalar>> m_hippo;
  int m_reach = 0;
  MPI_Comm m_comm;
  int m_lower = MPI_PROC_NULL, m_upper = MPI_PROC_NULL;
};

}  // namespace kono
