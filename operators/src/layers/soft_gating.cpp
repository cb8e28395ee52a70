#include <kono/operators/layers/soft_gating.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct SoftGatingContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
};
// Kernels live in free functions: nvcc rejects extended lambdas in protected members.
// One team per (sample, channel) row of p points: the channel's weight is read once per row
// instead of an integer division and modulo per value (which cost more than the multiply-add).
template <class Exec, class P, class V>
void gating_forward(Exec const& space, P const& w, index_t c, index_t p, bool has_bias, V const& xv, V const& yv) {
  using S = typename V::non_const_value_type;
  using Team = typename Kokkos::TeamPolicy<Exec>::member_type;
  index_t const rows = p == 0 ? 0 : index_t(xv.extent(0)) / p;
  Kokkos::parallel_for(
      "kono::SoftGating::forward", Kokkos::TeamPolicy<Exec>(space, rows, Kokkos::AUTO), KOKKOS_LAMBDA(Team const& t) {
        index_t const row = t.league_rank(), ch = row % c;
        S const wv = w(ch), bv = has_bias ? w(c + ch) : S(0);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(t, p), [&](index_t q) {
          index_t const i = row * p + q;
          yv(i) = wv * xv(i) + bv;
        });
      });
}

template <class Exec, class P, class V>
void gating_backward_input(Exec const& space, P const& w, index_t c, index_t p, V const& dyv, V const& dxv) {
  using S = typename V::non_const_value_type;
  using Team = typename Kokkos::TeamPolicy<Exec>::member_type;
  index_t const rows = p == 0 ? 0 : index_t(dxv.extent(0)) / p;
  Kokkos::parallel_for(
      "kono::SoftGating::backward_input", Kokkos::TeamPolicy<Exec>(space, rows, Kokkos::AUTO),
      KOKKOS_LAMBDA(Team const& t) {
        index_t const row = t.league_rank();
        S const wv = w(row % c);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(t, p), [&](index_t q) { dxv(row * p + q) = wv * dyv(row * p + q); });
      });
}

// One thread per parameter, each reducing over samples and points: no atomics.
template <class Exec, class P, class V>
void gating_backward_params(Exec const& space, P const& g, index_t n, index_t c, index_t p, bool has_bias, bool acc_mode,
                            V const& xv, V const& dyv) {
  using S = typename V::non_const_value_type;
  Kokkos::parallel_for(
      "kono::SoftGating::backward_params", Kokkos::RangePolicy<Exec>(space, 0, has_bias ? 2 * c : c),
      KOKKOS_LAMBDA(index_t k) {
        index_t const ch = k % c;
        double acc = 0;
        for (index_t s = 0; s < n; ++s)
          for (index_t q = 0; q < p; ++q) {
            index_t const i = (s * c + ch) * p + q;
            acc += k < c ? double(dyv(i)) * double(xv(i)) : double(dyv(i));
          }
        g(k) = S(acc) + (acc_mode ? g(k) : S(0));
      });
}
}  // namespace

template <class MemorySpace, class Scalar>
SoftGating<MemorySpace, Scalar>::SoftGating(int channels, bool bias) : m_channels(channels), m_bias(bias) {
  KONO_USER_REQUIRE(channels > 0, invalid_argument, "kono::SoftGating: channels=" << channels << " must be positive");
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> SoftGating<MemorySpace, Scalar>::from_config(LayerConfig const& cfg) {
  return std::make_unique<SoftGating>(config_get<int>(cfg, "channels", "soft_gating"),
                                      config_get<bool>(cfg, "bias", "soft_gating", false));
}

template <class MemorySpace, class Scalar>
Shape SoftGating<MemorySpace, Scalar>::output_shape(Shape const& in) const {
  KONO_USER_REQUIRE(in.rank() >= 2 && in[1] == m_channels, size_mismatch,
                    "kono::soft_gating: input shape " << in.to_string() << " does not match [N, " << m_channels
                                                      << ", spatial...]");
  return in;
}

template <class MemorySpace, class Scalar>
std::vector<ParameterSlice> SoftGating<MemorySpace, Scalar>::parameter_slices() const {
  std::vector<ParameterSlice> s{{"weight", 0, Shape{m_channels}}};
  if (m_bias) s.push_back({"bias", std::size_t(m_channels), Shape{m_channels}});
  return s;
}

template <class MemorySpace, class Scalar>
void SoftGating<MemorySpace, Scalar>::initialize_parameters(std::uint64_t) const {
  auto p = this->m_params;
  int const c = m_channels;
  Kokkos::parallel_for(
      "kono::SoftGating::init", Kokkos::RangePolicy<execution_space>(0, p.extent(0)),
      KOKKOS_LAMBDA(std::size_t i) { p(i) = i < std::size_t(c) ? Scalar(1) : Scalar(0); });
}

template <class MemorySpace, class Scalar>
auto SoftGating<MemorySpace, Scalar>::forward_impl(execution_space const& space, tensor_type const& x,
                                                   tensor_type const& y) const -> std::unique_ptr<Context> {
  auto ctx = std::make_unique<SoftGatingContext<MemorySpace, Scalar>>();
  ctx->x = x;
  index_t const c = m_channels;
  index_t const p = x.extent(0) == 0 ? 1 : x.size() / (x.extent(0) * c);
  gating_forward(space, this->m_params, c, p, m_bias, x.data(), y.data());
  return ctx;
}

template <class MemorySpace, class Scalar>
void SoftGating<MemorySpace, Scalar>::backward_impl(execution_space const& space, Context const& base_ctx,
                                                    tensor_type const& dy, tensor_type const* dx,
                                                    GradientMode mode) const {
  auto const& ctx = static_cast<SoftGatingContext<MemorySpace, Scalar> const&>(base_ctx);
  this->check_output(ctx.x.shape(), dy, "gradient dy");
  index_t const c = m_channels;
  index_t const n = ctx.x.extent(0);
  index_t const p = n == 0 ? 1 : ctx.x.size() / (n * c);
  if (dx) {
    this->check_output(ctx.x.shape(), *dx, "gradient dx");
    gating_backward_input(space, this->m_params, c, p, dy.data(), dx->data());
  }
  if (mode == GradientMode::ignore) return;
  gating_backward_params(space, this->m_grads, n, c, p, m_bias, mode == GradientMode::accumulate, ctx.x.data(), dy.data());
}

KONO_INSTANTIATE_FOR_SCALARS(SoftGating)
}  // namespace kono
