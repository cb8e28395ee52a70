#pragma once
/// kono::RelativeLpLoss: neuralop's relative Lp loss (LpLoss.rel, p = 2 by default).
#include <string>

#include <kono/operators/losses/loss.hpp>

namespace kono {

/// Per sample n: ||pred_n - y_n||_p / (||y_n||_p + eps), the p-norms taken over all channels and
/// points of the sample (the grid measure cancels in the ratio, as in neuralop's LpLoss.rel).
/// With per_channel = true each channel gets its own ratio and the sample's value is the sum over
/// channels: exactly neuralop's LpLoss(d=spatial dims, reduction="sum") restricted to one sample
/// (the two agree for C = 1). eps = 1e-8 is neuralop's guard against ||y|| = 0; with eps = 0 a
/// zero target norm throws Error{non_finite} naming the sample. Any p >= 1.
/// Config {"type": "lp", "p": 2, "eps": 1e-8, "per_channel": false} ("l2" fixes p = 2).
/// At pred = y the gradient is taken as 0 (the norm is not differentiable there).
namespace Impl {
/// [N, C] table of per-(sample, channel) sums used by the relative losses.
template <class MemorySpace>
using GroupSums = Kokkos::View<double**, Kokkos::LayoutRight, MemorySpace>;

/// Scratch of the relative losses, kept between calls so a training step allocates nothing
/// once the batch shape repeats. Not thread-safe (one loss object per concurrent caller).
template <class MemorySpace>
struct GroupSumsWorkspace {
  GroupSums<MemorySpace> err, ref, enorm, denom;
  /// Sizes the tables for [samples, channels] (allocating only on a change) and zeroes err, ref.
  void prepare(index_t samples, index_t channels) {
    if (err.data() == nullptr || index_t(err.extent(0)) != samples || index_t(err.extent(1)) != channels) {
      err = GroupSums<MemorySpace>("kono::RelativeLoss::err_sums", samples, channels);
      ref = GroupSums<MemorySpace>("kono::RelativeLoss::ref_sums", samples, channels);
      enorm = GroupSums<MemorySpace>("kono::RelativeLoss::enorm", samples, channels);
      denom = GroupSums<MemorySpace>("kono::RelativeLoss::denom", samples, channels);
    } else {
      Kokkos::deep_copy(err, 0.0);
      Kokkos::deep_copy(ref, 0.0);
    }
  }
};
}  // namespace Impl

template <class MemorySpace, class Scalar>
class RelativeLpLoss final : public Loss<MemorySpace, Scalar> {
 public:
  using base_type = Loss<MemorySpace, Scalar>;
  using typename base_type::execution_space;
  using typename base_type::tensor_type;
  using typename base_type::values_view;

  /// Throws Error{invalid_argument} unless p >= 1 and eps >= 0, both finite.
  explicit RelativeLpLoss(double p = 2.0, double eps = 1e-8, bool per_channel = false);

  /// "l2" when p == 2, else "lp".
  std::string name() const override;
  LayerConfig config() const override;
  double p() const noexcept { return m_p; }
  double eps() const noexcept { return m_eps; }
  bool per_channel() const noexcept { return m_per_channel; }

 protected:
  void per_sample_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target,
                       values_view const& out) const override;
  void backward_impl(execution_space const& space, tensor_type const& pred, tensor_type const& target, double scale,
                     tensor_type const& dpred) const override;

 private:
  double m_p;
  double m_eps;
  bool m_per_channel;
  mutable Impl::GroupSumsWorkspace<MemorySpace> m_work;
};

namespace Impl {

/// Turns per-(sample, channel) sums E (of |e|^p) and Y (of |y|^p) into relative errors. A group is
/// a whole sample, or one channel when per_channel: r_g = E_g^(1/p) / (Y_g^(1/p) + eps). Writes
/// out(n) = sum of r_g over the groups of sample n (skipped when out is empty) and, for backward,
/// enorm(n, c) = E_g^(1/p) and denom(n, c) = Y_g^(1/p) + eps of the group holding (n, c).
/// Returns the first n * C + c whose denominator is 0 (only possible with eps = 0), or -1.
template <class MemorySpace>
index_t relative_ratios(typename MemorySpace::execution_space const& space, GroupSums<MemorySpace> const& err_sums,
                        GroupSums<MemorySpace> const& ref_sums, double p, double eps, bool per_channel,
                        Kokkos::View<double*, MemorySpace> const& out, GroupSums<MemorySpace> const& enorm,
                        GroupSums<MemorySpace> const& denom);
}  // namespace Impl

}  // namespace kono
