#include <kono/operators/losses/mse.hpp>

#include <kono/operators/layer.hpp>

namespace kono {

namespace Impl {
// Kernels live in free functions: nvcc rejects extended lambdas inside protected members.
template <class MemorySpace, class Scalar>
void mse_per_sample(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& pred,
                    Tensor<MemorySpace, Scalar> const& target, Kokkos::View<double*, MemorySpace> const& out) {
  using exec = typename MemorySpace::execution_space;
  using policy = Kokkos::TeamPolicy<exec>;
  index_t const samples = pred.extent(0);
  if (samples == 0) return;
  index_t const m = pred.size() / samples;
  auto const p = pred.data();
  auto const t = target.data();
  // One team per sample: a team reduction is deterministic, unlike atomics over a flat range.
  Kokkos::parallel_for(
      "kono::MseLoss::per_sample", policy(space, static_cast<int>(samples), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename policy::member_type const& member) {
        index_t const n = member.league_rank();
        index_t const base = n * m;
        double acc = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(member, m),
            [&](index_t i, double& a) {
              double const e = static_cast<double>(p(base + i)) - static_cast<double>(t(base + i));
              a += e * e;
            },
            acc);
        Kokkos::single(Kokkos::PerTeam(member), [&]() { out(n) = acc / static_cast<double>(m); });
      });
}

template <class MemorySpace, class Scalar>
void mse_backward(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& pred,
                  Tensor<MemorySpace, Scalar> const& target, double scale, Tensor<MemorySpace, Scalar> const& dpred) {
  using exec = typename MemorySpace::execution_space;
  index_t const samples = pred.extent(0);
  if (samples == 0) return;
  double const factor = 2.0 * scale / static_cast<double>(pred.size() / samples);
  auto const p = pred.data();
  auto const t = target.data();
  auto const g = dpred.data();
  Kokkos::parallel_for(
      "kono::MseLoss::backward", Kokkos::RangePolicy<exec>(space, 0, p.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
        g(i) = static_cast<Scalar>(factor * (static_cast<double>(p(i)) - static_cast<double>(t(i))));
      });
}
}  // namespace Impl

template <class MemorySpace, class Scalar>
void MseLoss<MemorySpace, Scalar>::per_sample_impl(execution_space const& space, tensor_type const& pred,
                                                   tensor_type const& target, values_view const& out) const {
  Impl::mse_per_sample(space, pred, target, out);
}

template <class MemorySpace, class Scalar>
void MseLoss<MemorySpace, Scalar>::backward_impl(execution_space const& space, tensor_type const& pred,
                                                 tensor_type const& target, double scale,
                                                 tensor_type const& dpred) const {
  Impl::mse_backward(space, pred, target, scale, dpred);
}

KONO_INSTANTIATE_FOR_SCALARS(MseLoss)

}  // namespace kono
