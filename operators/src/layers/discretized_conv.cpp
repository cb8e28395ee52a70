#include <kono/operators/layers/discretized_conv.hpp>

#include <algorithm>
#include <cmath>

#include <kono/operators/impl/conv_kernels.hpp>
#include <kono/operators/layer_registry.hpp>

namespace kono {

namespace {
char const* const dconv_where = "kono::discretized_conv";
}

char const* to_string(KernelDiscretization d) noexcept {
  switch (d) {
    case KernelDiscretization::differential: return "differential";
    case KernelDiscretization::interpolated: return "interpolated";
    case KernelDiscretization::integral: return "integral";
  }
  return "?";
}

KernelDiscretization kernel_discretization_from_string(std::string const& name, std::string const& where) {
  for (auto d : {KernelDiscretization::differential, KernelDiscretization::interpolated, KernelDiscretization::integral})
    if (name == to_string(d)) return d;
  KONO_USER_REQUIRE(false, invalid_argument,
                    where << ": unknown kernel discretization \"" << name
                          << "\" (known: differential, interpolated, integral)");
  return KernelDiscretization::integral;
}

// ---------------------------------------------------------------------------------------------
// Params

void DiscretizedConvParams::validate() const {
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, dconv_where << ": dim must be 1, 2 or 3, got " << dim);
  KONO_USER_REQUIRE(in_channels > 0 && out_channels > 0, invalid_argument,
                    dconv_where << ": in_channels and out_channels must be positive, got " << in_channels << " and "
                                << out_channels);
  std::vector<int> const k = Impl::expand_axes(kernel, dim, 0, 1, "kernel", dconv_where);
  for (int a = 0; a < dim; ++a)
    KONO_USER_REQUIRE(k[std::size_t(a)] % 2 == 1, invalid_argument,
                      dconv_where << ": kernel[" << a << "] = " << k[std::size_t(a)]
                                  << " must be odd (the kernel is centred on its output point)");
  std::vector<int> const ref = Impl::expand_axes(reference_extents, dim, 0, 1, "reference_extents", dconv_where);
  (void)ref;
  KONO_USER_REQUIRE(padding_mode.size() <= 1 || padding_mode.size() == std::size_t(dim), invalid_argument,
                    dconv_where << ": padding_mode has " << padding_mode.size() << " entries, expected 1 or dim = "
                                << dim);
  KONO_USER_REQUIRE(order == 1 || order == 2, invalid_argument,
                    dconv_where << ": order must be 1 or 2, got " << order);
}

DiscretizedConvParams DiscretizedConvParams::normalized() const {
  validate();
  DiscretizedConvParams p = *this;
  p.kernel = Impl::expand_axes(kernel, dim, 0, 1, "kernel", dconv_where);
  p.reference_extents = Impl::expand_axes(reference_extents, dim, 0, 1, "reference_extents", dconv_where);
  p.padding_mode.assign(std::size_t(dim), padding_mode.empty() ? PaddingMode::zero : padding_mode[0]);
  if (padding_mode.size() > 1) p.padding_mode = padding_mode;
  for (int a = 0; a < dim; ++a)
    KONO_USER_REQUIRE(p.padding_mode[std::size_t(a)] == PaddingMode::periodic || p.grid != GridPoints::nodes ||
                          p.reference_extents[std::size_t(a)] >= 2,
                      invalid_argument,
                      dconv_where << ": reference_extents[" << a << "] = " << p.reference_extents[std::size_t(a)]
                                  << " must be at least 2 on a node grid");
  return p;
}

DiscretizedConvParams DiscretizedConvParams::from_config(LayerConfig const& cfg) {
  std::string const where = dconv_where;
  Impl::check_config_keys(cfg, "discretized_conv",
                          {"dim", "in_channels", "out_channels", "kernel", "padding_mode", "bias", "discretization",
                           "order", "reference_extents", "grid"},
                          where);
  DiscretizedConvParams p;
  p.dim = Impl::config_dim(cfg, where);
  p.in_channels = config_get<int>(cfg, "in_channels", where);
  p.out_channels = config_get<int>(cfg, "out_channels", where);
  p.kernel = Impl::config_axes(cfg, "kernel", p.dim, where, {});
  KONO_USER_REQUIRE(!p.kernel.empty(), invalid_argument, where << ": \"kernel\" is required");
  p.reference_extents = Impl::config_axes(cfg, "reference_extents", p.dim, where, {});
  KONO_USER_REQUIRE(!p.reference_extents.empty(), invalid_argument, where << ": \"reference_extents\" is required");
  p.padding_mode = Impl::config_padding_modes(cfg, where);
  p.bias = config_get<bool>(cfg, "bias", where, true);
  p.discretization =
      kernel_discretization_from_string(config_get<std::string>(cfg, "discretization", where, "integral"), where);
  p.order = config_get<int>(cfg, "order", where, 2);
  p.grid = grid_points_from_string(config_get<std::string>(cfg, "grid", where, "nodes"), where);
  KONO_USER_REQUIRE(p.grid != GridPoints::periodic, invalid_argument,
                    where << ": grid is nodes or half_open (periodic axes come from padding_mode \"periodic\")");
  return p.normalized();
}

LayerConfig DiscretizedConvParams::to_config() const {
  DiscretizedConvParams const p = normalized();
  LayerConfig modes = LayerConfig::array();
  for (PaddingMode m : p.padding_mode) modes.push_back(to_string(m));
  LayerConfig cfg;
  cfg["type"] = "discretized_conv";
  cfg["dim"] = p.dim;
  cfg["in_channels"] = p.in_channels;
  cfg["out_channels"] = p.out_channels;
  cfg["kernel"] = p.kernel;
  cfg["padding_mode"] = modes;
  cfg["bias"] = p.bias;
  cfg["discretization"] = to_string(p.discretization);
  cfg["order"] = p.order;
  cfg["reference_extents"] = p.reference_extents;
  cfg["grid"] = to_string(p.grid);
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// Kernel maps

namespace Impl {
std::vector<double> kernel_map_1d(KernelDiscretization d, int k, double r, int& mapped_taps) {
  int const K = (k - 1) / 2;
  int J = K;
  if (d == KernelDiscretization::interpolated) {
    J = int(std::ceil((K + 1) / r - 1e-9)) - 1;  // taps with |j r| < K + 1 (the hat's support)
  } else if (d == KernelDiscretization::integral) {
    J = int(std::ceil((K + 0.5) / r + 0.5 - 1e-9)) - 1;  // cells [jr - r/2, jr + r/2] meeting [-K-1/2, K+1/2]
  }
  J = std::max(J, 0);
  mapped_taps = 2 * J + 1;
  std::vector<double> m(std::size_t(mapped_taps) * std::size_t(k), 0.0);
  for (int j = -J; j <= J; ++j)
    for (int t = -K; t <= K; ++t) {
      double v = 0;
      if (d == KernelDiscretization::interpolated) {
        v = r * std::max(0.0, 1.0 - std::abs(j * r - t));
      } else if (d == KernelDiscretization::integral) {
        double const lo = std::max(j * r - r / 2, t - 0.5), hi = std::min(j * r + r / 2, t + 0.5);
        v = std::max(0.0, hi - lo);
      } else {
        v = j == t ? 1.0 : 0.0;
      }
      m[std::size_t(j + J) * std::size_t(k) + std::size_t(t + K)] = v;
    }
  return m;
}
}  // namespace Impl

// ---------------------------------------------------------------------------------------------
// Variant: the layer at one input grid

template <class MemorySpace, class Scalar>
struct DiscretizedConv<MemorySpace, Scalar>::Variant {
  std::unique_ptr<Conv<MemorySpace, Scalar>> conv;
  Kokkos::View<Scalar*, MemorySpace> params, grads;  ///< mapped weight then bias
  /// Tensor-product map per conv_view5 axis (row: mapped tap, col: reference tap) and its transpose.
  using map_view = Kokkos::View<Scalar**, Kokkos::LayoutRight, MemorySpace>;
  map_view map[3], map_t[3];
  double scale1 = 1, scale2 = 1;  ///< differential: factors of the odd and the even zero-sum parts
  int mapped[3] = {1, 1, 1}, ref[3] = {1, 1, 1};
};

template <class MemorySpace, class Scalar>
struct DConvContext final : Layer<MemorySpace, Scalar>::Context {
  std::unique_ptr<typename Layer<MemorySpace, Scalar>::Context> inner;
  typename DiscretizedConv<MemorySpace, Scalar>::Variant* variant = nullptr;  ///< null: the reference grid
};

template <class MemorySpace, class Scalar>
DiscretizedConv<MemorySpace, Scalar>::DiscretizedConv(DiscretizedConvParams const& params)
    : m_options(params.normalized()) {
  ConvParams c;
  c.dim = m_options.dim;
  c.in_channels = m_options.in_channels;
  c.out_channels = m_options.out_channels;
  c.kernel = m_options.kernel;
  c.padding_mode = m_options.padding_mode;
  c.bias = m_options.bias;
  m_reference = std::make_unique<Conv<MemorySpace, Scalar>>(c);
}

template <class MemorySpace, class Scalar>
DiscretizedConv<MemorySpace, Scalar>::~DiscretizedConv() = default;

template <class MemorySpace, class Scalar>
std::size_t DiscretizedConv<MemorySpace, Scalar>::num_parameters() const {
  return m_reference->num_parameters();
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> DiscretizedConv<MemorySpace, Scalar>::parameter_slices() const {
  return m_reference->parameter_slices();
}

template <class MemorySpace, class Scalar>
void DiscretizedConv<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  m_reference->initialize_parameters(seed);
}

template <class MemorySpace, class Scalar>
void DiscretizedConv<MemorySpace, Scalar>::on_bind() {
  m_reference->bind_parameters(this->m_params, this->m_grads);
}

template <class MemorySpace, class Scalar>
std::vector<double> DiscretizedConv<MemorySpace, Scalar>::spacing_ratios(std::vector<index_t> const& extents) const {
  std::vector<double> r;
  for (int a = 0; a < m_options.dim; ++a) {
    GridPoints const g =
        m_options.padding_mode[std::size_t(a)] == PaddingMode::periodic ? GridPoints::periodic : m_options.grid;
    r.push_back(spacing_ratio(extents[std::size_t(a)], m_options.reference_extents[std::size_t(a)], g));
  }
  return r;
}

template <class MemorySpace, class Scalar>
std::vector<int> DiscretizedConv<MemorySpace, Scalar>::mapped_kernel(std::vector<index_t> const& extents) const {
  std::vector<double> const r = spacing_ratios(extents);
  std::vector<int> k;
  for (int a = 0; a < m_options.dim; ++a) {
    int taps = m_options.kernel[std::size_t(a)];
    if (extents[std::size_t(a)] != m_options.reference_extents[std::size_t(a)])
      (void)Impl::kernel_map_1d(m_options.discretization, m_options.kernel[std::size_t(a)], r[std::size_t(a)], taps);
    k.push_back(taps);
  }
  return k;
}

template <class MemorySpace, class Scalar>
Shape DiscretizedConv<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  DiscretizedConvParams const& p = m_options;
  KONO_USER_REQUIRE(in.rank() == p.dim + 2, size_mismatch,
                    dconv_where << ": input of shape " << in.to_string() << " has rank " << in.rank()
                                << ", expected " << p.dim + 2);
  KONO_USER_REQUIRE(in[1] == p.in_channels, size_mismatch,
                    dconv_where << ": input of shape " << in.to_string() << " has " << in[1]
                                << " channels, expected in_channels = " << p.in_channels);
  for (int a = 0; a < p.dim; ++a) {
    index_t const n = in[2 + a];
    KONO_USER_REQUIRE(n >= (p.padding_mode[std::size_t(a)] == PaddingMode::periodic || p.grid != GridPoints::nodes ? 1 : 2),
                      size_mismatch,
                      dconv_where << ": input of shape " << in.to_string() << " has extent " << n
                                  << " on spatial axis " << a << " (a node grid needs at least 2 points)");
  }
  std::vector<index_t> e;
  for (int a = 0; a < p.dim; ++a) e.push_back(in[2 + a]);
  std::vector<int> const k = mapped_kernel(e);
  for (int a = 0; a < p.dim; ++a) {
    int const pad = k[std::size_t(a)] / 2;
    PaddingMode const m = p.padding_mode[std::size_t(a)];
    KONO_USER_REQUIRE(m == PaddingMode::zero || (m == PaddingMode::periodic ? pad <= e[std::size_t(a)] : pad < e[std::size_t(a)]),
                      size_mismatch,
                      dconv_where << ": input of shape " << in.to_string() << ": the kernel mapped to this grid has "
                                  << k[std::size_t(a)] << " taps on spatial axis " << a << ", too wide for "
                                  << to_string(m) << " padding of extent " << e[std::size_t(a)]);
  }
  return in.with_extent(1, p.out_channels);
}

template <class MemorySpace, class Scalar>
auto DiscretizedConv<MemorySpace, Scalar>::variant(std::vector<index_t> const& extents) const -> Variant& {
  auto it = m_variants.find(extents);
  if (it != m_variants.end()) return *it->second;
  DiscretizedConvParams const& p = m_options;
  auto v = std::make_unique<Variant>();
  std::vector<double> const r = spacing_ratios(extents);
  ConvParams c;
  c.dim = p.dim;
  c.in_channels = p.in_channels;
  c.out_channels = p.out_channels;
  c.padding_mode = p.padding_mode;
  c.bias = p.bias;
  for (int s = 0; s < 3; ++s) {
    int const a = s - (3 - p.dim);
    int k = 1, taps = 1;
    std::vector<double> m{1.0};
    if (a >= 0) {
      k = p.kernel[std::size_t(a)];
      m = Impl::kernel_map_1d(p.discretization, k, r[std::size_t(a)], taps);
      c.kernel.push_back(taps);
    }
    v->ref[s] = k;
    v->mapped[s] = taps;
    v->map[s] = typename Variant::map_view("kono::DiscretizedConv::map", std::size_t(taps), std::size_t(k));
    v->map_t[s] = typename Variant::map_view("kono::DiscretizedConv::map_t", std::size_t(k), std::size_t(taps));
    auto hm = Kokkos::create_mirror_view(v->map[s]);
    auto ht = Kokkos::create_mirror_view(v->map_t[s]);
    for (int j = 0; j < taps; ++j)
      for (int t = 0; t < k; ++t) {
        hm(std::size_t(j), std::size_t(t)) = Scalar(m[std::size_t(j * k + t)]);
        ht(std::size_t(t), std::size_t(j)) = Scalar(m[std::size_t(j * k + t)]);
      }
    Kokkos::deep_copy(v->map[s], hm);
    Kokkos::deep_copy(v->map_t[s], ht);
  }
  if (p.discretization == KernelDiscretization::differential) {
    double prod = 1;
    for (double x : r) prod *= x;
    v->scale1 = std::pow(prod, -1.0 / double(p.dim));
    v->scale2 = p.order == 2 ? v->scale1 * v->scale1 : v->scale1;
  }
  v->conv = std::make_unique<Conv<MemorySpace, Scalar>>(c);
  std::size_t const n = v->conv->num_parameters();
  v->params = Kokkos::View<Scalar*, MemorySpace>("kono::DiscretizedConv::mapped_params", n);
  v->grads = Kokkos::View<Scalar*, MemorySpace>("kono::DiscretizedConv::mapped_grads", n);
  v->conv->bind_parameters(typename base::param_view(v->params.data(), n),
                           typename base::param_view(v->grads.data(), n));
  Variant& ref = *v;
  m_variants.emplace(extents, std::move(v));
  return ref;
}

namespace {
// dst(o, i, r...) = (accumulate ? dst : 0) + sum_c M0(r0, c0) M1(r1, c1) M2(r2, c2) src(o, i, c...)
template <class Exec, class Scalar, class MemorySpace>
void map_kernel(Exec const& space, Kokkos::View<Scalar**, Kokkos::LayoutRight, MemorySpace> const* M,
                Impl::ConvTensor5<Scalar const, MemorySpace> const& src, Impl::ConvTensor5<Scalar, MemorySpace> const& dst,
                bool accumulate) {
  auto const M0 = M[0], M1 = M[1], M2 = M[2];
  int const r0 = int(dst.extent(2)), r1 = int(dst.extent(3)), r2 = int(dst.extent(4));
  int const c0 = int(src.extent(2)), c1 = int(src.extent(3)), c2 = int(src.extent(4));
  int const I = int(dst.extent(1));
  int const total = int(dst.extent(0)) * I * r0 * r1 * r2;
  Kokkos::parallel_for(
      "kono::DiscretizedConv::map_kernel", Kokkos::RangePolicy<Exec>(space, 0, total), KOKKOS_LAMBDA(int idx) {
        int const j2 = idx % r2;
        idx /= r2;
        int const j1 = idx % r1;
        idx /= r1;
        int const j0 = idx % r0;
        idx /= r0;
        int const i = idx % I, o = idx / I;
        Scalar acc = 0;
        for (int a = 0; a < c0; ++a) {
          Scalar const wa = M0(j0, a);
          if (wa == Scalar(0)) continue;
          for (int b = 0; b < c1; ++b) {
            Scalar const wb = wa * M1(j1, b);
            if (wb == Scalar(0)) continue;
            for (int d = 0; d < c2; ++d) acc += wb * M2(j2, d) * src(o, i, a, b, d);
          }
        }
        dst(o, i, j0, j1, j2) = accumulate ? dst(o, i, j0, j1, j2) + acc : acc;
      });
}

// dst = (accumulate ? dst : 0) + src. A free function: nvcc rejects extended lambdas in
// protected members.
template <class Exec, class Src, class Dst>
void copy_or_add(Exec const& space, Src const& src, Dst const& dst, bool accumulate) {
  Kokkos::parallel_for(
      "kono::DiscretizedConv::bias_gradient", Kokkos::RangePolicy<Exec>(space, 0, dst.extent(0)),
      KOKKOS_LAMBDA(std::size_t o) { dst(o) = accumulate ? dst(o) + src(o) : src(o); });
}

// Differential, per (out, in) pair, with W_o, W_e the odd and even parts of the kernel about its
// centre (W(t) -/+ W(-t))/2: W_h = s1 W_o + s2 (W_e - delta sum W) + delta sum W, i.e.
// W_h(t) = (s2 + s1)/2 W(t) + (s2 - s1)/2 W(-t) + (1 - s2) delta_c(t) sum W (forward), and the
// transpose dW(t) = (s2 + s1)/2 dW_h(t) + (s2 - s1)/2 dW_h(-t) + (1 - s2) dW_h(c) (adjoint).
template <class Exec, class Scalar, class MemorySpace>
void differential_map(Exec const& space, Scalar s1, Scalar s2, Impl::ConvTensor5<Scalar const, MemorySpace> const& src,
                      Impl::ConvTensor5<Scalar, MemorySpace> const& dst, bool adjoint, bool accumulate) {
  int const k0 = int(src.extent(2)), k1 = int(src.extent(3)), k2 = int(src.extent(4));
  int const I = int(src.extent(1));
  int const pairs = int(src.extent(0)) * I;
  Scalar const same = (s2 + s1) / 2, mirror = (s2 - s1) / 2, centre_w = Scalar(1) - s2;
  Kokkos::parallel_for(
      "kono::DiscretizedConv::differential_map", Kokkos::RangePolicy<Exec>(space, 0, pairs), KOKKOS_LAMBDA(int pi) {
        int const o = pi / I, i = pi % I;
        Scalar pointwise = 0;
        if (adjoint) {
          pointwise = src(o, i, k0 / 2, k1 / 2, k2 / 2);
        } else {
          for (int a = 0; a < k0; ++a)
            for (int b = 0; b < k1; ++b)
              for (int d = 0; d < k2; ++d) pointwise += src(o, i, a, b, d);
        }
        for (int a = 0; a < k0; ++a)
          for (int b = 0; b < k1; ++b)
            for (int d = 0; d < k2; ++d) {
              bool const centre = a == k0 / 2 && b == k1 / 2 && d == k2 / 2;
              Scalar v = same * src(o, i, a, b, d) + mirror * src(o, i, k0 - 1 - a, k1 - 1 - b, k2 - 1 - d);
              if (adjoint || centre) v += centre_w * pointwise;
              dst(o, i, a, b, d) = accumulate ? dst(o, i, a, b, d) + v : v;
            }
      });
}
}  // namespace

template <class MemorySpace, class Scalar>
auto DiscretizedConv<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                        tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<DConvContext<MemorySpace, Scalar>>();
  std::vector<index_t> e;
  bool reference = true;
  for (int a = 0; a < m_options.dim; ++a) {
    e.push_back(x.shape()[2 + a]);
    reference = reference && e.back() == m_options.reference_extents[std::size_t(a)];
  }
  if (reference) {
    ctx->inner = m_reference->forward(space, x, y);
    return ctx;
  }
  Variant& v = variant(e);
  int const O = m_options.out_channels, I = m_options.in_channels;
  Impl::ConvTensor5<Scalar const, MemorySpace> const w(this->m_params.data(), O, I, v.ref[0], v.ref[1], v.ref[2]);
  Impl::ConvTensor5<Scalar, MemorySpace> const wm(v.params.data(), O, I, v.mapped[0], v.mapped[1], v.mapped[2]);
  if (m_options.discretization == KernelDiscretization::differential)
    differential_map<execution_space, Scalar, MemorySpace>(space, Scalar(v.scale1), Scalar(v.scale2), w, wm, false,
                                                           false);
  else
    map_kernel<execution_space, Scalar, MemorySpace>(space, v.map, w, wm, false);
  if (m_options.bias) {
    std::size_t const nw = std::size_t(O) * I * v.mapped[0] * v.mapped[1] * v.mapped[2];
    std::size_t const nr = m_reference->num_parameters() - std::size_t(O);
    Kokkos::deep_copy(space, Kokkos::subview(v.params, std::make_pair(nw, nw + std::size_t(O))),
                      Kokkos::subview(this->m_params, std::make_pair(nr, nr + std::size_t(O))));
  }
  ctx->inner = v.conv->forward(space, x, y);
  ctx->variant = &v;
  return ctx;
}

template <class MemorySpace, class Scalar>
void DiscretizedConv<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                         tensor_type const& dy, tensor_type const* dx,
                                                         GradientMode mode) const {
  auto const* ctx = dynamic_cast<DConvContext<MemorySpace, Scalar> const*>(&base_ctx);
  KONO_USER_REQUIRE(ctx != nullptr, invalid_argument,
                    "kono::discretized_conv::backward: the context was not returned by a discretized_conv's forward");
  if (ctx->variant == nullptr) {
    m_reference->backward(space, *ctx->inner, dy, dx, mode);
    return;
  }
  Variant& v = *ctx->variant;
  v.conv->backward(space, *ctx->inner, dy, dx, mode == GradientMode::ignore ? GradientMode::ignore : GradientMode::overwrite);
  if (mode == GradientMode::ignore) return;
  bool const acc = mode == GradientMode::accumulate;
  int const O = m_options.out_channels, I = m_options.in_channels;
  Impl::ConvTensor5<Scalar const, MemorySpace> const gm(v.grads.data(), O, I, v.mapped[0], v.mapped[1], v.mapped[2]);
  Impl::ConvTensor5<Scalar, MemorySpace> const g(this->m_grads.data(), O, I, v.ref[0], v.ref[1], v.ref[2]);
  if (m_options.discretization == KernelDiscretization::differential)
    differential_map<execution_space, Scalar, MemorySpace>(space, Scalar(v.scale1), Scalar(v.scale2), gm, g, true, acc);
  else
    map_kernel<execution_space, Scalar, MemorySpace>(space, v.map_t, gm, g, acc);
  if (m_options.bias) {
    std::size_t const nw = std::size_t(O) * I * v.mapped[0] * v.mapped[1] * v.mapped[2];
    std::size_t const nr = m_reference->num_parameters() - std::size_t(O);
    copy_or_add<execution_space>(space, Kokkos::subview(v.grads, std::make_pair(nw, nw + std::size_t(O))),
                                 Kokkos::subview(this->m_grads, std::make_pair(nr, nr + std::size_t(O))), acc);
  }
}

KONO_INSTANTIATE_FOR_SCALARS(DiscretizedConv)

namespace Impl {
void register_discretized_conv_layers() {
  register_layer<DefaultMemorySpace, float>("discretized_conv", &DiscretizedConv<DefaultMemorySpace, float>::from_config);
  register_layer<DefaultMemorySpace, double>("discretized_conv",
                                             &DiscretizedConv<DefaultMemorySpace, double>::from_config);
}
}  // namespace Impl

}  // namespace kono
