#include <cmath>
#include <kono/core/error.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/core/types.hpp>
#include <kono/operators/optimizers/gradient_clipping.hpp>

namespace kono {

template <class ExecutionSpace, class Scalar>
double global_norm(ExecutionSpace const& space,
                   Kokkos::View<Scalar*, Kokkos::LayoutRight, typename ExecutionSpace::memory_space> const& values) {
  auto v = values;
  double sum = 0;
  // Squares summed in double: float gradients of large models lose digits in a float sum.
  Kokkos::parallel_reduce(
      "kono::global_norm",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<index_t>>(space, 0, static_cast<index_t>(v.extent(0))),
      KOKKOS_LAMBDA(index_t i, double& acc) {
        double const x = static_cast<double>(v(i));
        acc += x * x;
      },
      sum);
  return std::sqrt(sum);
}

template <class ExecutionSpace, class Scalar>
double clip_grad_norm(ExecutionSpace const& space,
                      Kokkos::View<Scalar*, Kokkos::LayoutRight, typename ExecutionSpace::memory_space> const& grads,
                      double max_norm) {
  KONO_USER_REQUIRE(std::isfinite(max_norm) && max_norm > 0, invalid_argument,
                    "kono::clip_grad_norm: max_norm=" << max_norm << " must be finite and > 0 (gradient buffer \""
                                                      << grads.label() << "\")");
  ProfilingRegion region("kono::clip_grad_norm");
  double const norm = global_norm(space, grads);
  if (!std::isfinite(norm)) return norm;
  double const scale = max_norm / (norm + 1e-6);  // PyTorch's 1e-6 keeps a zero norm finite
  if (scale >= 1.0) return norm;
  auto g = grads;
  Kokkos::parallel_for(
      "kono::clip_grad_norm",
      Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<index_t>>(space, 0, static_cast<index_t>(g.extent(0))),
      KOKKOS_LAMBDA(index_t i) { g(i) = static_cast<Scalar>(static_cast<double>(g(i)) * scale); });
  return norm;
}

#define KONO_INSTANTIATE_CLIPPING(Scalar)                                                      \
  template double global_norm<DefaultExecutionSpace, Scalar>(                                  \
      DefaultExecutionSpace const&,                                                            \
      Kokkos::View<Scalar*, Kokkos::LayoutRight, DefaultExecutionSpace::memory_space> const&); \
  template double clip_grad_norm<DefaultExecutionSpace, Scalar>(                               \
      DefaultExecutionSpace const&,                                                            \
      Kokkos::View<Scalar*, Kokkos::LayoutRight, DefaultExecutionSpace::memory_space> const&, double);
KONO_INSTANTIATE_CLIPPING(float)
KONO_INSTANTIATE_CLIPPING(double)
#undef KONO_INSTANTIATE_CLIPPING

}  // namespace kono
