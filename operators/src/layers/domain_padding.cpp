#include <cmath>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/domain_padding.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct PaddingContext : Layer<MemorySpace, Scalar>::Context {
  std::unique_ptr<typename Layer<MemorySpace, Scalar>::Context> body;
  Shape in, padded_in, padded_out;
};

// Extents of a [N, C, n1..n3] tensor folded to (outer, a, b, c), missing axes of extent 1.
struct Box {
  index_t outer = 1, n[3] = {1, 1, 1};
  explicit Box(Shape const& s) {
    outer = s[0] * s[1];
    int const d = s.rank() - 2;
    for (int a = 0; a < d; ++a) n[3 - d + a] = s[2 + a];
  }
};

// Copies the overlap of `small` (extents s) and `big` (extents b) between the two; with
// to_big, entries of big outside small become zero (padding), else big is read (cropping).
template <class Exec, class V>
void pad_or_crop(Exec const& space, Box const& s, Box const& b, V const& small, V const& big, bool to_big) {
  index_t const s0 = s.n[0], s1 = s.n[1], s2 = s.n[2], b0 = b.n[0], b1 = b.n[1], b2 = b.n[2];
  using S = typename V::non_const_value_type;
  if (to_big) {
    Kokkos::parallel_for(
        "kono::DomainPadding::pad", Kokkos::RangePolicy<Exec>(space, 0, big.extent(0)), KOKKOS_LAMBDA(index_t i) {
          index_t const k = i % b2, j = (i / b2) % b1, l = (i / (b2 * b1)) % b0, o = i / (b2 * b1 * b0);
          big(i) = (k < s2 && j < s1 && l < s0) ? small(((o * s0 + l) * s1 + j) * s2 + k) : S(0);
        });
  } else {
    Kokkos::parallel_for(
        "kono::DomainPadding::crop", Kokkos::RangePolicy<Exec>(space, 0, small.extent(0)), KOKKOS_LAMBDA(index_t i) {
          index_t const k = i % s2, j = (i / s2) % s1, l = (i / (s2 * s1)) % s0, o = i / (s2 * s1 * s0);
          small(i) = big(((o * b0 + l) * b1 + j) * b2 + k);
        });
  }
}
}  // namespace

template <class MemorySpace, class Scalar>
DomainPadding<MemorySpace, Scalar>::DomainPadding(std::unique_ptr<base> body, std::vector<double> fraction)
    : m_body(std::move(body)), m_fraction(std::move(fraction)) {
  KONO_USER_REQUIRE(m_body != nullptr, invalid_argument, "kono::DomainPadding: body is null");
  KONO_USER_REQUIRE(!m_fraction.empty() && m_fraction.size() <= 3, invalid_argument,
                    "kono::DomainPadding: give one padding fraction or one per spatial axis (1 to 3), got "
                        << m_fraction.size());
  for (double f : m_fraction)
    KONO_USER_REQUIRE(std::isfinite(f) && f >= 0 && f <= 1, invalid_argument,
                      "kono::DomainPadding: padding fraction " << f << " must be in [0, 1]");
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> DomainPadding<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  std::vector<double> fraction;
  LayerConfig const f = config_get<LayerConfig>(cfg, "fraction", "domain_padding");
  fraction = f.is_array() ? config_get<std::vector<double>>(cfg, "fraction", "domain_padding")
                          : std::vector<double>{config_get<double>(cfg, "fraction", "domain_padding")};
  return std::make_unique<DomainPadding>(
      create_layer<MemorySpace, Scalar>(config_get<LayerConfig>(cfg, "body", "domain_padding"), "domain_padding.body"),
      fraction);
}

template <class MemorySpace, class Scalar>
LayerConfig DomainPadding<MemorySpace, Scalar>::config() const {
  return {{"type", "domain_padding"}, {"fraction", m_fraction}, {"body", m_body->config()}};
}

template <class MemorySpace, class Scalar>
Shape DomainPadding<MemorySpace, Scalar>::padded_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() >= 3 && in.rank() <= 5, size_mismatch,
                    "kono::domain_padding: input shape " << in.to_string() << " is not [N, C, n1 (, n2 (, n3))]");
  int const d = in.rank() - 2;
  KONO_USER_REQUIRE(m_fraction.size() == 1 || int(m_fraction.size()) == d, size_mismatch,
                    "kono::domain_padding: " << m_fraction.size() << " padding fractions for " << d
                                             << " spatial axes (input " << in.to_string() << ")");
  std::vector<index_t> e = in.to_vector();
  for (int a = 0; a < d; ++a) {
    double const f = m_fraction.size() == 1 ? m_fraction[0] : m_fraction[a];
    // Python's round() (half to even), as neuraloperator computes the pad.
    e[2 + a] += index_t(std::nearbyint(f * double(in[2 + a])));
  }
  return Shape(e);
}

template <class MemorySpace, class Scalar>
Shape DomainPadding<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  Shape const padded = padded_shape(in);
  Shape const out = m_body->output_shape(padded);
  KONO_USER_REQUIRE(out.rank() == in.rank(), size_mismatch,
                    "kono::domain_padding: the body changes the rank (" << padded.to_string() << " -> "
                                                                         << out.to_string() << ")");
  for (int a = 2; a < in.rank(); ++a)
    KONO_USER_REQUIRE(out[a] == padded[a], size_mismatch,
                      "kono::domain_padding: the body must keep the spatial extents (" << padded.to_string() << " -> "
                                                                                        << out.to_string() << ")");
  std::vector<index_t> e = out.to_vector();
  for (int a = 2; a < in.rank(); ++a) e[a] = in[a];
  return Shape(e);
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> DomainPadding<MemorySpace, Scalar>::parameter_slices() const {
  auto out = m_body->parameter_slices();
  for (auto& s : out) s.name = "body." + s.name;
  return out;
}

template <class MemorySpace, class Scalar>
auto DomainPadding<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                      tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<PaddingContext<MemorySpace, Scalar>>();
  ctx->in = x.shape();
  ctx->padded_in = padded_shape(x.shape());
  ctx->padded_out = m_body->output_shape(ctx->padded_in);
  std::string const key = "forward " + x.shape().to_string();
  // Both buffers outlive this call: the body's context may refer to its input until backward.
  tensor_type xp = m_workspace.get(key, 0, ctx->padded_in, "kono::DomainPadding::padded_input");
  tensor_type yp = m_workspace.get(key, 1, ctx->padded_out, "kono::DomainPadding::padded_output");
  pad_or_crop(space, Box(ctx->in), Box(ctx->padded_in), x.data(), xp.data(), true);
  ctx->body = m_body->forward(space, xp, yp);
  pad_or_crop(space, Box(y.shape()), Box(ctx->padded_out), y.data(), yp.data(), false);
  return ctx;
}

template <class MemorySpace, class Scalar>
void DomainPadding<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                       tensor_type const& dy, tensor_type const* dx,
                                                       GradientMode mode) const {
  auto const& ctx = static_cast<PaddingContext<MemorySpace, Scalar> const&>(base_ctx);
  this->check_output(ctx.in, dy, "gradient dy");
  std::string const key = "backward " + ctx.in.to_string();
  tensor_type dyp = m_workspace.get(key, 0, ctx.padded_out, "kono::DomainPadding::padded_dy");
  // The adjoint of cropping is zero-padding; the adjoint of padding is cropping.
  pad_or_crop(space, Box(dy.shape()), Box(ctx.padded_out), dy.data(), dyp.data(), true);
  if (!dx) {
    m_body->backward(space, *ctx.body, dyp, nullptr, mode);
    return;
  }
  KONO_USER_REQUIRE(dx->shape() == ctx.in, size_mismatch,
                    "kono::domain_padding: gradient dx has shape " << dx->shape().to_string() << ", expected "
                                                                   << ctx.in.to_string());
  tensor_type dxp = m_workspace.get(key, 1, ctx.padded_in, "kono::DomainPadding::padded_dx");
  m_body->backward(space, *ctx.body, dyp, &dxp, mode);
  pad_or_crop(space, Box(ctx.in), Box(ctx.padded_in), dx->data(), dxp.data(), false);
}

KONO_INSTANTIATE_FOR_SCALARS(DomainPadding)
}  // namespace kono
