#include <kono/operators/layers/conv.hpp>

#include <algorithm>
#include <climits>
#include <sstream>
#include <utility>

#include <kono/core/closest_match.hpp>
#include <kono/operators/impl/conv_kernels.hpp>
#include <kono/operators/initialization.hpp>

#include "conv_blas.hpp"

namespace kono {

// ---------------------------------------------------------------------------------------------
// Shared configuration helpers (declared in conv_common.hpp).

char const* to_string(PaddingMode mode) noexcept {
  switch (mode) {
    case PaddingMode::zero:
      return "zero";
    case PaddingMode::periodic:
      return "periodic";
    case PaddingMode::reflect:
      return "reflect";
  }
  return "unknown";
}

PaddingMode padding_mode_from_string(std::string const& name, std::string const& where) {
  if (name == "zero" || name == "zeros") return PaddingMode::zero;
  if (name == "periodic" || name == "circular") return PaddingMode::periodic;
  if (name == "reflect") return PaddingMode::reflect;
  KONO_THROW(invalid_argument, where << ": unknown padding_mode \"" << name << "\""
                                     << known_names_hint(name, {"zero", "periodic", "reflect", "zeros", "circular"}));
}

namespace Impl {

std::string axes_to_string(std::vector<int> const& values) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  os << ']';
  return os.str();
}

std::vector<PaddingMode> config_padding_modes(LayerConfig const& cfg, std::string const& where) {
  std::vector<PaddingMode> modes;
  if (!cfg.contains("padding_mode")) return modes;
  LayerConfig const& m = cfg.at("padding_mode");
  if (m.is_string()) return {padding_mode_from_string(m.get<std::string>(), where)};
  bool ok = m.is_array();
  if (ok)
    for (auto const& e : m) ok = ok && e.is_string();
  KONO_USER_REQUIRE(ok, invalid_argument,
                    where << ": padding_mode must be a string or an array of strings, got " << m.dump());
  for (auto const& e : m) modes.push_back(padding_mode_from_string(e.get<std::string>(), where));
  return modes;
}

std::vector<int> config_axes(LayerConfig const& cfg, std::string const& key, int /*dim*/, std::string const& where,
                             std::vector<int> const& fallback) {
  if (!cfg.is_object() || !cfg.contains(key)) return fallback;
  LayerConfig const& v = cfg.at(key);
  // A single number stays a one-entry vector: expand_axes broadcasts it once dim is validated.
  if (v.is_number_integer()) return {v.get<int>()};
  bool ok = v.is_array();
  if (ok)
    for (auto const& e : v) ok = ok && e.is_number_integer();
  KONO_USER_REQUIRE(ok, invalid_argument,
                    where << ": key \"" << key << "\" must be an integer or an array of integers, got " << v.dump());
  return v.get<std::vector<int>>();
}

int config_dim(LayerConfig const& cfg, std::string const& where) {
  if (cfg.is_object() && cfg.contains("dim")) return config_get<int>(cfg, "dim", where);
  if (cfg.is_object() && cfg.contains("kernel") && cfg.at("kernel").is_array())
    return static_cast<int>(cfg.at("kernel").size());
  KONO_THROW(invalid_argument,
             where << ": missing key \"dim\" (required unless \"kernel\" is an array) in " << cfg.dump());
}

void check_config_keys(LayerConfig const& cfg, std::string const& type, std::vector<std::string> const& known,
                       std::string const& where) {
  KONO_USER_REQUIRE(cfg.is_object(), invalid_argument,
                    where << ": configuration must be a JSON object, got " << cfg.dump());
  // Unknown keys are refused: a misspelt "dilation" silently ignored would train the wrong model.
  for (auto const& item : cfg.items()) {
    KONO_USER_REQUIRE(item.key() == "type" || std::find(known.begin(), known.end(), item.key()) != known.end(),
                      invalid_argument,
                      where << ": unknown key \"" << item.key() << "\"" << known_names_hint(item.key(), known));
  }
  if (cfg.contains("type")) {
    KONO_USER_REQUIRE(
        cfg.at("type").is_string() && cfg.at("type").get<std::string>() == type, invalid_argument,
        where << ": configuration of type " << cfg.at("type").dump() << " given to a \"" << type << "\" layer");
  }
}

std::vector<int> expand_axes(std::vector<int> const& values, int dim, int fallback, int min_value, char const* key,
                             std::string const& where) {
  KONO_USER_REQUIRE(values.empty() || values.size() == 1 || values.size() == static_cast<std::size_t>(dim),
                    invalid_argument,
                    where << ": " << key << " " << axes_to_string(values) << " has " << values.size()
                          << " entries, expected 1 or dim = " << dim);
  std::vector<int> out(static_cast<std::size_t>(dim), values.empty() ? fallback : values[0]);
  if (values.size() > 1) out = values;
  for (int a = 0; a < dim; ++a) {
    int const v = out[static_cast<std::size_t>(a)];
    KONO_USER_REQUIRE(v >= min_value, invalid_argument,
                      where << ": " << key << "[" << a << "] must be " << (min_value > 0 ? "positive" : "non-negative")
                            << ", got " << v);
  }
  return out;
}

}  // namespace Impl

// ---------------------------------------------------------------------------------------------
// ConvParams

namespace {
char const* const conv_where = "kono::conv";

void check_common(int dim, int in_channels, int out_channels, std::vector<int> const& kernel,
                  std::string const& where) {
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, where << ": dim must be 1, 2 or 3, got " << dim);
  KONO_USER_REQUIRE(in_channels > 0, invalid_argument, where << ": in_channels must be positive, got " << in_channels);
  KONO_USER_REQUIRE(out_channels > 0, invalid_argument,
                    where << ": out_channels must be positive, got " << out_channels);
  KONO_USER_REQUIRE(!kernel.empty(), invalid_argument, where << ": kernel is required");
}
}  // namespace

void ConvParams::validate() const {
  check_common(dim, in_channels, out_channels, kernel, conv_where);
  (void)Impl::expand_axes(kernel, dim, 1, 1, "kernel", conv_where);
  (void)Impl::expand_axes(stride, dim, 1, 1, "stride", conv_where);
  (void)Impl::expand_axes(dilation, dim, 1, 1, "dilation", conv_where);
  (void)Impl::expand_axes(padding, dim, 0, 0, "padding", conv_where);
  KONO_USER_REQUIRE(
      padding_mode.size() <= 1 || padding_mode.size() == static_cast<std::size_t>(dim), invalid_argument,
      conv_where << ": padding_mode has " << padding_mode.size() << " entries, expected 1 or dim = " << dim);
}

ConvParams ConvParams::normalized() const {
  validate();
  ConvParams p = *this;
  p.kernel = Impl::expand_axes(kernel, dim, 1, 1, "kernel", conv_where);
  p.stride = Impl::expand_axes(stride, dim, 1, 1, "stride", conv_where);
  p.dilation = Impl::expand_axes(dilation, dim, 1, 1, "dilation", conv_where);
  if (padding.empty()) {
    p.padding.resize(static_cast<std::size_t>(dim));
    for (std::size_t a = 0; a < p.padding.size(); ++a) p.padding[a] = p.dilation[a] * (p.kernel[a] - 1) / 2;
  } else {
    p.padding = Impl::expand_axes(padding, dim, 0, 0, "padding", conv_where);
  }
  p.padding_mode.assign(static_cast<std::size_t>(dim), padding_mode.empty() ? PaddingMode::zero : padding_mode[0]);
  if (padding_mode.size() > 1) p.padding_mode = padding_mode;
  return p;
}

ConvParams ConvParams::from_config(LayerConfig const& cfg) {
  std::string const where = conv_where;
  Impl::check_config_keys(
      cfg, "conv",
      {"dim", "in_channels", "out_channels", "kernel", "stride", "dilation", "padding", "padding_mode", "bias"}, where);
  ConvParams p;
  p.dim = Impl::config_dim(cfg, where);
  p.in_channels = config_get<int>(cfg, "in_channels", where);
  p.out_channels = config_get<int>(cfg, "out_channels", where);
  p.kernel = Impl::config_axes(cfg, "kernel", p.dim, where, {});
  p.stride = Impl::config_axes(cfg, "stride", p.dim, where, {});
  p.dilation = Impl::config_axes(cfg, "dilation", p.dim, where, {});
  if (cfg.contains("padding") && cfg.at("padding").is_string()) {
    KONO_USER_REQUIRE(
        cfg.at("padding").get<std::string>() == "same", invalid_argument,
        where << ": padding must be an integer, an array of integers or \"same\", got " << cfg.at("padding").dump());
  } else {
    p.padding = Impl::config_axes(cfg, "padding", p.dim, where, {});
  }
  p.padding_mode = Impl::config_padding_modes(cfg, where);
  p.bias = config_get<bool>(cfg, "bias", where, true);
  return p.normalized();
}

LayerConfig ConvParams::to_config() const {
  ConvParams const p = normalized();
  LayerConfig modes = LayerConfig::array();
  for (PaddingMode m : p.padding_mode) modes.push_back(to_string(m));
  LayerConfig cfg;
  cfg["type"] = "conv";
  cfg["dim"] = p.dim;
  cfg["in_channels"] = p.in_channels;
  cfg["out_channels"] = p.out_channels;
  cfg["kernel"] = p.kernel;
  cfg["stride"] = p.stride;
  cfg["dilation"] = p.dilation;
  cfg["padding"] = p.padding;
  cfg["padding_mode"] = modes;
  cfg["bias"] = p.bias;
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// Conv

namespace {
template <class MemorySpace, class Scalar>
struct ConvContext final : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;  ///< the forward input (shared storage), for the weight gradient
};

/// Conv output = small grid, input = large grid; the dim axes are the trailing ones of three.
Impl::ConvGeometry conv_geometry(ConvParams const& p, Shape const& in, Shape const& out) {
  Impl::ConvGeometry g{};
  for (int ax = 0; ax < 3; ++ax) {
    g.small[ax] = g.large[ax] = g.kernel[ax] = g.stride[ax] = g.dilation[ax] = 1;
    g.pad[ax] = 0;
    g.mode[ax] = Impl::conv_pad_zero;
  }
  for (int a = 0; a < p.dim; ++a) {
    auto const ua = static_cast<std::size_t>(a);
    int const ax = 3 - p.dim + a;
    g.small[ax] = static_cast<int>(out[2 + a]);
    g.large[ax] = static_cast<int>(in[2 + a]);
    g.kernel[ax] = p.kernel[ua];
    g.stride[ax] = p.stride[ua];
    g.dilation[ax] = p.dilation[ua];
    g.pad[ax] = p.padding[ua];
    g.mode[ax] = static_cast<int>(p.padding_mode[ua]);
  }
  return g;
}
}  // namespace

template <class MemorySpace, class Scalar>
Conv<MemorySpace, Scalar>::Conv(ConvParams const& params) : m_options(params.normalized()) {}

template <class MemorySpace, class Scalar>
std::size_t Conv<MemorySpace, Scalar>::weight_size() const {
  std::size_t n = static_cast<std::size_t>(m_options.out_channels) * static_cast<std::size_t>(m_options.in_channels);
  for (int k : m_options.kernel) n *= static_cast<std::size_t>(k);
  return n;
}

template <class MemorySpace, class Scalar>
std::size_t Conv<MemorySpace, Scalar>::num_parameters() const {
  return weight_size() + (m_options.bias ? static_cast<std::size_t>(m_options.out_channels) : 0);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> Conv<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<index_t> w{m_options.out_channels, m_options.in_channels};
  for (int k : m_options.kernel) w.push_back(k);
  std::vector<ParameterSlice> slices{{"weight", 0, Shape(w)}};
  if (m_options.bias) slices.push_back({"bias", weight_size(), Shape{m_options.out_channels}});
  return slices;
}

template <class MemorySpace, class Scalar>
void Conv<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  KONO_USER_REQUIRE(this->m_params.data() != nullptr, wrong_state,
                    "kono::conv::initialize_parameters: parameters are not bound");
  double fan_in = m_options.in_channels;
  for (int k : m_options.kernel) fan_in *= k;
  std::size_t const nw = weight_size();
  fill_fan_in_uniform(Kokkos::subview(this->m_params, std::make_pair(std::size_t{0}, nw)), fan_in, seed);
  if (m_options.bias)
    fill_fan_in_uniform(Kokkos::subview(this->m_params, std::make_pair(nw, num_parameters())), fan_in,
                        child_seed(seed, 1));
}

template <class MemorySpace, class Scalar>
Shape Conv<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  ConvParams const& p = m_options;
  KONO_USER_REQUIRE(in.rank() == p.dim + 2, size_mismatch,
                    "kono::conv: input of shape " << in.to_string() << " has rank " << in.rank() << ", expected "
                                                  << p.dim + 2 << " ([N, C, " << p.dim << " spatial axes]) for a "
                                                  << p.dim << "-d convolution");
  KONO_USER_REQUIRE(in[1] == p.in_channels, size_mismatch,
                    "kono::conv: input of shape " << in.to_string() << " has " << in[1]
                                                  << " channels, expected in_channels = " << p.in_channels);
  std::vector<index_t> out{in[0], p.out_channels};
  for (int a = 0; a < p.dim; ++a) {
    auto const ua = static_cast<std::size_t>(a);
    index_t const n = in[2 + a];
    index_t const pad = p.padding[ua];
    index_t const span = index_t{p.dilation[ua]} * (p.kernel[ua] - 1) + 1;
    // Kernels index with int; a quarter of the range leaves room for o*s - p + k*d.
    KONO_USER_REQUIRE(n >= 1 && n <= INT_MAX / 4, size_mismatch,
                      "kono::conv: spatial axis " << a << " of input " << in.to_string() << " has extent " << n
                                                  << ", expected 1 to " << INT_MAX / 4);
    // One wrap (periodic) or one mirror (reflect) per side is what PyTorch allows and the kernels assume.
    KONO_USER_REQUIRE(p.padding_mode[ua] != PaddingMode::periodic || pad <= n, size_mismatch,
                      "kono::conv: periodic padding " << pad << " on spatial axis " << a
                                                      << " exceeds the extent of input " << in.to_string());
    KONO_USER_REQUIRE(p.padding_mode[ua] != PaddingMode::reflect || pad < n, size_mismatch,
                      "kono::conv: reflect padding " << pad << " on spatial axis " << a
                                                     << " must be smaller than the extent of input " << in.to_string());
    KONO_USER_REQUIRE(n + 2 * pad >= span, size_mismatch,
                      "kono::conv: input " << in.to_string() << " is too small on spatial axis " << a << ": extent "
                                           << n << " + 2*padding " << pad << " < dilated kernel extent " << span);
    out.push_back((n + 2 * pad - span) / p.stride[ua] + 1);
  }
  return Shape(out);
}

template <class MemorySpace, class Scalar>
auto Conv<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                             tensor_type const& y) const -> std::unique_ptr<Context> {
  ConvParams const& p = m_options;
  Impl::ConvGeometry const g = conv_geometry(p, x.shape(), y.shape());
  Scalar const* params = this->m_params.data();
  Impl::ConvTensor5<Scalar const, MemorySpace> const w(params, p.out_channels, p.in_channels, g.kernel[0], g.kernel[1],
                                                       g.kernel[2]);
  Impl::ConvVector<Scalar const, MemorySpace> const bias(p.bias ? params + weight_size() : nullptr,
                                                         p.bias ? p.out_channels : 0);
  // Host: im2col + GEMM (conv_blas.hpp), ~30x the direct kernels; those stay the device path.
  bool use_blas = false;
  if constexpr (host_accessible<MemorySpace>) use_blas = !m_portable;
  if (use_blas) {
    space.fence();
    Scalar* columns = Impl::conv_blas_columns(m_columns, Impl::conv_blas_workspace_size(g, p.in_channels));
    Impl::conv_blas_gather_small(g, x.extent(0), p.out_channels, p.in_channels, params, x.data().data(),
                                 y.data().data(), bias.data(), columns);
  } else {
    Impl::conv_gather_small<execution_space, Scalar, MemorySpace>(
        space, g, w, Impl::conv_view5<Scalar const, MemorySpace>(x.data().data(), x.shape(), p.dim),
        Impl::conv_view5<Scalar, MemorySpace>(y.data().data(), y.shape(), p.dim), bias);
  }
  auto ctx = std::make_unique<ConvContext<MemorySpace, Scalar>>();
  ctx->x = x;
  return ctx;
}

template <class MemorySpace, class Scalar>
void Conv<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy,
                                              tensor_type const* dx, GradientMode mode) const {
  auto const* c = dynamic_cast<ConvContext<MemorySpace, Scalar> const*>(&ctx);
  KONO_USER_REQUIRE(c != nullptr, invalid_argument,
                    "kono::conv::backward: the context was not returned by a conv layer's forward");
  ConvParams const& p = m_options;
  Shape const& in = c->x.shape();
  this->check_output(in, dy, "output gradient");
  KONO_USER_REQUIRE(dx == nullptr || dx->shape() == in, size_mismatch,
                    "kono::conv: input gradient \"" << dx->label() << "\" has shape " << dx->shape().to_string()
                                                    << ", expected " << in.to_string());
  Impl::ConvGeometry const g = conv_geometry(p, in, dy.shape());
  bool use_blas = false;
  if constexpr (host_accessible<MemorySpace>) use_blas = !m_portable;
  if (use_blas) {
    space.fence();
    Scalar* columns = Impl::conv_blas_columns(m_columns, Impl::conv_blas_workspace_size(g, p.in_channels));
    if (dx != nullptr)
      Impl::conv_blas_gather_large(g, in[0], p.out_channels, p.in_channels, this->m_params.data(), dy.data().data(),
                                   dx->data().data(), static_cast<Scalar const*>(nullptr), columns);
    if (mode == GradientMode::ignore) return;
    bool const accumulate = mode == GradientMode::accumulate;
    Scalar* grads = this->m_grads.data();
    Impl::conv_blas_weight_gradient(g, in[0], p.out_channels, p.in_channels, dy.data().data(), c->x.data().data(),
                                    grads, accumulate, columns);
    if (p.bias)
      Impl::conv_blas_bias_gradient(in[0], p.out_channels, std::ptrdiff_t{g.small[0]} * g.small[1] * g.small[2],
                                    dy.data().data(), grads + weight_size(), accumulate);
    return;
  }
  auto const dyv = Impl::conv_view5<Scalar const, MemorySpace>(dy.data().data(), dy.shape(), p.dim);
  if (dx != nullptr) {
    Impl::ConvTensor5<Scalar const, MemorySpace> const w(this->m_params.data(), p.out_channels, p.in_channels,
                                                         g.kernel[0], g.kernel[1], g.kernel[2]);
    Impl::conv_gather_large<execution_space, Scalar, MemorySpace>(
        space, g, w, dyv, Impl::conv_view5<Scalar, MemorySpace>(dx->data().data(), in, p.dim),
        Impl::ConvVector<Scalar const, MemorySpace>());
  }
  if (mode == GradientMode::ignore) return;
  bool const accumulate = mode == GradientMode::accumulate;
  Scalar* grads = this->m_grads.data();
  Impl::ConvTensor5<Scalar, MemorySpace> const dw(grads, p.out_channels, p.in_channels, g.kernel[0], g.kernel[1],
                                                  g.kernel[2]);
  Impl::conv_weight_gradient<execution_space, Scalar, MemorySpace>(
      space, g, dyv, Impl::conv_view5<Scalar const, MemorySpace>(c->x.data().data(), in, p.dim), dw, accumulate);
  if (p.bias)
    Impl::conv_bias_gradient<execution_space, Scalar, MemorySpace>(
        space, dyv, Impl::ConvVector<Scalar, MemorySpace>(grads + weight_size(), p.out_channels), accumulate);
}

KONO_INSTANTIATE_FOR_SCALARS(Conv)

}  // namespace kono
