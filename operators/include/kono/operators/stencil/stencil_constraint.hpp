#pragma once
/// Constrained learned interpolation (Kochkov et al., PNAS 2021): maps raw network outputs to
/// stencil coefficients that reproduce constants (and, for accuracy_order 2, linear functions)
/// exactly, whatever the network says.
///
/// Per target (see stencil_geometry.hpp) with T = taps_per_target(S) taps:
///   a = a_linear + N r,
/// a_linear the classical stencil (linear_coefficient(), which satisfies every constraint) and
/// N an orthonormal T x R basis of the null space of the constraint matrix, so the constraints
/// hold for any r. Constraints: order 1: sum_t a_t = 1 (R = T - 1); order 2: also
/// sum_t a_t rx_t = 0 and sum_t a_t ry_t = 0 with (ry, rx) = tap_position() (R = T - 3).
#include <memory>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/stencil/stencil_geometry.hpp>

namespace kono {

/// Layer type "stencil_constraint"; no parameters. Config keys: "stencil_size" (S, even >= 2,
/// default 4), "accuracy_order" (1 or 2, default 1; 2 needs S >= 4: for S = 2 the only taps of
/// a target lie on one line and the linear stencil is the unique solution).
/// Input [B, 4 R, spatial...] (channel target * R + r), output [B, 4 T, spatial...] (channel
/// target * T + tap, tap numbered as in stencil::tap_offset). Zero input gives the linear stencil.
template <class MemorySpace, class Scalar>
class StencilConstraint final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;
  /// [target, tap, r]: the null-space bases (double, computed once on the host).
  using basis_view = Kokkos::View<double***, Kokkos::LayoutRight, MemorySpace>;
  /// [target, tap]: the classical linear stencil.
  using linear_view = Kokkos::View<double**, Kokkos::LayoutRight, MemorySpace>;

  /// Builds the null-space bases (modified Gram-Schmidt on the host, deterministic).
  /// Throws Error{invalid_argument} for odd or < 2 stencil_size, accuracy_order not 1 or 2, or
  /// accuracy_order 2 with stencil_size 2.
  explicit StencilConstraint(int stencil_size = 4, int accuracy_order = 1);
  /// From {"type": "stencil_constraint", "stencil_size", "accuracy_order"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "stencil_constraint"; }
  LayerConfig config() const override {
    return {{"type", "stencil_constraint"}, {"stencil_size", m_size}, {"accuracy_order", m_order}};
  }
  /// [B, 4 R, spatial...] -> [B, 4 T, spatial...]; throws Error{size_mismatch} naming the layer.
  Shape output_shape(Shape const& in) const override;

  int stencil_size() const noexcept { return m_size; }
  int accuracy_order() const noexcept { return m_order; }
  int taps() const noexcept { return m_taps; }          ///< T = S (S - 1)
  int free_parameters() const noexcept { return m_free; }  ///< R per target
  int num_constraints() const noexcept { return m_order == 1 ? 1 : 3; }
  /// The basis N [4, T, R] (orthonormal columns per target) and a_linear [4, T], for tests.
  basis_view const& null_space_basis() const noexcept { return m_basis; }
  linear_view const& linear_stencil() const noexcept { return m_linear; }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  /// dx = N^T dy per target (the layer is affine: no context needed beyond the input shape).
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  int m_size, m_order, m_taps, m_free;
  basis_view m_basis;
  linear_view m_linear;
};

namespace Impl {
/// Registers the learned-stencil layer types ("stencil_constraint", "channel_attention") for
/// float and double; called by register_builtin_layers().
void register_stencil_layers();
}  // namespace Impl

}  // namespace kono
