#pragma once
/// Soft gating (neuraloperator's SoftGating): y[n, c, p] = w[c] x[n, c, p] (+ b[c]); w starts at 1.
#include <kono/operators/layer.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
class SoftGating final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for channels <= 0.
  explicit SoftGating(int channels, bool bias = false);
  /// From {"type": "soft_gating", "channels", "bias"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "soft_gating"; }
  LayerConfig config() const override { return {{"type", "soft_gating"}, {"channels", m_channels}, {"bias", m_bias}}; }
  Shape output_shape(Shape const& in) const override;  ///< [N, channels, spatial...] unchanged
  std::size_t num_parameters() const override { return std::size_t(m_channels) * (m_bias ? 2 : 1); }
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "weight" [C], "bias" [C]
  void initialize_parameters(std::uint64_t seed) const override;  ///< weight 1, bias 0 (as neuraloperator)

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  int m_channels;
  bool m_bias;
};

}  // namespace kono
