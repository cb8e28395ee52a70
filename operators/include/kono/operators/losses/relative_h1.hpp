#pragma once
/// kono::RelativeH1Loss: neuralop's relative H1 (Sobolev) loss with finite-difference gradients.
#include <string>
#include <vector>

#include <kono/operators/losses/loss.hpp>
#include <kono/operators/losses/relative_lp.hpp>  // GroupSumsWorkspace

namespace kono {

/// Options of RelativeH1Loss. A list with one value applies to every spatial axis; an empty list
/// means the default. Axis order is that of the tensor (x = first spatial axis).
struct RelativeH1Options {
  double eps = 1e-8;               ///< added to the target norm (neuralop's default)
  bool per_channel = false;        ///< one ratio per channel, summed (neuralop's reduction)
  std::vector<bool> periodic;      ///< per axis; default true (neuralop's periodic_in_x/y/z)
  std::vector<double> measure;     ///< domain length per axis; h = measure / n; default 1
  std::vector<double> spacing;     ///< fixed h per axis instead of measure / n (not with measure)
};

/// Per sample n, with e = pred_n - y_n and D_a the first difference along spatial axis a:
///   r_n = sqrt(sum e^2 + sum_a sum (D_a e)^2) / (sqrt(sum y^2 + sum_a sum (D_a y)^2) + eps),
/// sums over all channels and points (per_channel: one ratio per channel, summed over channels,
/// which is neuralop's H1Loss(d)(reduction="sum") on one sample; equal for C = 1).
/// D_a f_i = (f_{i+1} - f_{i-1}) / (2 h_a) with periodic wrap (torch.roll) on periodic axes; on
/// non-periodic axes the ends use neuralop's FiniteDiff third-order one-sided stencils
/// (-11 f0 + 18 f1 - 9 f2 + 2 f3) / (6h) and (-2 f_{n-4} + 9 f_{n-3} - 18 f_{n-2} + 11 f_{n-1}) / (6h).
/// As in neuralop's H1Loss.rel, h enters only through D (no h^d quadrature factor, which would
/// cancel) and h_a defaults to 1 / n_a. Tensors are [N, C, x], [N, C, x, y] or [N, C, x, y, z];
/// non-periodic axes need n_a >= 4. Throws Error{invalid_argument} for bad options or sizes,
/// Error{size_mismatch} for per-axis lists of the wrong length, Error{non_finite} for a zero
/// target norm with eps = 0. At pred = y the gradient is taken as 0.
/// Config {"type": "h1", "eps", "per_channel", "periodic", "measure", "h"}.
template <class MemorySpace, class Scalar>
class RelativeH1Loss final : public Loss<MemorySpace, Scalar> {
 public:
  using base_type = Loss<MemorySpace, Scalar>;
  using typename base_type::execution_space;
  using typename base_type::tensor_type;
  using typename base_type::values_view;

  /// Throws Error{invalid_argument} for eps < 0, measure or spacing <= 0, or both given.
  explicit RelativeH1Loss(RelativeH1Options options = {});

  std::string name() const override { return "h1"; }
  LayerConfig config() const override;
  RelativeH1Options const& options() const noexcept { return m_options; }

 protected:
  void per_sample_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target,
                       values_view const& out) const override;
  void backward_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target, double scale,
                     tensor_type const& dpred) const override;
  void check_shape(Shape const& shape, char const* where) const override;

 private:
  RelativeH1Options m_options;
  mutable Impl::GroupSumsWorkspace<MemorySpace> m_work;
};

}  // namespace kono
