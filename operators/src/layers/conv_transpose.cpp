#include <kono/operators/layers/conv_transpose.hpp>

#include <algorithm>
#include <climits>
#include <utility>

#include <kono/operators/impl/conv_kernels.hpp>
#include <kono/operators/initialization.hpp>

#include "conv_blas.hpp"

namespace kono {

// ---------------------------------------------------------------------------------------------
// ConvTransposeParams

namespace {
char const* const where_ct = "kono::conv_transpose";
}  // namespace

void ConvTransposeParams::validate() const {
  std::string const where = where_ct;
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, where << ": dim must be 1, 2 or 3, got " << dim);
  KONO_USER_REQUIRE(in_channels > 0, invalid_argument, where << ": in_channels must be positive, got " << in_channels);
  KONO_USER_REQUIRE(out_channels > 0, invalid_argument,
                    where << ": out_channels must be positive, got " << out_channels);
  KONO_USER_REQUIRE(!kernel.empty(), invalid_argument, where << ": kernel is required");
  (void)Impl::expand_axes(kernel, dim, 1, 1, "kernel", where);
  std::vector<int> const s = Impl::expand_axes(stride, dim, 1, 1, "stride", where);
  std::vector<int> const d = Impl::expand_axes(dilation, dim, 1, 1, "dilation", where);
  (void)Impl::expand_axes(padding, dim, 0, 0, "padding", where);
  std::vector<int> const op = Impl::expand_axes(output_padding, dim, 0, 0, "output_padding", where);
  // PyTorch's rule: a larger output_padding would add rows no input point can reach.
  for (std::size_t a = 0; a < op.size(); ++a)
    KONO_USER_REQUIRE(op[a] < std::max(s[a], d[a]), invalid_argument,
                      where << ": output_padding[" << a << "] = " << op[a] << " must be smaller than stride (" << s[a]
                            << ") or dilation (" << d[a] << ")");
}

ConvTransposeParams ConvTransposeParams::normalized() const {
  validate();
  std::string const where = where_ct;
  ConvTransposeParams p = *this;
  p.kernel = Impl::expand_axes(kernel, dim, 1, 1, "kernel", where);
  p.stride = Impl::expand_axes(stride, dim, 1, 1, "stride", where);
  p.dilation = Impl::expand_axes(dilation, dim, 1, 1, "dilation", where);
  p.padding = Impl::expand_axes(padding, dim, 0, 0, "padding", where);
  p.output_padding = Impl::expand_axes(output_padding, dim, 0, 0, "output_padding", where);
  return p;
}

ConvTransposeParams ConvTransposeParams::from_config(LayerConfig const& cfg) {
  std::string const where = where_ct;
  Impl::check_config_keys(cfg, "conv_transpose",
                          {"dim", "in_channels", "out_channels", "kernel", "stride", "dilation", "padding",
                           "output_padding", "padding_mode", "bias"},
                          where);
  ConvTransposeParams p;
  p.dim = Impl::config_dim(cfg, where);
  p.in_channels = config_get<int>(cfg, "in_channels", where);
  p.out_channels = config_get<int>(cfg, "out_channels", where);
  p.kernel = Impl::config_axes(cfg, "kernel", p.dim, where, {});
  p.stride = Impl::config_axes(cfg, "stride", p.dim, where, {});
  p.dilation = Impl::config_axes(cfg, "dilation", p.dim, where, {});
  p.padding = Impl::config_axes(cfg, "padding", p.dim, where, {});
  p.output_padding = Impl::config_axes(cfg, "output_padding", p.dim, where, {});
  // Accepted for symmetry with "conv" (and PyTorch, which also allows only zeros here).
  if (cfg.contains("padding_mode")) {
    LayerConfig const& m = cfg.at("padding_mode");
    bool ok = m.is_string() || m.is_array();
    if (m.is_string()) ok = padding_mode_from_string(m.get<std::string>(), where) == PaddingMode::zero;
    if (m.is_array())
      for (auto const& e : m)
        ok = ok && e.is_string() && padding_mode_from_string(e.get<std::string>(), where) == PaddingMode::zero;
    KONO_USER_REQUIRE(ok, invalid_argument,
                      where << ": padding_mode " << m.dump() << " is not supported, only \"zero\"");
  }
  p.bias = config_get<bool>(cfg, "bias", where, true);
  return p.normalized();
}

LayerConfig ConvTransposeParams::to_config() const {
  ConvTransposeParams const p = normalized();
  LayerConfig cfg;
  cfg["type"] = "conv_transpose";
  cfg["dim"] = p.dim;
  cfg["in_channels"] = p.in_channels;
  cfg["out_channels"] = p.out_channels;
  cfg["kernel"] = p.kernel;
  cfg["stride"] = p.stride;
  cfg["dilation"] = p.dilation;
  cfg["padding"] = p.padding;
  cfg["output_padding"] = p.output_padding;
  cfg["bias"] = p.bias;
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

namespace {
template <class MemorySpace, class Scalar>
struct ConvTransposeContext final : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;  ///< the forward input (shared storage), for the weight gradient
};

/// The input is the strided (small) grid, the output the large one, read with zero padding:
/// exactly a conv's geometry with the roles of input and output exchanged.
Impl::ConvGeometry conv_transpose_geometry(ConvTransposeParams const& p, Shape const& in, Shape const& out) {
  Impl::ConvGeometry g{};
  for (int ax = 0; ax < 3; ++ax) {
    g.small[ax] = g.large[ax] = g.kernel[ax] = g.stride[ax] = g.dilation[ax] = 1;
    g.pad[ax] = 0;
    g.mode[ax] = Impl::conv_pad_zero;
  }
  for (int a = 0; a < p.dim; ++a) {
    auto const ua = static_cast<std::size_t>(a);
    int const ax = 3 - p.dim + a;
    g.small[ax] = static_cast<int>(in[2 + a]);
    g.large[ax] = static_cast<int>(out[2 + a]);
    g.kernel[ax] = p.kernel[ua];
    g.stride[ax] = p.stride[ua];
    g.dilation[ax] = p.dilation[ua];
    g.pad[ax] = p.padding[ua];
  }
  return g;
}
}  // namespace

template <class MemorySpace, class Scalar>
ConvTranspose<MemorySpace, Scalar>::ConvTranspose(ConvTransposeParams const& params) : m_options(params.normalized()) {}

template <class MemorySpace, class Scalar>
std::size_t ConvTranspose<MemorySpace, Scalar>::weight_size() const {
  std::size_t n = static_cast<std::size_t>(m_options.out_channels) * static_cast<std::size_t>(m_options.in_channels);
  for (int k : m_options.kernel) n *= static_cast<std::size_t>(k);
  return n;
}

template <class MemorySpace, class Scalar>
std::size_t ConvTranspose<MemorySpace, Scalar>::num_parameters() const {
  return weight_size() + (m_options.bias ? static_cast<std::size_t>(m_options.out_channels) : 0);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> ConvTranspose<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<index_t> w{m_options.in_channels, m_options.out_channels};
  for (int k : m_options.kernel) w.push_back(k);
  std::vector<ParameterSlice> slices{{"weight", 0, Shape(w)}};
  if (m_options.bias) slices.push_back({"bias", weight_size(), Shape{m_options.out_channels}});
  return slices;
}

template <class MemorySpace, class Scalar>
void ConvTranspose<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  KONO_USER_REQUIRE(this->m_params.data() != nullptr, wrong_state,
                    "kono::conv_transpose::initialize_parameters: parameters are not bound");
  // PyTorch computes fan_in from weight.size(1), which for a transposed conv is out_channels.
  double fan_in = m_options.out_channels;
  for (int k : m_options.kernel) fan_in *= k;
  std::size_t const nw = weight_size();
  fill_fan_in_uniform(Kokkos::subview(this->m_params, std::make_pair(std::size_t{0}, nw)), fan_in, seed);
  if (m_options.bias)
    fill_fan_in_uniform(Kokkos::subview(this->m_params, std::make_pair(nw, num_parameters())), fan_in,
                        child_seed(seed, 1));
}

template <class MemorySpace, class Scalar>
Shape ConvTranspose<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  ConvTransposeParams const& p = m_options;
  KONO_USER_REQUIRE(in.rank() == p.dim + 2, size_mismatch,
                    "kono::conv_transpose: input of shape "
                        << in.to_string() << " has rank " << in.rank() << ", expected " << p.dim + 2 << " ([N, C, "
                        << p.dim << " spatial axes]) for a " << p.dim << "-d transposed convolution");
  KONO_USER_REQUIRE(in[1] == p.in_channels, size_mismatch,
                    "kono::conv_transpose: input of shape " << in.to_string() << " has " << in[1]
                                                            << " channels, expected in_channels = " << p.in_channels);
  std::vector<index_t> out{in[0], p.out_channels};
  for (int a = 0; a < p.dim; ++a) {
    auto const ua = static_cast<std::size_t>(a);
    index_t const n = in[2 + a];
    KONO_USER_REQUIRE(n >= 1 && n <= INT_MAX / 16, size_mismatch,
                      "kono::conv_transpose: spatial axis " << a << " of input " << in.to_string() << " has extent "
                                                            << n << ", expected 1 to " << INT_MAX / 16);
    index_t const m = (n - 1) * p.stride[ua] - 2 * index_t{p.padding[ua]} +
                      index_t{p.dilation[ua]} * (p.kernel[ua] - 1) + p.output_padding[ua] + 1;
    KONO_USER_REQUIRE(m >= 1 && m <= INT_MAX / 4, size_mismatch,
                      "kono::conv_transpose: input " << in.to_string() << " gives output extent " << m
                                                     << " on spatial axis " << a << " (padding " << p.padding[ua]
                                                     << " crops too much, or the output is too large)");
    out.push_back(m);
  }
  return Shape(out);
}

template <class MemorySpace, class Scalar>
auto ConvTranspose<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                      tensor_type const& y) const -> std::unique_ptr<Context> {
  ConvTransposeParams const& p = m_options;
  Impl::ConvGeometry const g = conv_transpose_geometry(p, x.shape(), y.shape());
  Scalar const* params = this->m_params.data();
  Impl::ConvTensor5<Scalar const, MemorySpace> const w(params, p.in_channels, p.out_channels, g.kernel[0], g.kernel[1],
                                                       g.kernel[2]);
  Impl::ConvVector<Scalar const, MemorySpace> const bias(p.bias ? params + weight_size() : nullptr,
                                                         p.bias ? p.out_channels : 0);
  // Host: im2col + GEMM (conv_blas.hpp), ~30x the direct kernels; those stay the device path.
  bool use_blas = false;
  if constexpr (host_accessible<MemorySpace>) use_blas = !m_portable;
  if (use_blas) {
    space.fence();
    Scalar* columns = Impl::conv_blas_columns(m_columns, Impl::conv_blas_workspace_size(g, p.out_channels));
    Impl::conv_blas_gather_large(g, x.extent(0), p.in_channels, p.out_channels, params, x.data().data(),
                                 y.data().data(), bias.data(), columns);
  } else {
    // A gather over output points, so no two threads add into the same output value.
    Impl::conv_gather_large<execution_space, Scalar, MemorySpace>(
        space, g, w, Impl::conv_view5<Scalar const, MemorySpace>(x.data().data(), x.shape(), p.dim),
        Impl::conv_view5<Scalar, MemorySpace>(y.data().data(), y.shape(), p.dim), bias);
  }
  auto ctx = std::make_unique<ConvTransposeContext<MemorySpace, Scalar>>();
  ctx->x = x;
  return ctx;
}

template <class MemorySpace, class Scalar>
void ConvTranspose<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& ctx,
                                                       tensor_type const& dy, tensor_type const* dx,
                                                       GradientMode mode) const {
  auto const* c = dynamic_cast<ConvTransposeContext<MemorySpace, Scalar> const*>(&ctx);
  KONO_USER_REQUIRE(c != nullptr, invalid_argument,
                    "kono::conv_transpose::backward: the context was not returned by a conv_transpose layer's "
                    "forward");
  ConvTransposeParams const& p = m_options;
  Shape const& in = c->x.shape();
  this->check_output(in, dy, "output gradient");
  KONO_USER_REQUIRE(dx == nullptr || dx->shape() == in, size_mismatch,
                    "kono::conv_transpose: input gradient \"" << dx->label() << "\" has shape "
                                                              << dx->shape().to_string() << ", expected "
                                                              << in.to_string());
  Impl::ConvGeometry const g = conv_transpose_geometry(p, in, dy.shape());
  bool use_blas = false;
  if constexpr (host_accessible<MemorySpace>) use_blas = !m_portable;
  if (use_blas) {
    space.fence();
    Scalar* columns = Impl::conv_blas_columns(m_columns, Impl::conv_blas_workspace_size(g, p.out_channels));
    if (dx != nullptr)
      Impl::conv_blas_gather_small(g, in[0], p.in_channels, p.out_channels, this->m_params.data(), dy.data().data(),
                                   dx->data().data(), static_cast<Scalar const*>(nullptr), columns);
    if (mode == GradientMode::ignore) return;
    bool const accumulate = mode == GradientMode::accumulate;
    Scalar* grads = this->m_grads.data();
    Impl::conv_blas_weight_gradient(g, in[0], p.in_channels, p.out_channels, c->x.data().data(), dy.data().data(),
                                    grads, accumulate, columns);
    if (p.bias)
      Impl::conv_blas_bias_gradient(in[0], p.out_channels, std::ptrdiff_t{g.large[0]} * g.large[1] * g.large[2],
                                    dy.data().data(), grads + weight_size(), accumulate);
    return;
  }
  auto const dyv = Impl::conv_view5<Scalar const, MemorySpace>(dy.data().data(), dy.shape(), p.dim);
  if (dx != nullptr) {
    // The input gradient of a transposed convolution is a plain zero-padded convolution.
    Impl::ConvTensor5<Scalar const, MemorySpace> const w(this->m_params.data(), p.in_channels, p.out_channels,
                                                         g.kernel[0], g.kernel[1], g.kernel[2]);
    Impl::conv_gather_small<execution_space, Scalar, MemorySpace>(
        space, g, w, dyv, Impl::conv_view5<Scalar, MemorySpace>(dx->data().data(), in, p.dim),
        Impl::ConvVector<Scalar const, MemorySpace>());
  }
  if (mode == GradientMode::ignore) return;
  bool const accumulate = mode == GradientMode::accumulate;
  Scalar* grads = this->m_grads.data();
  Impl::ConvTensor5<Scalar, MemorySpace> const dw(grads, p.in_channels, p.out_channels, g.kernel[0], g.kernel[1],
                                                  g.kernel[2]);
  Impl::conv_weight_gradient<execution_space, Scalar, MemorySpace>(
      space, g, Impl::conv_view5<Scalar const, MemorySpace>(c->x.data().data(), in, p.dim), dyv, dw, accumulate);
  if (p.bias)
    Impl::conv_bias_gradient<execution_space, Scalar, MemorySpace>(
        space, dyv, Impl::ConvVector<Scalar, MemorySpace>(grads + weight_size(), p.out_channels), accumulate);
}

KONO_INSTANTIATE_FOR_SCALARS(ConvTranspose)

}  // namespace kono
