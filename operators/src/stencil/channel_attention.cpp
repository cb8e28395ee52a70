#include <kono/operators/initialization.hpp>
#include <kono/operators/stencil/channel_attention.hpp>

namespace kono {
namespace {
template <class MemorySpace>
using Work2 = Kokkos::View<double**, Kokkos::LayoutRight, MemorySpace>;

template <class MemorySpace, class Scalar>
struct ChannelAttentionContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
  Work2<MemorySpace> pm;  // [B, P] parameter means
  Work2<MemorySpace> h;   // [B, H] hidden pre-activations
  Work2<MemorySpace> s;   // [B, C] channel scales
};

KOKKOS_INLINE_FUNCTION double gelu(double v) { return 0.5 * v * (1.0 + math::erf(v * 0.70710678118654752440)); }
KOKKOS_INLINE_FUNCTION double gelu_derivative(double v) {
  return 0.5 * (1.0 + math::erf(v * 0.70710678118654752440)) + v * 0.39894228040143267794 * math::exp(-0.5 * v * v);
}

// Offsets of the four parameter blocks in the layer's span.
struct Offsets {
  std::size_t w1, b1, w2, b2, total;
  Offsets(int c, int pp, int hd) {
    w1 = 0;
    b1 = std::size_t(hd) * std::size_t(pp);
    w2 = b1 + std::size_t(hd);
    b2 = w2 + std::size_t(c) * std::size_t(hd);
    total = b2 + std::size_t(c);
  }
};

// Kernels live in free functions: nvcc rejects extended lambdas in protected members.
// One team per (sample, parameter channel), reducing over the points in double.
template <class Exec, class V, class W>
void parameter_means(Exec const& space, V const& xv, index_t n, int c, int pp, index_t p, W const& pm) {
  using Team = typename Kokkos::TeamPolicy<Exec>::member_type;
  int const cin = c + pp;
  Kokkos::parallel_for(
      "kono::ChannelAttention::parameter_means", Kokkos::TeamPolicy<Exec>(space, n * pp, Kokkos::AUTO),
      KOKKOS_LAMBDA(Team const& t) {
        index_t const s = t.league_rank() / pp;
        int const j = int(t.league_rank() % pp);
        index_t const base = (s * cin + c + j) * p;
        double sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(t, p), [&](index_t q, double& acc) { acc += double(xv(base + q)); }, sum);
        Kokkos::single(Kokkos::PerTeam(t), [&]() { pm(s, j) = sum / double(p); });
      });
}

// h[b, k] = b1[k] + sum_j W1[k, j] pm[b, j]; then s[b, c] = 2 sigmoid(b2[c] + sum_k W2[c, k] gelu(h[b, k])).
template <class Exec, class S, class W>
void attention_mlp(Exec const& space, S const* w, Offsets const o, index_t n, int c, int pp, int hd, W const& pm,
                   W const& h, W const& sc) {
  Kokkos::parallel_for(
      "kono::ChannelAttention::hidden", Kokkos::RangePolicy<Exec>(space, 0, n * hd), KOKKOS_LAMBDA(index_t idx) {
        index_t const s = idx / hd;
        int const k = int(idx % hd);
        double acc = double(w[o.b1 + std::size_t(k)]);
        for (int j = 0; j < pp; ++j) acc += double(w[o.w1 + std::size_t(k * pp + j)]) * pm(s, j);
        h(s, k) = acc;
      });
  Kokkos::parallel_for(
      "kono::ChannelAttention::scales", Kokkos::RangePolicy<Exec>(space, 0, n * c), KOKKOS_LAMBDA(index_t idx) {
        index_t const s = idx / c;
        int const ch = int(idx % c);
        double z = double(w[o.b2 + std::size_t(ch)]);
        for (int k = 0; k < hd; ++k) z += double(w[o.w2 + std::size_t(ch * hd + k)]) * gelu(h(s, k));
        sc(s, ch) = 2.0 / (1.0 + math::exp(-z));
      });
}

// y[b, c, q] = x[b, c, q] s[b, c] (x has C + P channels, y has C).
template <class Exec, class V, class W>
void apply_scales(Exec const& space, V const& xv, W const& sc, index_t n, int c, int cin, index_t p, V const& yv) {
  using S = typename V::non_const_value_type;
  Kokkos::parallel_for(
      "kono::ChannelAttention::apply", Kokkos::RangePolicy<Exec>(space, 0, n * c * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, ch = (idx / p) % c, s = idx / (p * c);
        yv(idx) = S(double(xv((s * cin + ch) * p + q)) * sc(s, ch));
      });
}

// dz[b, c] = ds/dz * sum_q dy x, with s = 2 sigmoid(z): ds/dz = s (1 - s / 2). One team per (b, c).
template <class Exec, class V, class W>
void scale_gradient(Exec const& space, V const& xv, V const& dyv, W const& sc, index_t n, int c, int cin, index_t p,
                    W const& dz) {
  using Team = typename Kokkos::TeamPolicy<Exec>::member_type;
  Kokkos::parallel_for(
      "kono::ChannelAttention::scale_gradient", Kokkos::TeamPolicy<Exec>(space, n * c, Kokkos::AUTO),
      KOKKOS_LAMBDA(Team const& t) {
        index_t const s = t.league_rank() / c;
        int const ch = int(t.league_rank() % c);
        index_t const xb = (s * cin + ch) * p, yb = (s * c + ch) * p;
        double sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(t, p), [&](index_t q, double& acc) { acc += double(dyv(yb + q)) * double(xv(xb + q)); },
            sum);
        Kokkos::single(Kokkos::PerTeam(t), [&]() {
          double const sv = sc(s, ch);
          dz(s, ch) = sum * sv * (1.0 - 0.5 * sv);
        });
      });
}

// dh[b, k] = gelu'(h[b, k]) sum_c W2[c, k] dz[b, c].
template <class Exec, class S, class W>
void hidden_gradient(Exec const& space, S const* w, Offsets const o, index_t n, int c, int hd, W const& h, W const& dz,
                     W const& dh) {
  Kokkos::parallel_for(
      "kono::ChannelAttention::hidden_gradient", Kokkos::RangePolicy<Exec>(space, 0, n * hd),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const s = idx / hd;
        int const k = int(idx % hd);
        double acc = 0;
        for (int ch = 0; ch < c; ++ch) acc += double(w[o.w2 + std::size_t(ch * hd + k)]) * dz(s, ch);
        dh(s, k) = acc * gelu_derivative(h(s, k));
      });
}

// dx: features get dy s; every point of parameter channel j gets (sum_k W1[k, j] dh[b, k]) / p.
template <class Exec, class S, class V, class W>
void input_gradient(Exec const& space, S const* w, Offsets const o, V const& dyv, W const& sc, W const& dh, index_t n,
                    int c, int pp, int hd, index_t p, V const& dxv) {
  using T = typename V::non_const_value_type;
  int const cin = c + pp;
  Kokkos::parallel_for(
      "kono::ChannelAttention::backward_input", Kokkos::RangePolicy<Exec>(space, 0, n * cin * p),
      KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, ch = (idx / p) % cin, s = idx / (p * cin);
        if (ch < c) {
          dxv(idx) = T(double(dyv((s * c + ch) * p + q)) * sc(s, ch));
        } else {
          int const j = int(ch - c);
          double acc = 0;
          for (int k = 0; k < hd; ++k) acc += double(w[o.w1 + std::size_t(k * pp + j)]) * dh(s, k);
          dxv(idx) = T(acc / double(p));
        }
      });
}

// One thread per parameter, reducing over the samples: no atomics.
template <class Exec, class S, class W>
void parameter_gradient(Exec const& space, S* g, Offsets const o, bool acc_mode, index_t n, int pp, int hd,
                        W const& pm, W const& h, W const& dz, W const& dh) {
  Kokkos::parallel_for(
      "kono::ChannelAttention::backward_params", Kokkos::RangePolicy<Exec>(space, 0, o.total),
      KOKKOS_LAMBDA(std::size_t i) {
        double acc = 0;
        if (i < o.b1) {
          int const k = int(i / std::size_t(pp)), j = int(i % std::size_t(pp));
          for (index_t s = 0; s < n; ++s) acc += dh(s, k) * pm(s, j);
        } else if (i < o.w2) {
          int const k = int(i - o.b1);
          for (index_t s = 0; s < n; ++s) acc += dh(s, k);
        } else if (i < o.b2) {
          int const ch = int((i - o.w2) / std::size_t(hd)), k = int((i - o.w2) % std::size_t(hd));
          for (index_t s = 0; s < n; ++s) acc += dz(s, ch) * gelu(h(s, k));
        } else {
          int const ch = int(i - o.b2);
          for (index_t s = 0; s < n; ++s) acc += dz(s, ch);
        }
        g[i] = S(acc) + (acc_mode ? g[i] : S(0));
      });
}

index_t points_per_sample(Shape const& s) { return s.rank() <= 2 ? 1 : s.tail(2).size(); }
}  // namespace

template <class MemorySpace, class Scalar>
ChannelAttention<MemorySpace, Scalar>::ChannelAttention(int channels, int parameters, int hidden)
    : m_channels(channels), m_params_in(parameters), m_hidden(hidden) {
  KONO_USER_REQUIRE(channels > 0 && parameters > 0 && hidden > 0, invalid_argument,
                    "kono::channel_attention: channels=" << channels << ", parameters=" << parameters
                                                         << " and hidden=" << hidden << " must be positive");
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> ChannelAttention<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<ChannelAttention>(config_get<int>(cfg, "channels", "channel_attention"),
                                            config_get<int>(cfg, "parameters", "channel_attention"),
                                            config_get<int>(cfg, "hidden", "channel_attention", 32));
}

template <class MemorySpace, class Scalar>
Shape ChannelAttention<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() >= 2 && in[1] == index_t(m_channels + m_params_in), size_mismatch,
                    "kono::channel_attention: input shape "
                        << in.to_string() << " does not match [N, " << m_channels + m_params_in
                        << ", spatial...] (channels=" << m_channels << " features + parameters=" << m_params_in
                        << " PDE-parameter channels)");
  return in.with_extent(1, m_channels);
}

template <class MemorySpace, class Scalar>
std::size_t ChannelAttention<MemorySpace, Scalar>::num_parameters() const {
  return Offsets(m_channels, m_params_in, m_hidden).total;
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> ChannelAttention<MemorySpace, Scalar>::parameter_slices() const {
  Offsets const o(m_channels, m_params_in, m_hidden);
  return {{"hidden_weight", o.w1, Shape{m_hidden, m_params_in}},
          {"hidden_bias", o.b1, Shape{m_hidden}},
          {"output_weight", o.w2, Shape{m_channels, m_hidden}},
          {"output_bias", o.b2, Shape{m_channels}}};
}

template <class MemorySpace, class Scalar>
void ChannelAttention<MemorySpace, Scalar>::initialize_parameters(std::uint64_t seed) const {
  Offsets const o(m_channels, m_params_in, m_hidden);
  auto const p = this->m_params;
  fill_fan_in_uniform(Kokkos::subview(p, std::make_pair(o.w1, o.b1)), m_params_in, seed);
  fill_fan_in_uniform(Kokkos::subview(p, std::make_pair(o.b1, o.w2)), m_params_in, child_seed(seed, 1));
  Kokkos::deep_copy(Kokkos::subview(p, std::make_pair(o.w2, o.total)), Scalar(0));
}

template <class MemorySpace, class Scalar>
auto ChannelAttention<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                         tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<ChannelAttentionContext<MemorySpace, Scalar>>();
  index_t const n = x.extent(0), p = points_per_sample(x.shape());
  int const c = m_channels, pp = m_params_in, hd = m_hidden;
  ctx->x = x;
  ctx->pm = Work2<MemorySpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::ChannelAttention::means"), n, pp);
  ctx->h = Work2<MemorySpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::ChannelAttention::hidden"), n, hd);
  ctx->s = Work2<MemorySpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::ChannelAttention::scales"), n, c);
  Offsets const o(c, pp, hd);
  parameter_means(space, x.data(), n, c, pp, p, ctx->pm);
  attention_mlp(space, this->m_params.data(), o, n, c, pp, hd, ctx->pm, ctx->h, ctx->s);
  apply_scales(space, x.data(), ctx->s, n, c, c + pp, p, y.data());
  return ctx;
}

template <class MemorySpace, class Scalar>
void ChannelAttention<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                          tensor_type const& dy, tensor_type const* dx,
                                                          GradientMode mode) const {
  auto const& ctx = static_cast<ChannelAttentionContext<MemorySpace, Scalar> const&>(base_ctx);
  Shape const in = ctx.x.shape();
  this->check_output(in, dy, "gradient dy");
  if (dx)
    KONO_USER_REQUIRE(dx->shape() == in, size_mismatch,
                      "kono::channel_attention: dx has shape " << dx->shape().to_string() << ", expected "
                                                               << in.to_string());
  if (!dx && mode == GradientMode::ignore) return;
  index_t const n = in[0], p = points_per_sample(in);
  int const c = m_channels, pp = m_params_in, hd = m_hidden;
  Offsets const o(c, pp, hd);
  Work2<MemorySpace> dz(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::ChannelAttention::dz"), n, c);
  Work2<MemorySpace> dh(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::ChannelAttention::dh"), n, hd);
  scale_gradient(space, ctx.x.data(), dy.data(), ctx.s, n, c, c + pp, p, dz);
  hidden_gradient(space, this->m_params.data(), o, n, c, hd, ctx.h, dz, dh);
  if (dx) input_gradient(space, this->m_params.data(), o, dy.data(), ctx.s, dh, n, c, pp, hd, p, dx->data());
  if (mode != GradientMode::ignore)
    parameter_gradient(space, this->m_grads.data(), o, mode == GradientMode::accumulate, n, pp, hd, ctx.pm, ctx.h, dz,
                       dh);
}

KONO_INSTANTIATE_FOR_SCALARS(ChannelAttention)
}  // namespace kono
