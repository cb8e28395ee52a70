#pragma once
/// HiPPO-LegT memory (Gu et al., NeurIPS 2020) for Temporal Stencil Modeling (Sun et al., ICML
/// 2023): each grid cell and channel keeps M Legendre coefficients of its own recent history,
/// a fixed (parameter-free) linear recurrence the learned stencil model reads as features.
///
/// Continuous form (translated Legendre measure, uniform on the window [t - theta, t]):
///   dc/dt = A c + B f,   A_nk = -sqrt(2n+1) sqrt(2k+1) / theta * { 1 if k <= n; (-1)^(n-k) if k > n },
///   B_n = sqrt(2n+1) / theta,
/// as transition('legt') of the reference implementation (HazyResearch/hippo-code). Then
///   f(t - s theta) ~= sum_n c_n sqrt(2n+1) P_n(1 - 2 s),  s in [0, 1]  (s = 0: the newest value).
/// Discretised with the bilinear (Tustin) rule on the host in double:
///   Abar = (I - dt/2 A)^-1 (I + dt/2 A),  Bbar = (I - dt/2 A)^-1 dt B,
///   c_{k+1} = Abar c_k + Bbar f_{k+1}.
/// Because f_{k+1} enters both ends of the trapezoid, c_{k+1} describes the window ending half
/// a step after t_{k+1} (an O(dt) lead: reconstruct(s) estimates f(t_{k+1} + dt/2 - s theta);
/// with M = 16, theta = 1000 dt the test sees 1e-5 against that and 4e-3 against t_{k+1}).
/// Time-invariant and deterministic: the same (M, theta, dt) give bitwise the same matrices.
#include <vector>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>

namespace kono {

/// Fixed HiPPO-LegT recurrence applied independently per sample, channel and grid point.
/// Tensors: f [B, C, spatial...]; states c [B, C*M, spatial...] with channel layout
/// channel * M + m. Not a Layer (no parameters): models call update() once per time step and
/// update_backward() in reverse. Not collective; kernels run on the given execution space.
template <class MemorySpace, class Scalar>
class HippoLegT {
  static_assert(Kokkos::is_memory_space<MemorySpace>::value,
                "kono::HippoLegT: MemorySpace must be a Kokkos memory space");

 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using host_tensor_type = Tensor<Kokkos::HostSpace, Scalar>;
  /// Largest supported order (each kernel thread keeps one state vector in registers).
  static constexpr int max_order = 64;

  /// M = order Legendre coefficients, window theta and step dt in the same time unit (the
  /// window spans theta / dt steps). Throws Error{invalid_argument} unless 1 <= order <=
  /// max_order, theta > 0 and dt > 0.
  HippoLegT(int order, double theta, double dt);

  int order() const noexcept { return m_order; }
  double theta() const noexcept { return m_theta; }
  double dt() const noexcept { return m_dt; }
  /// State shape for signal shape f = [B, C, spatial...]: [B, C*M, spatial...].
  Shape state_shape(Shape const& f) const;
  /// Host copies of Abar (M x M, row-major) and Bbar (M), in double.
  std::vector<double> transition_matrix() const { return m_abar_host; }
  std::vector<double> input_vector() const { return m_bbar_host; }

  /// c_out = Abar c + Bbar f per (sample, channel, point). c_out may be c itself (in place).
  /// Throws Error{size_mismatch} unless c and c_out have state_shape(f.shape()).
  void update(execution_space const& space, tensor_type const& c, tensor_type const& f, tensor_type const& c_out) const;
  /// Adjoint of update(): dc = Abar^T dc_out and df = Bbar^T dc_out, both OVERWRITTEN (add
  /// the gradient arriving at c from elsewhere yourself). dc may be dc_out itself (in place).
  /// Shapes as in update(); throws Error{size_mismatch}.
  void update_backward(execution_space const& space, tensor_type const& dc_out, tensor_type const& dc,
                       tensor_type const& df) const;
  /// f_out[b, ch, .] = sum_m c[b, ch*M + m, .] sqrt(2m+1) P_m(1 - 2 s): the approximated history
  /// a fraction s in [0, 1] of the window back from the newest value (s = 0: the newest).
  /// Throws Error{invalid_argument} for s outside [0, 1], Error{size_mismatch} for shapes.
  void reconstruct(execution_space const& space, tensor_type const& c, tensor_type const& f_out, double s = 0.0) const;

  /// Host helper for preparing training data: runs the recurrence from c = 0 over a reference
  /// trajectory history [T, C, spatial...] (entry k is f at step k) and returns the state after
  /// the last entry, [1, C*M, spatial...]. The window is only fully populated once T >= theta/dt.
  /// Throws Error{size_mismatch} for rank < 2.
  host_tensor_type features_from_history(host_tensor_type const& history) const;

 private:
  void check_shapes(char const* what, Shape const& state, Shape const& signal) const;

  int m_order;
  double m_theta, m_dt;
  std::vector<double> m_abar_host, m_bbar_host;
  Kokkos::View<double**, Kokkos::LayoutRight, MemorySpace> m_abar;
  Kokkos::View<double*, Kokkos::LayoutRight, MemorySpace> m_bbar;
};

}  // namespace kono
