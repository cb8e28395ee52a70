#pragma once
/// kono::ConvTranspose: N-d (1, 2, 3) transposed convolution, PyTorch nn.ConvTranspose{1,2,3}d
/// semantics (weight [in, out, k...], padding crops the output). The adjoint of kono::Conv.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/conv_common.hpp>

namespace kono {

/// Options of a transposed convolution; config keys are the member names. Per-axis vectors as
/// in ConvParams (empty: default, one value: every axis). Only zero padding exists here.
struct ConvTransposeParams {
  int dim = 2;  ///< spatial dimensions, 1..3
  int in_channels = 0;
  int out_channels = 0;
  std::vector<int> kernel;          ///< kernel extent per axis (required)
  std::vector<int> stride;          ///< default 1
  std::vector<int> dilation;        ///< default 1
  std::vector<int> padding;         ///< cropped from each side of the output; default 0
  std::vector<int> output_padding;  ///< added at the high end; default 0, < max(stride, dilation)
  bool bias = true;

  /// Throws Error{invalid_argument} naming the key, e.g. "kono::conv_transpose: stride[1] must be positive".
  void validate() const;
  /// Validated copy with every per-axis vector holding `dim` entries.
  ConvTransposeParams normalized() const;
  /// From {"type": "conv_transpose", "dim": 2, "in_channels": 4, "out_channels": 2, "kernel": 4,
  /// "stride": 2, "padding": 1}; per-axis keys take a number or an array. Throws Error{invalid_argument}.
  static ConvTransposeParams from_config(LayerConfig const& cfg);
  /// Full per-axis configuration; from_config(to_config()) reproduces the layer.
  LayerConfig to_config() const;
};

/// y = conv_transpose(x) + bias for x [N, in_channels, n...], y [N, out_channels, m...] with
/// m = (n-1)s - 2p + d(k-1) + output_padding + 1 (kernel 4, stride 2, padding 1 doubles n).
/// Parameters: "weight" [in, out, k...], then "bias" [out]. Not collective.
template <class MemorySpace, class Scalar>
class ConvTranspose final : public Layer<MemorySpace, Scalar> {
  using base = Layer<MemorySpace, Scalar>;

 public:
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for invalid params (see ConvTransposeParams::validate).
  explicit ConvTranspose(ConvTransposeParams const& params);
  /// The layer for a "conv_transpose" configuration (see ConvTransposeParams::from_config); for the registry.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg) {
    return std::make_unique<ConvTranspose>(ConvTransposeParams::from_config(cfg));
  }
  ConvTransposeParams const& params() const noexcept { return m_options; }  ///< normalized options

  std::string type_name() const override { return "conv_transpose"; }
  LayerConfig config() const override { return m_options.to_config(); }
  /// Throws Error{size_mismatch} for a wrong rank or channel count, an empty spatial axis or an
  /// empty output; names the shape.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;
  /// PyTorch's default: U(+-1/sqrt(out*prod(k))) for weight (seed) and bias (child_seed(seed, 1)).
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
  ConvTransposeParams m_options;
  bool m_portable = false;
  /// im2col buffer of the BLAS path, grown to the largest shape seen and then reused, so that
  /// steady-state steps allocate nothing even when one layer runs at several grid sizes.
  mutable Kokkos::View<Scalar*, MemorySpace> m_columns;
};

extern template class ConvTranspose<DefaultMemorySpace, float>;
extern template class ConvTranspose<DefaultMemorySpace, double>;

}  // namespace kono
