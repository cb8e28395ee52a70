#pragma once
/// Pointwise linear layer (1x1 convolution, channel mixing) with optional bias; on [N, C] it
/// is a dense layer. y[n, o, p] = sum_i W[o, i] x[n, i, p] + b[o].
#include <kono/operators/layer.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
class Linear final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for non-positive channel counts.
  Linear(int in_channels, int out_channels, bool bias = true);
  /// From {"type": "linear", "in_channels", "out_channels", "bias"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "linear"; }
  LayerConfig config() const override;
  /// [N, in, spatial...] -> [N, out, spatial...]; rank >= 2.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "weight" [out, in], "bias" [out]
  void initialize_parameters(std::uint64_t seed) const override;  ///< PyTorch's nn.Linear default

  /// Use the portable Kokkos kernels even where host BLAS is available (tests and benchmarks
  /// compare the two paths; on a device build the Kokkos kernels are the only path).
  void use_portable_kernels(bool on) noexcept { m_portable = on; }
  int in_channels() const noexcept { return m_in; }
  int out_channels() const noexcept { return m_out; }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  int m_in, m_out;
  bool m_bias;
  bool m_portable = false;
};

}  // namespace kono
