#include <cmath>
#include <kono/core/closest_match.hpp>
#include <kono/core/error.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/operators/optimizers/optimizer.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
void Optimizer<MemorySpace, Scalar>::step(execution_space const& space, view_type const& params, view_type const& grads,
                                          double lr) {
  // Messages are streamed only on failure: a successful step builds no strings.
  KONO_USER_REQUIRE(params.extent(0) == m_num_parameters && grads.extent(0) == m_num_parameters, size_mismatch,
                    "kono::Optimizer::step (" << type_name() << "): parameter buffer \"" << params.label()
                                              << "\" holds " << params.extent(0) << " values and gradient buffer \""
                                              << grads.label() << "\" holds " << grads.extent(0)
                                              << ", the optimizer was built for " << m_num_parameters << " parameters");
  KONO_USER_REQUIRE(
      std::isfinite(lr) && lr >= 0, invalid_argument,
      "kono::Optimizer::step (" << type_name() << "): learning rate " << lr << " must be finite and >= 0");
  // The update reads grads while it writes params: the same storage for both is a caller bug.
  KONO_USER_REQUIRE(m_num_parameters == 0 || params.data() != grads.data(), invalid_argument,
                    "kono::Optimizer::step (" << type_name() << "): parameter buffer \"" << params.label()
                                              << "\" and gradient buffer \"" << grads.label()
                                              << "\" are the same storage");
  ProfilingRegion region("kono::Optimizer::step");
  step_impl(space, params, grads, lr, m_steps + 1);
  ++m_steps;
}

template <class MemorySpace, class Scalar>
void Optimizer<MemorySpace, Scalar>::set_steps_taken(std::int64_t steps) {
  KONO_USER_REQUIRE(steps >= 0, invalid_argument,
                    "kono::Optimizer::set_steps_taken (" << type_name() << "): steps " << steps << " is negative");
  m_steps = steps;
}

template <class MemorySpace, class Scalar>
void Optimizer<MemorySpace, Scalar>::set_state(std::string const& name, view_type const& values) const {
  std::vector<std::string> names;
  for (auto const& [n, buffer] : state()) {
    if (n != name) {
      names.push_back(n);
      continue;
    }
    KONO_USER_REQUIRE(values.extent(0) == buffer.extent(0), size_mismatch,
                      "kono::Optimizer::set_state (" << type_name() << "): state \"" << name << "\" holds "
                                                     << buffer.extent(0) << " values, source \"" << values.label()
                                                     << "\" holds " << values.extent(0));
    Kokkos::deep_copy(buffer, values);
    return;
  }
  KONO_THROW(invalid_argument, "kono::Optimizer::set_state ("
                                   << type_name() << "): no state buffer \"" << name << "\""
                                   << (names.empty() ? std::string("; this optimizer has no state buffers")
                                                     : known_names_hint(name, names)));
}

template class Optimizer<DefaultMemorySpace, float>;
template class Optimizer<DefaultMemorySpace, double>;

}  // namespace kono
