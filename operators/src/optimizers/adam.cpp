#include <cmath>
#include <kono/core/error.hpp>
#include <kono/operators/optimizers/adam.hpp>

namespace kono {

char const* to_string(AdamVariant variant) noexcept {
  return variant == AdamVariant::neuralop ? "neuralop" : "pytorch";
}

AdamOptions AdamOptions::pytorch_adam() { return AdamOptions{}; }

AdamOptions AdamOptions::pytorch_adamw() {
  AdamOptions o;
  o.weight_decay = 1e-2;
  o.decoupled_weight_decay = true;
  return o;
}

AdamOptions AdamOptions::neuralop_adamw() {
  AdamOptions o;
  o.eps = 1e-6;
  o.decoupled_weight_decay = true;
  o.variant = AdamVariant::neuralop;
  return o;
}

namespace Impl {

// Per-step scalars, computed on the host in double (bias corrections depend on t only).
struct AdamStep {
  double beta1, beta2, eps;
  double l2_decay;   // Adam: g += l2_decay * p
  double decoupled;  // AdamW: lr * weight_decay
  double step_size;  // pytorch: lr / bc1; neuralop: lr * sqrt(bc2) / bc1
  double sqrt_bc2;   // pytorch only: sqrt(v_hat) = sqrt(v) / sqrt(bc2)
};

// Kernels live in named free functions: nvcc rejects extended lambdas in protected members.
template <class MemorySpace, class Scalar>
void adam_pytorch_update(typename MemorySpace::execution_space const& space,
                         Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& params,
                         Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& grads,
                         Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& exp_avg,
                         Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& exp_avg_sq, AdamStep s) {
  using execution_space = typename MemorySpace::execution_space;
  auto p = params;
  auto g = grads;
  auto m = exp_avg;
  auto v = exp_avg_sq;
  Kokkos::parallel_for(
      "kono::Adam::step",
      Kokkos::RangePolicy<execution_space, Kokkos::IndexType<index_t>>(space, 0, static_cast<index_t>(p.extent(0))),
      KOKKOS_LAMBDA(index_t i) {
        double pi = static_cast<double>(p(i));
        double const gi = static_cast<double>(g(i)) + s.l2_decay * pi;
        pi *= 1.0 - s.decoupled;  // torch.optim.AdamW decays before the moment update
        double const mi = s.beta1 * static_cast<double>(m(i)) + (1.0 - s.beta1) * gi;
        double const vi = s.beta2 * static_cast<double>(v(i)) + (1.0 - s.beta2) * gi * gi;
        double const denom = math::sqrt(vi) / s.sqrt_bc2 + s.eps;
        m(i) = static_cast<Scalar>(mi);
        v(i) = static_cast<Scalar>(vi);
        p(i) = static_cast<Scalar>(pi - s.step_size * (mi / denom));
      });
}

template <class MemorySpace, class Scalar>
void adam_neuralop_update(typename MemorySpace::execution_space const& space,
                          Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& params,
                          Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& grads,
                          Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& exp_avg,
                          Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& exp_avg_sq, AdamStep s) {
  using execution_space = typename MemorySpace::execution_space;
  auto p = params;
  auto g = grads;
  auto m = exp_avg;
  auto v = exp_avg_sq;
  Kokkos::parallel_for(
      "kono::Adam::step",
      Kokkos::RangePolicy<execution_space, Kokkos::IndexType<index_t>>(space, 0, static_cast<index_t>(p.extent(0))),
      KOKKOS_LAMBDA(index_t i) {
        double const gi = static_cast<double>(g(i));
        double const mi = s.beta1 * static_cast<double>(m(i)) + (1.0 - s.beta1) * gi;
        double const vi = s.beta2 * static_cast<double>(v(i)) + (1.0 - s.beta2) * gi * gi;
        // eps joins the uncorrected sqrt(v); the bias corrections sit in step_size.
        double const denom = math::sqrt(vi) + s.eps;
        double pi = static_cast<double>(p(i)) - s.step_size * (mi / denom);
        pi -= s.decoupled * pi;  // neuralop decays the already-updated parameter
        m(i) = static_cast<Scalar>(mi);
        v(i) = static_cast<Scalar>(vi);
        p(i) = static_cast<Scalar>(pi);
      });
}

}  // namespace Impl

template <class MemorySpace, class Scalar>
Adam<MemorySpace, Scalar>::Adam(std::size_t num_parameters, AdamOptions const& options)
    : base(num_parameters), m_options(options) {
  auto beta_ok = [](double b) { return b >= 0 && b < 1; };  // false for NaN
  KONO_USER_REQUIRE(beta_ok(options.beta1) && beta_ok(options.beta2), invalid_argument,
                    "kono::Adam: betas (" << options.beta1 << ", " << options.beta2 << ") must lie in [0, 1)");
  KONO_USER_REQUIRE(
      std::isfinite(options.eps) && options.eps >= 0 && std::isfinite(options.weight_decay) &&
          options.weight_decay >= 0,
      invalid_argument,
      "kono::Adam: eps=" << options.eps << " and weight_decay=" << options.weight_decay << " must be finite and >= 0");
  KONO_USER_REQUIRE(options.variant == AdamVariant::pytorch || options.decoupled_weight_decay, invalid_argument,
                    "kono::Adam: variant \"neuralop\" exists only for AdamW (decoupled_weight_decay = true)");
  m_exp_avg = this->allocate_state("kono::Adam::exp_avg");
  m_exp_avg_sq = this->allocate_state("kono::Adam::exp_avg_sq");
}

template <class MemorySpace, class Scalar>
std::string Adam<MemorySpace, Scalar>::type_name() const {
  return m_options.decoupled_weight_decay ? "adamw" : "adam";
}

template <class MemorySpace, class Scalar>
LayerConfig Adam<MemorySpace, Scalar>::config() const {
  LayerConfig cfg = {{"type", type_name()},
                     {"betas", {m_options.beta1, m_options.beta2}},
                     {"eps", m_options.eps},
                     {"weight_decay", m_options.weight_decay},
                     {"bias_correction", m_options.bias_correction}};
  if (m_options.decoupled_weight_decay) cfg["variant"] = to_string(m_options.variant);
  return cfg;
}

template <class MemorySpace, class Scalar>
auto Adam<MemorySpace, Scalar>::state() const -> state_type {
  return {{"exp_avg", m_exp_avg}, {"exp_avg_sq", m_exp_avg_sq}};
}

template <class MemorySpace, class Scalar>
void Adam<MemorySpace, Scalar>::step_impl(execution_space const& space, view_type const& params, view_type const& grads,
                                          double lr, std::int64_t step_number) {
  AdamOptions const& o = m_options;
  double const t = static_cast<double>(step_number);
  double const bc1 = o.bias_correction ? 1.0 - std::pow(o.beta1, t) : 1.0;
  double const bc2 = o.bias_correction ? 1.0 - std::pow(o.beta2, t) : 1.0;
  Impl::AdamStep s{};
  s.beta1 = o.beta1;
  s.beta2 = o.beta2;
  s.eps = o.eps;
  s.l2_decay = o.decoupled_weight_decay ? 0.0 : o.weight_decay;
  s.decoupled = o.decoupled_weight_decay ? lr * o.weight_decay : 0.0;
  if (o.variant == AdamVariant::neuralop) {
    s.step_size = lr * std::sqrt(bc2) / bc1;
    s.sqrt_bc2 = 1.0;
    Impl::adam_neuralop_update<MemorySpace, Scalar>(space, params, grads, m_exp_avg, m_exp_avg_sq, s);
  } else {
    s.step_size = lr / bc1;
    s.sqrt_bc2 = std::sqrt(bc2);
    Impl::adam_pytorch_update<MemorySpace, Scalar>(space, params, grads, m_exp_avg, m_exp_avg_sq, s);
  }
}

template class Adam<DefaultMemorySpace, float>;
template class Adam<DefaultMemorySpace, double>;

}  // namespace kono
