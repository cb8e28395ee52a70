#pragma once
/// kono::DiscretizedConv: a convolution whose kernel is defined on a reference grid and mapped to
/// the spacing of each input, so that it approximates one continuous operator at every resolution
/// (the recipes of Berner et al., "Principled approaches for extending neural architectures to
/// function spaces for operator learning", 2025). On the reference grid it equals kono::Conv.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/conv_common.hpp>
#include <kono/operators/resolution/grid_transfer.hpp>

namespace kono {

/// How the stored kernel (taps at the reference spacing h0) becomes the kernel at spacing h,
/// with r = h / h0 per axis:
/// - differential: the kernel is its sum at the centre (a pointwise part, kept) plus finite-difference
///   stencils: its odd part about the centre (first derivatives) scaled by 1/r and, for order 2, its
///   even zero-sum part (second derivatives) scaled by 1/r^2 (order 1: every zero-sum part by 1/r). Taps stay k.
/// - interpolated: the kernel is the piecewise-linear function through its taps (zero one tap
///   beyond), sampled at spacing h over the same physical support, times the quadrature weight r
///   per axis. Taps grow to about k / r.
/// - integral: each tap is the kernel's integral over its reference cell; the taps at spacing h are
///   the cell overlaps (a conservative, box-basis quadrature): the kernel's sum is kept exactly at
///   any ratio, finer or coarser.
enum class KernelDiscretization { differential, interpolated, integral };

/// "differential", "interpolated", "integral".
char const* to_string(KernelDiscretization d) noexcept;
/// Parses a discretisation name; throws Error{invalid_argument} naming `where` otherwise.
KernelDiscretization kernel_discretization_from_string(std::string const& name, std::string const& where);

/// Options of a discretized convolution; config keys are the member names.
struct DiscretizedConvParams {
  int dim = 2;            ///< spatial dimensions, 1..3
  int in_channels = 0;
  int out_channels = 0;
  std::vector<int> kernel;                ///< odd kernel extent per axis at the reference spacing
  std::vector<PaddingMode> padding_mode;  ///< default zero; periodic axes are periodic grids (x_i = i/n)
  bool bias = true;
  KernelDiscretization discretization = KernelDiscretization::integral;
  int order = 2;                          ///< differential only: highest derivative order, 1 or 2
  std::vector<int> reference_extents;     ///< the grid (points per axis) the stored kernel applies to
  GridPoints grid = GridPoints::nodes;    ///< where non-periodic axes put their points (periodic axes: periodic)

  /// Throws Error{invalid_argument} naming the key, e.g. "kono::discretized_conv: kernel[0] must be odd".
  void validate() const;
  /// Validated copy with every per-axis vector holding `dim` entries.
  DiscretizedConvParams normalized() const;
  /// From {"type": "discretized_conv", "dim": 2, "in_channels": 2, "out_channels": 3, "kernel": 3,
  /// "discretization": "integral", "reference_extents": [32, 32], ...}. Throws Error{invalid_argument}.
  static DiscretizedConvParams from_config(LayerConfig const& cfg);
  LayerConfig to_config() const;  ///< from_config(to_config()) reproduces the layer
};

/// y = conv_h(x) + bias with the kernel mapped to x's spacing (stride 1, "same" output size).
/// Non-periodic axes follow `grid` (nodes: h/h0 = (ref-1)/(n-1); half_open: ref/n), periodic
/// axes have h/h0 = ref/n. Parameters as kono::Conv: "weight" [out, in, k...], "bias" [out].
/// On the reference grid the layer runs its kono::Conv as is; at another grid it maps the kernel
/// (a small Kokkos kernel), runs a kono::Conv of the mapped size, and maps the weight gradient back.
/// Mapped kernels and their convolutions are cached per input grid: steady-state calls allocate
/// nothing. Not collective.
template <class MemorySpace, class Scalar>
class DiscretizedConv final : public Layer<MemorySpace, Scalar> {
  using base = Layer<MemorySpace, Scalar>;

 public:
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for invalid params (see DiscretizedConvParams::validate).
  explicit DiscretizedConv(DiscretizedConvParams const& params);
  ~DiscretizedConv() override;
  static std::unique_ptr<base> from_config(LayerConfig const& cfg) {
    return std::make_unique<DiscretizedConv>(DiscretizedConvParams::from_config(cfg));
  }
  DiscretizedConvParams const& params() const noexcept { return m_options; }  ///< normalized options

  std::string type_name() const override { return "discretized_conv"; }
  LayerConfig config() const override { return m_options.to_config(); }
  /// Throws Error{size_mismatch} for a wrong rank or channel count, or a grid too small for the
  /// mapped kernel's periodic/reflect padding; names the shape.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;
  /// As kono::Conv: U(+-1/sqrt(in*prod(k))) for weight and bias.
  void initialize_parameters(std::uint64_t seed) const override;
  /// Spacing ratio h/h0 per axis for spatial extents `extents`.
  std::vector<double> spacing_ratios(std::vector<index_t> const& extents) const;
  /// The kernel extents used at spatial extents `extents` (the reference kernel on the reference grid).
  std::vector<int> mapped_kernel(std::vector<index_t> const& extents) const;

  struct Variant;  ///< mapped kernel, its buffers and its kono::Conv, for one input grid

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override;

 private:
  Variant& variant(std::vector<index_t> const& extents) const;
  DiscretizedConvParams m_options;
  std::unique_ptr<Conv<MemorySpace, Scalar>> m_reference;
  mutable std::map<std::vector<index_t>, std::unique_ptr<Variant>> m_variants;
};

extern template class DiscretizedConv<DefaultMemorySpace, float>;
extern template class DiscretizedConv<DefaultMemorySpace, double>;

namespace Impl {
/// Registers "discretized_conv" for float and double in DefaultMemorySpace.
void register_discretized_conv_layers();
/// The 1-D kernel map (rows: mapped taps, cols: reference taps) of the interpolated or integral
/// discretisation of a k-tap kernel at spacing ratio r; row-major. For tests and the layer.
std::vector<double> kernel_map_1d(KernelDiscretization d, int k, double r, int& mapped_taps);
}  // namespace Impl

}  // namespace kono
