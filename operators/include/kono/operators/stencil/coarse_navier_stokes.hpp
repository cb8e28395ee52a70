#pragma once
/// Differentiable coarse finite-volume solver for 2D incompressible Navier-Stokes (Kolmogorov
/// flow) on kono's periodic MAC grid, with learnable interpolation stencils for the advected
/// values (stencil_geometry.hpp fixes the grid, the flux form and the taps).
#include <memory>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>
#include <kono/core/types.hpp>
#include <kono/operators/stencil/coarse_solver_options.hpp>
#include <kono/operators/stencil/pressure_projection.hpp>
#include <kono/operators/stencil/stencil_geometry.hpp>

namespace kono {
namespace stencil {

/// One step of dt of du/dt = F(u) = -div(flux) + nu lap(u) + f - drag u, then the projection:
/// euler u' = P(u + dt F(u)) or Shu-Osher SSP-RK3 with P after every stage. The flux is that of
/// stencil_geometry.hpp with advected values q_t = sum_k c[t T + k] * source at tap k; an empty
/// coefficient tensor means the classical linear stencil (linear_coefficient) on a fast path.
/// Tensors: u [B, 2, n, n] (u at x-faces, v at y-faces), coefficients [B, 4 T, n, n] with
/// T = taps(), held fixed over the stages of a step, params [B, 2] = (nu, forcing amplitude A).
/// Scratch is allocated on the first call for a batch size and reused; not thread-safe.
/// Nothing is collective. Shape errors throw Error{size_mismatch}.
template <class MemorySpace, class Scalar>
class CoarseNavierStokes {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::stencil::CoarseNavierStokes: MemorySpace must be a Kokkos memory space");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using tensor_type = Tensor<MemorySpace, Scalar>;

  /// Validates the options (Error{invalid_argument}); needs n >= 2 stencil_reach(S).
  CoarseNavierStokes(CoarseSolverOptions const& options, int n);
  ~CoarseNavierStokes();
  CoarseNavierStokes(CoarseNavierStokes&&) noexcept;
  CoarseNavierStokes& operator=(CoarseNavierStokes&&) noexcept;

  /// u_out = one time step from u_in. u_out may be u_in.
  void step(execution_space const& space, tensor_type const& u_in, tensor_type const& coeffs, tensor_type const& params,
            tensor_type const& u_out) const;

  /// Reverse mode of step() at (u_in, coeffs, params): du_in = (d u_out / d u_in)^T du_out and
  /// dcoeffs (=, or += when accumulate_dcoeffs) (d u_out / d coeffs)^T du_out; dcoeffs empty
  /// skips it. Recomputes the stages from u_in, so a rollout stores one state per step.
  /// du_in may be du_out. No gradient with respect to params.
  void step_backward(execution_space const& space, tensor_type const& u_in, tensor_type const& coeffs,
                     tensor_type const& params, tensor_type const& du_out, tensor_type const& du_in,
                     tensor_type const& dcoeffs, bool accumulate_dcoeffs) const;

  /// F(u) without the projection, into tendency [B, 2, n, n] (for diagnostics and tests).
  void tendency(execution_space const& space, tensor_type const& u, tensor_type const& coeffs,
                tensor_type const& params, tensor_type const& tendency) const;

  /// w [B, 1, n, n] at the corners: w[j][i] = (v[j][i] - v[j][i-1]) / h - (u[j][i] - u[j-1][i]) / h.
  void vorticity(execution_space const& space, tensor_type const& u, tensor_type const& w) const;

  /// max(|u|, |v|) dt / h over the batch, NaNs skipped (a device reduction; fences `space`).
  double max_cfl(execution_space const& space, tensor_type const& u) const;

  /// Throws Error{non_finite} naming `step`, the sample, the cell (j, i), the component and the
  /// value of the first NaN/Inf (in memory order), else Error{invalid_argument} naming the
  /// step, sample, cell and CFL number when max_cfl > cfl_limit. Device reductions; fences.
  void check_state(execution_space const& space, tensor_type const& u, long step, double cfl_limit) const;

  int n() const noexcept { return m_n; }
  double h() const noexcept { return m_h; }
  int taps() const noexcept { return taps_per_target(m_options.stencil_size); }  ///< T per target
  CoarseSolverOptions const& options() const noexcept { return m_options; }
  PressureProjection<MemorySpace, Scalar> const& projection() const noexcept { return m_projection; }

 private:
  struct Workspace;  // stage states and adjoint scratch for one batch size
  Workspace& workspace(index_t batch) const;
  void check_inputs(char const* where, tensor_type const& u, tensor_type const& coeffs,
                    tensor_type const& params) const;

  CoarseSolverOptions m_options;
  int m_n = 0;
  double m_h = 0;
  PressureProjection<MemorySpace, Scalar> m_projection;
  mutable std::unique_ptr<Workspace> m_work;
};

}  // namespace stencil
}  // namespace kono
