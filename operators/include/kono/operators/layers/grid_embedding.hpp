#pragma once
/// Grid-coordinate positional embedding (neuraloperator's GridEmbeddingND): appends one channel
/// per spatial axis holding the coordinate x_i = lo + (hi - lo) i / n (n points, end excluded),
/// recomputed from the input's extents, so any resolution works.
#include <kono/operators/layer.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
class GridEmbedding final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// in_channels of the input, `dim` spatial axes (1..3), domain [lo, hi) on every axis.
  /// include_end: x_i = lo + (hi - lo) i / (n - 1) instead (node grids with both ends, so that a
  /// point keeps its coordinate on every grid of kono generate's node convention).
  GridEmbedding(int in_channels, int dim, double lo = 0.0, double hi = 1.0, bool include_end = false);
  /// From {"type": "grid_embedding", "in_channels", "dim", "lo", "hi", "include_end"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "grid_embedding"; }
  LayerConfig config() const override;
  /// [N, C, s_1..s_dim] -> [N, C + dim, s_1..s_dim].
  Shape output_shape(Shape const& in) const override;

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  int m_in, m_dim;
  double m_lo, m_hi;
  bool m_include_end = false;
};

}  // namespace kono
