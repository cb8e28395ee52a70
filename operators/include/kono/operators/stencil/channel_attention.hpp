#pragma once
/// Parameter-guided channel attention (CAPE, Takamoto et al. 2023, "Learning Neural PDE Solvers
/// with Parameter-Guided Channel Attention"): the PDE parameters of each sample (viscosity,
/// forcing amplitude, ...) scale the feature channels, so one network serves a family of PDEs.
#include <memory>
#include <vector>

#include <kono/operators/layer.hpp>

namespace kono {

/// Layer type "channel_attention". Input [B, C + P, spatial...]: C feature channels followed
/// by P channels holding the (spatially constant) PDE parameters of each sample, e.g. log10 nu
/// and the forcing amplitude. Each parameter is read as the spatial mean of its channel, then
///   s = 2 sigmoid(W2 gelu(W1 p + b1) + b2) in R^C,  y[b, c, .] = x[b, c, .] * s[b, c],
/// output [B, C, spatial...]. The factor 2 with W2 = 0, b2 = 0 at initialisation makes the layer
/// the identity on the features at the start of training (s = 1); W1, b1 start like Linear's.
/// gelu is the exact (erf) one, as the "gelu" layer. Config keys: "channels" (C), "parameters"
/// (P), "hidden" (H, default 32). Parameter slices, in order: "hidden_weight" [H, P],
/// "hidden_bias" [H], "output_weight" [C, H], "output_bias" [C].
/// Backward gives dx for the features and for the parameter channels (each point of parameter
/// channel j gets dL/dp_j / points, through the mean). The MLP runs in double.
template <class MemorySpace, class Scalar>
class ChannelAttention final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} unless channels, parameters and hidden are positive.
  ChannelAttention(int channels, int parameters, int hidden = 32);
  /// From {"type": "channel_attention", "channels", "parameters", "hidden"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "channel_attention"; }
  LayerConfig config() const override {
    return {{"type", "channel_attention"}, {"channels", m_channels}, {"parameters", m_params_in}, {"hidden", m_hidden}};
  }
  /// [B, C + P, spatial...] -> [B, C, spatial...]; throws Error{size_mismatch} naming the layer.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;
  /// W1, b1: U(-1/sqrt(P), 1/sqrt(P)) from the seed (as Linear); W2 = 0, b2 = 0 (identity start).
  void initialize_parameters(std::uint64_t seed) const override;

  int channels() const noexcept { return m_channels; }
  int pde_parameters() const noexcept { return m_params_in; }
  int hidden() const noexcept { return m_hidden; }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  int m_channels, m_params_in, m_hidden;
};

}  // namespace kono
