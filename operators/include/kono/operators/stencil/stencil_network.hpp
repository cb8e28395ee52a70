#pragma once
/// kono::StencilNetwork: the CNN of the learned finite-volume solvers (Kochkov et al. 2021): periodic
/// 3x3 convolutions with an activation, optionally each followed by CAPE's parameter-guided channel
/// attention (Takamoto et al. 2023), ending in a convolution to the raw stencil outputs.
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/sequential.hpp>

namespace kono {

/// Input [B, features + P, n, n] whose last P channels are the (spatially constant) PDE parameters;
/// output [B, out_channels, n, n]. Hidden layers: conv (periodic padding) -> activation ->
/// channel_attention over [hidden, parameters] when `attention`; then a final conv.
template <class MemorySpace, class Scalar>
class StencilNetwork final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  struct Options {
    int in_channels = 4;       ///< including the `parameters` trailing channels
    int parameters = 2;        ///< P >= 0 (attention needs P >= 1)
    int hidden = 32;           ///< channels of the hidden layers
    int layers = 4;            ///< hidden conv layers (>= 1), plus the output conv
    int kernel = 3;            ///< odd kernel size of every conv
    int out_channels = 4;
    std::string activation = "gelu";
    bool attention = false;    ///< CAPE channel attention after every hidden layer
    int attention_hidden = 32; ///< width of the attention MLP
    /// No padding along y (axis 2): each conv drops kernel - 1 rows, so an input block with
    /// reach() halo rows on each side gives its interior rows (domain decomposition in y).
    bool valid_rows = false;
  };
  /// Throws Error{invalid_argument} naming the bad option.
  explicit StencilNetwork(Options const& options);
  /// From {"type": "stencil_network", <Options keys>}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);
  std::string type_name() const override { return "stencil_network"; }
  LayerConfig config() const override;
  /// [B, out_channels, ny, nx], or ny - 2 reach() rows with valid_rows.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "conv<l>.*", "attention<l>.*"
  void initialize_parameters(std::uint64_t seed) const override;
  Options const& options() const noexcept { return m_options; }
  /// Receptive radius in cells (halo a decomposed evaluation needs): layers+1 times kernel/2.
  int reach() const noexcept { return (m_options.layers + 1) * (m_options.kernel / 2); }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override;

 private:
  std::vector<base*> children() const;
  Options m_options;
  std::vector<std::unique_ptr<base>> m_convs, m_activations, m_attention;
  LayerWorkspace<MemorySpace, Scalar> m_workspace;
};

}  // namespace kono
