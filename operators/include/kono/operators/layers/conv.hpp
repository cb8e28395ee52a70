#pragma once
/// kono::Conv: N-d (1, 2, 3) convolution with per-axis zero, periodic or reflect padding,
/// PyTorch nn.Conv{1,2,3}d semantics (cross-correlation, weight [out, in, k...]).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/conv_common.hpp>

namespace kono {

/// Options of a convolution; config keys are the member names. A per-axis vector may be empty
/// (default on every axis) or hold one value (all axes); normalized() expands it to `dim`.
struct ConvParams {
  int dim = 2;  ///< spatial dimensions, 1..3
  int in_channels = 0;
  int out_channels = 0;
  std::vector<int> kernel;                ///< kernel extent per axis (required)
  std::vector<int> stride;                ///< default 1
  std::vector<int> dilation;              ///< default 1
  std::vector<int> padding;               ///< default (dilation*(kernel-1))/2: "same" size for odd kernels
  std::vector<PaddingMode> padding_mode;  ///< default zero; one per axis for mixed boundary conditions
  bool bias = true;

  /// Throws Error{invalid_argument} naming the key, e.g. "kono::conv: kernel[0] must be positive".
  void validate() const;
  /// Validated copy with every per-axis vector holding `dim` entries.
  ConvParams normalized() const;
  /// From {"type": "conv", "dim": 2, "in_channels": 2, "out_channels": 3, "kernel": 3, ...};
  /// per-axis keys take a number or an array, "padding" also "same". Throws Error{invalid_argument}.
  static ConvParams from_config(LayerConfig const& cfg);
  /// Full per-axis configuration; from_config(to_config()) reproduces the layer.
  LayerConfig to_config() const;
};

/// y = conv(x) + bias for x [N, in_channels, n...] (dim spatial axes), y [N, out_channels, m...]
/// with m = floor((n + 2p - d(k-1) - 1)/s) + 1. Parameters: "weight" [out, in, k...], then
/// "bias" [out]. Not collective.
template <class MemorySpace, class Scalar>
class Conv final : public Layer<MemorySpace, Scalar> {
  using base = Layer<MemorySpace, Scalar>;

 public:
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for invalid params (see ConvParams::validate).
  explicit Conv(ConvParams const& params);
  /// The layer for a "conv" configuration (see ConvParams::from_config); for the registry.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg) {
    return std::make_unique<Conv>(ConvParams::from_config(cfg));
  }
  ConvParams const& params() const noexcept { return m_options; }  ///< normalized options

  std::string type_name() const override { return "conv"; }
  LayerConfig config() const override { return m_options.to_config(); }
  /// Throws Error{size_mismatch} for a wrong rank or channel count, an empty spatial axis, an input
  /// smaller than the dilated kernel, or periodic pad > extent / reflect pad >= extent; names the shape.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;
  /// PyTorch's default: U(+-1/sqrt(in*prod(k))) for weight (seed) and bias (child_seed(seed, 1)).
  void initialize_parameters(std::uint64_t seed) const override;
  /// Use the portable Kokkos kernels even where host BLAS (im2col + GEMM) is available (tests and
  /// benchmarks compare the two paths; on a device build the Kokkos kernels are the only path).
  void use_portable_kernels(bool on) noexcept { m_portable = on; }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  /// Reads the forward input through the Context (shared storage: keep x unchanged until then).
  /// Throws Error{size_mismatch} if dy or dx do not match the forward shapes.
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  std::size_t weight_size() const;
  ConvParams m_options;
  bool m_portable = false;
  /// im2col buffer of the BLAS path, grown to the largest shape seen and then reused, so that
  /// steady-state steps allocate nothing even when one layer runs at several grid sizes.
  mutable Kokkos::View<Scalar*, MemorySpace> m_columns;
};

extern template class Conv<DefaultMemorySpace, float>;
extern template class Conv<DefaultMemorySpace, double>;

namespace Impl {
/// Registers "conv" and "conv_transpose" for float and double in DefaultMemorySpace.
void register_conv_layers();
}  // namespace Impl

}  // namespace kono
