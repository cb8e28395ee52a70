#pragma once
/// The coarse finite-volume Navier-Stokes step of CoarseNavierStokes on a grid split into blocks
/// of rows (y) over MPI ranks, for rollouts on more than one rank.
#include <mpi.h>

#include <memory>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>
#include <kono/meshes/grid_decomposition.hpp>
#include <kono/operators/stencil/coarse_solver_options.hpp>
#include <kono/operators/stencil/pressure_projection.hpp>

namespace kono {
namespace stencil {

/// CoarseNavierStokes::step (same options, flux form and stages) on this rank's rows
/// [row_begin(), row_begin() + rows()) of the n x n grid; x stays whole. Before each stage the
/// velocity halos (stencil_reach(S) rows) are exchanged with the neighbours, the coefficient
/// halos once per step (they are fixed over its stages). The pressure Poisson problem is solved
/// by gathering the divergence to every rank (MPI_Allgatherv, B n^2 values per stage) and
/// running the serial FFT solve there: simple, and the projection stays the serial one, so 1 and
/// P ranks agree to round-off. It does not scale to large n or many ranks (bench_stencil_solver
/// times the Allgatherv next to the halo messages); a distributed FFT would replace it there.
/// Forward only (no step_backward). Not thread-safe; scratch is made once per batch size.
template <class MemorySpace, class Scalar>
class DecomposedCoarseNavierStokes {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::stencil::DecomposedCoarseNavierStokes: MemorySpace must be a Kokkos memory space");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using tensor_type = Tensor<MemorySpace, Scalar>;

  /// Splits the n rows over the ranks of `comm` (the first n % P ranks own one row more).
  /// Collective; throws Error{invalid_argument} for bad options, n < 2 stencil_reach(S), or a
  /// rank owning fewer than stencil_reach(S) rows.
  DecomposedCoarseNavierStokes(CoarseSolverOptions const& options, int n, MPI_Comm comm);
  ~DecomposedCoarseNavierStokes();
  DecomposedCoarseNavierStokes(DecomposedCoarseNavierStokes&&) noexcept;
  DecomposedCoarseNavierStokes& operator=(DecomposedCoarseNavierStokes&&) noexcept;

  /// One step of this rank's rows: u_in, u_out [B, 2, rows(), n] (u_out may be u_in), coeffs
  /// [B, 4 T, rows(), n] or empty (classical stencil), params [B, 2] equal on every rank.
  /// Collective; throws on every rank when any rank's input is bad: Error{size_mismatch} for
  /// shapes or differing batch sizes, Error{invalid_argument} when only some ranks pass
  /// coefficients; Error{mpi}.
  void step(execution_space const& space, tensor_type const& u_in, tensor_type const& coeffs, tensor_type const& params,
            tensor_type const& u_out) const;

  /// This rank's rows [B, C, rows(), n] of a global field [B, C, n, n]. Not collective.
  tensor_type local_rows(execution_space const& space, tensor_type const& global) const;
  /// The global field [B, C, n, n] on every rank from every rank's rows [B, C, rows(), n].
  /// Collective (MPI_Allgatherv); for set-up, diagnostics and tests.
  tensor_type gather(execution_space const& space, tensor_type const& local) const;

  int n() const noexcept { return m_n; }
  int rows() const noexcept { return static_cast<int>(m_decomposition.local_extent(0)); }
  int row_begin() const noexcept { return static_cast<int>(m_decomposition.local_begin(0)); }
  int halo() const noexcept { return m_decomposition.halo_width(); }  ///< stencil_reach(S) rows
  double h() const noexcept { return m_h; }
  int taps() const noexcept;
  CoarseSolverOptions const& options() const noexcept { return m_options; }
  GridDecomposition const& decomposition() const noexcept { return m_decomposition; }

 private:
  struct Workspace;  // halo'd stage states, halo buffers, gathered divergence for one batch size
  Workspace& workspace(index_t batch) const;
  void exchange(execution_space const& space, tensor_type const& field) const;
  void gather_rows(execution_space const& space, tensor_type const& local, tensor_type const& global) const;
  void project(execution_space const& space, tensor_type const& tmp, tensor_type const& out, bool out_has_halo) const;

  CoarseSolverOptions m_options;
  int m_n = 0;
  double m_h = 0;
  GridDecomposition m_decomposition;
  PressureProjection<MemorySpace, Scalar> m_projection;
  mutable std::unique_ptr<Workspace> m_work;
};

}  // namespace stencil
}  // namespace kono
