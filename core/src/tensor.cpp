// Explicit instantiations: compiles every Tensor member once for the spaces kono uses, so a
// template error shows up when building kono rather than in a user's code.
#include <kono/core/tensor.hpp>

namespace kono {
template class Tensor<Kokkos::HostSpace, float>;
template class Tensor<Kokkos::HostSpace, double>;
}  // namespace kono
