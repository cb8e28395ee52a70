#pragma once
/// kono::Loss: differentiable training losses over [N, C, spatial...] batches. They return
/// per-sample values and their SUM, never a mean, so a data-parallel training loop can shard a
/// global batch over ranks, add the local sums and pass its own scale (1 / global batch) to
/// backward().
#include <string>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/tensor.hpp>
#include <kono/operators/layer_config.hpp>

namespace kono {

/// Loss over a batch: per-sample values in double, their sum, and the gradient with respect to
/// the prediction. Stateless (backward() recomputes what it needs), host-side virtual dispatch
/// with Kokkos kernels inside. Not collective: reduce the sums over ranks yourself.
template <class MemorySpace, class Scalar>
class Loss {
 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using values_view = Kokkos::View<double*, MemorySpace>;  ///< one value per sample

  virtual ~Loss() = default;
  /// Registry key ("mse", "l2", "lp", "h1").
  virtual std::string name() const = 0;
  /// Configuration that recreates this loss through create_loss().
  virtual LayerConfig config() const = 0;

  /// out(n) = loss of sample n of pred vs target, both [N, C, spatial...]; out has extent N.
  /// Throws Error{size_mismatch} naming both shapes when they differ (or out has the wrong
  /// extent), Error{invalid_argument} for shapes the loss cannot handle, and Error{non_finite}
  /// when a relative loss divides by a zero norm.
  void per_sample(execution_space const& space, tensor_type const& pred, tensor_type const& target,
                  values_view const& out) const;
  /// Sum of per_sample() over the N samples (0 for N = 0). Fences `space`.
  double sum(execution_space const& space, tensor_type const& pred, tensor_type const& target) const;
  /// dpred = scale * d(sum over samples)/d(pred), overwritten; dpred has pred's shape.
  /// Throws like per_sample().
  void backward(execution_space const& space, tensor_type const& pred, tensor_type const& target, double scale,
                tensor_type const& dpred) const;

 protected:
  /// Called after the shared shape checks; shapes are equal and of rank >= 2.
  virtual void per_sample_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target,
                               values_view const& out) const = 0;
  virtual void backward_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target,
                             double scale, tensor_type const& dpred) const = 0;
  /// Extra shape requirements of a loss (e.g. H1 needs 1 to 3 spatial axes); throws.
  virtual void check_shape(Shape const& /*shape*/, char const* /*where*/) const {}

 private:
  mutable values_view m_sum_values;  // reused by sum() while the batch size repeats
  void check_inputs(tensor_type const& pred, tensor_type const& target, char const* where) const;
};

}  // namespace kono
