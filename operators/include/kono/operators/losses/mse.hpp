#pragma once
/// kono::MseLoss: per-sample mean squared error (PyTorch's mse_loss without the batch mean).
#include <string>

#include <kono/operators/losses/loss.hpp>

namespace kono {

/// Per sample n: mean over (C, spatial) of (pred - target)^2, i.e. neuralop's MSELoss before its
/// batch reduction. Config {"type": "mse"}. Not collective; throws as Loss does.
template <class MemorySpace, class Scalar>
class MseLoss final : public Loss<MemorySpace, Scalar> {
 public:
  using base_type = Loss<MemorySpace, Scalar>;
  using typename base_type::execution_space;
  using typename base_type::tensor_type;
  using typename base_type::values_view;

  std::string name() const override { return "mse"; }
  LayerConfig config() const override { return LayerConfig{{"type", "mse"}}; }

 protected:
  void per_sample_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target,
                       values_view const& out) const override;
  /// dpred = scale * 2 (pred - target) / (C * spatial size).
  void backward_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target, double scale,
                     tensor_type const& dpred) const override;
};

}  // namespace kono
