#include <cmath>
#include <kono/core/error.hpp>
#include <kono/operators/optimizers/sgd.hpp>

namespace kono {
namespace Impl {

// The kernel lives in a named free function, not in the protected step_impl: nvcc rejects
// extended (__host__ __device__) lambdas inside private or protected member functions.
template <class MemorySpace, class Scalar>
void sgd_update(typename MemorySpace::execution_space const& space,
                Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& params,
                Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& grads,
                Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> const& buffer, SgdOptions const& o, double lr,
                bool first_step) {
  using execution_space = typename MemorySpace::execution_space;
  auto p = params;
  auto g = grads;
  auto buf = buffer;
  double const mu = o.momentum, tau = o.dampening, wd = o.weight_decay;
  bool const use_momentum = o.momentum != 0.0, nesterov = o.nesterov;
  Kokkos::parallel_for(
      "kono::Sgd::step",
      Kokkos::RangePolicy<execution_space, Kokkos::IndexType<index_t>>(space, 0, static_cast<index_t>(p.extent(0))),
      KOKKOS_LAMBDA(index_t i) {
        double const pi = static_cast<double>(p(i));
        double d = static_cast<double>(g(i)) + wd * pi;
        if (use_momentum) {
          // PyTorch starts the buffer at g (no dampening) on the first step.
          double const b = first_step ? d : mu * static_cast<double>(buf(i)) + (1.0 - tau) * d;
          buf(i) = static_cast<Scalar>(b);
          d = nesterov ? d + mu * b : b;
        }
        p(i) = static_cast<Scalar>(pi - lr * d);
      });
}

}  // namespace Impl

template <class MemorySpace, class Scalar>
Sgd<MemorySpace, Scalar>::Sgd(std::size_t num_parameters, SgdOptions const& options)
    : base(num_parameters), m_options(options) {
  auto ok = [](double x) { return std::isfinite(x) && x >= 0; };
  KONO_USER_REQUIRE(ok(options.momentum) && ok(options.dampening) && ok(options.weight_decay), invalid_argument,
                    "kono::Sgd: momentum=" << options.momentum << ", dampening=" << options.dampening
                                           << ", weight_decay=" << options.weight_decay << " must be finite and >= 0");
  KONO_USER_REQUIRE(!options.nesterov || (options.momentum > 0 && options.dampening == 0), invalid_argument,
                    "kono::Sgd: nesterov needs momentum > 0 and dampening = 0, got momentum="
                        << options.momentum << ", dampening=" << options.dampening);
  if (options.momentum != 0.0) m_momentum_buffer = this->allocate_state("kono::Sgd::momentum_buffer");
}

template <class MemorySpace, class Scalar>
LayerConfig Sgd<MemorySpace, Scalar>::config() const {
  return {{"type", "sgd"},
          {"momentum", m_options.momentum},
          {"dampening", m_options.dampening},
          {"weight_decay", m_options.weight_decay},
          {"nesterov", m_options.nesterov}};
}

template <class MemorySpace, class Scalar>
auto Sgd<MemorySpace, Scalar>::state() const -> state_type {
  if (m_options.momentum == 0.0) return {};
  return {{"momentum_buffer", m_momentum_buffer}};
}

template <class MemorySpace, class Scalar>
void Sgd<MemorySpace, Scalar>::step_impl(execution_space const& space, view_type const& params, view_type const& grads,
                                         double lr, std::int64_t step_number) {
  Impl::sgd_update<MemorySpace, Scalar>(space, params, grads, m_momentum_buffer, m_options, lr, step_number == 1);
}

template class Sgd<DefaultMemorySpace, float>;
template class Sgd<DefaultMemorySpace, double>;

}  // namespace kono
