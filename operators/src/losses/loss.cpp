#include <kono/operators/losses/loss.hpp>

#include <kono/core/profiling_region.hpp>
#include <kono/operators/layer.hpp>

namespace kono {

namespace Impl {
template <class MemorySpace>
double sum_values(typename MemorySpace::execution_space const& space, Kokkos::View<double*, MemorySpace> const& v) {
  using exec = typename MemorySpace::execution_space;
  double total = 0;
  Kokkos::parallel_reduce(
      "kono::Loss::sum", Kokkos::RangePolicy<exec>(space, 0, v.extent(0)),
      KOKKOS_LAMBDA(std::size_t i, double& acc) { acc += v(i); }, total);
  return total;
}
}  // namespace Impl

template <class MemorySpace, class Scalar>
void Loss<MemorySpace, Scalar>::check_inputs(tensor_type const& pred, tensor_type const& target,
                                             char const* where) const {
  KONO_USER_REQUIRE(pred.shape() == target.shape(), size_mismatch,
                    "kono::Loss(" << name() << ")::" << where << ": pred \"" << pred.label() << "\" has shape "
                                  << pred.shape().to_string() << ", target \"" << target.label() << "\" has shape "
                                  << target.shape().to_string() << "; they must be equal");
  KONO_USER_REQUIRE(pred.rank() >= 2, size_mismatch,
                    "kono::Loss(" << name() << ")::" << where << ": pred \"" << pred.label() << "\" has shape "
                                  << pred.shape().to_string() << ", expected [N, C, spatial...] (rank >= 2)");
  // Every per-sample mean or norm needs at least one value per sample.
  for (int a = 1; a < pred.rank(); ++a)
    KONO_USER_REQUIRE(pred.extent(a) > 0, invalid_argument,
                      "kono::Loss(" << name() << ")::" << where << ": pred \"" << pred.label() << "\" of shape "
                                    << pred.shape().to_string() << " has an empty axis " << a
                                    << "; only the batch axis may be 0");
  check_shape(pred.shape(), where);
}

template <class MemorySpace, class Scalar>
void Loss<MemorySpace, Scalar>::per_sample(execution_space const& space, tensor_type const& pred,
                                           tensor_type const& target, values_view const& out) const {
  ProfilingRegion region("kono::Loss(" + name() + ")::per_sample");
  check_inputs(pred, target, "per_sample");
  KONO_USER_REQUIRE(static_cast<index_t>(out.extent(0)) == pred.extent(0), size_mismatch,
                    "kono::Loss(" << name() << ")::per_sample: out \"" << out.label() << "\" has extent "
                                  << out.extent(0) << ", pred \"" << pred.label() << "\" of shape "
                                  << pred.shape().to_string() << " has " << pred.extent(0) << " samples");
  per_sample_impl(space, pred, target, out);
}

template <class MemorySpace, class Scalar>
double Loss<MemorySpace, Scalar>::sum(execution_space const& space, tensor_type const& pred,
                                      tensor_type const& target) const {
  check_inputs(pred, target, "sum");
  if (m_sum_values.extent(0) != static_cast<std::size_t>(pred.extent(0)))
    m_sum_values = values_view(Kokkos::view_alloc(Kokkos::WithoutInitializing, "kono::Loss::sum::values"),
                               static_cast<std::size_t>(pred.extent(0)));
  per_sample(space, pred, target, m_sum_values);
  double const total = Impl::sum_values<MemorySpace>(space, m_sum_values);
  space.fence();
  return total;
}

template <class MemorySpace, class Scalar>
void Loss<MemorySpace, Scalar>::backward(execution_space const& space, tensor_type const& pred,
                                         tensor_type const& target, double scale, tensor_type const& dpred) const {
  ProfilingRegion region("kono::Loss(" + name() + ")::backward");
  check_inputs(pred, target, "backward");
  KONO_USER_REQUIRE(dpred.shape() == pred.shape(), size_mismatch,
                    "kono::Loss(" << name() << ")::backward: dpred \"" << dpred.label() << "\" has shape "
                                  << dpred.shape().to_string() << ", pred \"" << pred.label() << "\" has shape "
                                  << pred.shape().to_string());
  backward_impl(space, pred, target, scale, dpred);
}

KONO_INSTANTIATE_FOR_SCALARS(Loss)

}  // namespace kono
