#include <kono/operators/layers/soft_gating.hpp>

namespace kono {
namespace {
template <class MemorySpace, class Scalar>
struct SoftGatingContext : Layer<MemorySpace, Scalar>::Context {
  Tensor<MemorySpace, Scalar> x;
};
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
  bool const has_bias = m_bias;
  auto w = this->m_params;
  auto xv = x.data();
  auto yv = y.data();
  Kokkos::parallel_for(
      "kono::SoftGating::forward", Kokkos::RangePolicy<execution_space>(space, 0, xv.extent(0)),
      KOKKOS_LAMBDA(index_t i) {
        index_t const ch = (i / p) % c;
        yv(i) = w(ch) * xv(i) + (has_bias ? w(c + ch) : Scalar(0));
      });
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
  bool const has_bias = m_bias;
  auto w = this->m_params;
  auto g = this->m_grads;
  auto xv = ctx.x.data();
  auto dyv = dy.data();
  if (dx) {
    this->check_output(ctx.x.shape(), *dx, "gradient dx");
    auto dxv = dx->data();
    Kokkos::parallel_for(
        "kono::SoftGating::backward_input", Kokkos::RangePolicy<execution_space>(space, 0, xv.extent(0)),
        KOKKOS_LAMBDA(index_t i) { dxv(i) = w((i / p) % c) * dyv(i); });
  }
  if (mode == GradientMode::ignore) return;
  bool const acc_mode = mode == GradientMode::accumulate;
  // One thread per parameter, each reducing over samples and points: no atomics.
  Kokkos::parallel_for(
      "kono::SoftGating::backward_params", Kokkos::RangePolicy<execution_space>(space, 0, has_bias ? 2 * c : c),
      KOKKOS_LAMBDA(index_t k) {
        index_t const ch = k % c;
        double acc = 0;
        for (index_t s = 0; s < n; ++s)
          for (index_t q = 0; q < p; ++q) {
            index_t const i = (s * c + ch) * p + q;
            acc += k < c ? double(dyv(i)) * double(xv(i)) : double(dyv(i));
          }
        g(k) = Scalar(acc) + (acc_mode ? g(k) : Scalar(0));
      });
}

KONO_INSTANTIATE_FOR_SCALARS(SoftGating)
}  // namespace kono
