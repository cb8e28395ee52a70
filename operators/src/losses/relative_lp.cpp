#include <kono/operators/losses/relative_lp.hpp>

#include <cmath>
#include <limits>

#include <kono/operators/layer.hpp>

namespace kono {

namespace Impl {

/// |x|^p with exact fast paths for the common p = 2 and p = 1.
KOKKOS_INLINE_FUNCTION double abs_pow(double x, double p) {
  double const a = x < 0 ? -x : x;
  if (p == 2.0) return a * a;
  if (p == 1.0) return a;
  return math::pow(a, p);
}

/// s^(1/p) for s >= 0.
KOKKOS_INLINE_FUNCTION double root_p(double s, double p) {
  if (p == 2.0) return math::sqrt(s);
  if (p == 1.0) return s;
  return math::pow(s, 1.0 / p);
}

template <class MemorySpace>
index_t relative_ratios(typename MemorySpace::execution_space const& space, GroupSums<MemorySpace> const& err_sums,
                        GroupSums<MemorySpace> const& ref_sums, double p, double eps, bool per_channel,
                        Kokkos::View<double*, MemorySpace> const& out, GroupSums<MemorySpace> const& enorm,
                        GroupSums<MemorySpace> const& denom) {
  using exec = typename MemorySpace::execution_space;
  index_t const samples = static_cast<index_t>(err_sums.extent(0));
  index_t const channels = static_cast<index_t>(err_sums.extent(1));
  bool const write_out = out.extent(0) > 0;
  index_t constexpr none = std::numeric_limits<index_t>::max();
  index_t first_bad = none;
  // A zero denominator is reported, never divided by: the test main traps FE_INVALID and a
  // training run should stop with the sample index rather than train on NaN.
  Kokkos::parallel_reduce(
      "kono::Impl::relative_ratios", Kokkos::RangePolicy<exec>(space, 0, samples),
      KOKKOS_LAMBDA(index_t n, index_t & bad) {
        double total = 0;
        if (per_channel) {
          for (index_t c = 0; c < channels; ++c) {
            double const en = root_p(err_sums(n, c), p);
            double const den = root_p(ref_sums(n, c), p) + eps;
            enorm(n, c) = en;
            denom(n, c) = den;
            if (den > 0)
              total += en / den;
            else if (n * channels + c < bad)
              bad = n * channels + c;
          }
        } else {
          double se = 0, sy = 0;
          for (index_t c = 0; c < channels; ++c) {
            se += err_sums(n, c);
            sy += ref_sums(n, c);
          }
          double const en = root_p(se, p);
          double const den = root_p(sy, p) + eps;
          for (index_t c = 0; c < channels; ++c) {
            enorm(n, c) = en;
            denom(n, c) = den;
          }
          if (den > 0)
            total = en / den;
          else if (n * channels < bad)
            bad = n * channels;
        }
        if (write_out) out(n) = total;
      },
      Kokkos::Min<index_t>(first_bad));
  return first_bad == none ? -1 : first_bad;
}

template <class MemorySpace, class Scalar>
void lp_group_sums(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& pred,
                   Tensor<MemorySpace, Scalar> const& target, double p, GroupSums<MemorySpace> const& err_sums,
                   GroupSums<MemorySpace> const& ref_sums) {
  using exec = typename MemorySpace::execution_space;
  using policy = Kokkos::TeamPolicy<exec>;
  index_t const channels = pred.extent(1);
  index_t const groups = pred.extent(0) * channels;
  if (groups == 0) return;
  index_t const points = pred.size() / groups;
  auto const x = pred.data();
  auto const y = target.data();
  Kokkos::parallel_for(
      "kono::RelativeLpLoss::group_sums", policy(space, static_cast<int>(groups), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename policy::member_type const& member) {
        index_t const g = member.league_rank();
        index_t const base = g * points;
        double se = 0, sy = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(member, points),
            [&](index_t i, double& a) {
              a += abs_pow(static_cast<double>(x(base + i)) - static_cast<double>(y(base + i)), p);
            },
            se);
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(member, points),
            [&](index_t i, double& a) { a += abs_pow(static_cast<double>(y(base + i)), p); }, sy);
        Kokkos::single(Kokkos::PerTeam(member), [&]() {
          err_sums(g / channels, g % channels) = se;
          ref_sums(g / channels, g % channels) = sy;
        });
      });
}

template <class MemorySpace, class Scalar>
void lp_backward(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& pred,
                 Tensor<MemorySpace, Scalar> const& target, double p, double scale,
                 GroupSums<MemorySpace> const& enorm, GroupSums<MemorySpace> const& denom,
                 Tensor<MemorySpace, Scalar> const& dpred) {
  using exec = typename MemorySpace::execution_space;
  index_t const channels = pred.extent(1);
  index_t const groups = pred.extent(0) * channels;
  if (groups == 0) return;
  index_t const points = pred.size() / groups;
  auto const x = pred.data();
  auto const y = target.data();
  auto const g = dpred.data();
  // d/de ||e||_p = sign(e) (|e| / ||e||_p)^(p-1): the ratio is <= 1, so no overflow for large p.
  Kokkos::parallel_for(
      "kono::RelativeLpLoss::backward", Kokkos::RangePolicy<exec>(space, 0, pred.size()), KOKKOS_LAMBDA(index_t i) {
        index_t const grp = i / points;
        index_t const n = grp / channels;
        index_t const c = grp % channels;
        double const e = static_cast<double>(x(i)) - static_cast<double>(y(i));
        double const en = enorm(n, c);
        double d = 0;
        if (en > 0) {
          if (p == 2.0)
            d = e / en;
          else {
            double const sign = e > 0 ? 1.0 : (e < 0 ? -1.0 : 0.0);
            d = p == 1.0 ? sign : sign * math::pow((e < 0 ? -e : e) / en, p - 1.0);
          }
        }
        g(i) = static_cast<Scalar>(scale * d / denom(n, c));
      });
}

/// Throws Error{non_finite} for a zero target norm found by relative_ratios().
void lp_throw_zero_norm(std::string const& where, index_t bad, index_t channels, bool per_channel,
                            std::string const& label) {
  if (bad < 0) return;
  if (per_channel)
    KONO_THROW(non_finite, where << ": channel " << bad % channels << " of target sample " << bad / channels
                                 << " in \"" << label
                                 << "\" has zero norm and eps = 0; the relative error is undefined (use eps > 0)");
  KONO_THROW(non_finite, where << ": target sample " << bad / channels << " in \"" << label
                               << "\" has zero norm and eps = 0; the relative error is undefined (use eps > 0)");
}

template index_t relative_ratios<DefaultMemorySpace>(DefaultExecutionSpace const&,
                                                     GroupSums<DefaultMemorySpace> const&,
                                                     GroupSums<DefaultMemorySpace> const&, double, double, bool,
                                                     Kokkos::View<double*, DefaultMemorySpace> const&,
                                                     GroupSums<DefaultMemorySpace> const&,
                                                     GroupSums<DefaultMemorySpace> const&);
}  // namespace Impl

template <class MemorySpace, class Scalar>
RelativeLpLoss<MemorySpace, Scalar>::RelativeLpLoss(double p, double eps, bool per_channel)
    : m_p(p), m_eps(eps), m_per_channel(per_channel) {
  KONO_USER_REQUIRE(std::isfinite(p) && p >= 1.0, invalid_argument,
                    "kono::RelativeLpLoss: p = " << p << " is not allowed, expected a finite p >= 1");
  KONO_USER_REQUIRE(std::isfinite(eps) && eps >= 0.0, invalid_argument,
                    "kono::RelativeLpLoss: eps = " << eps << " is not allowed, expected a finite eps >= 0");
}

template <class MemorySpace, class Scalar>
std::string RelativeLpLoss<MemorySpace, Scalar>::name() const {
  return m_p == 2.0 ? "l2" : "lp";
}

template <class MemorySpace, class Scalar>
LayerConfig RelativeLpLoss<MemorySpace, Scalar>::config() const {
  LayerConfig cfg{{"type", name()}, {"eps", m_eps}, {"per_channel", m_per_channel}};
  if (m_p != 2.0) cfg["p"] = m_p;
  return cfg;
}

template <class MemorySpace, class Scalar>
void RelativeLpLoss<MemorySpace, Scalar>::per_sample_impl(execution_space const& space, tensor_type const& pred,
                                                          tensor_type const& target, values_view const& out) const {
  index_t const samples = pred.extent(0), channels = pred.extent(1);
  m_work.prepare(samples, channels);
  auto const &err = m_work.err, &ref = m_work.ref, &enorm = m_work.enorm, &denom = m_work.denom;
  Impl::lp_group_sums(space, pred, target, m_p, err, ref);
  index_t const bad = Impl::relative_ratios(space, err, ref, m_p, m_eps, m_per_channel, out, enorm, denom);
  Impl::lp_throw_zero_norm("kono::RelativeLpLoss::per_sample", bad, channels, m_per_channel, target.label());
}

template <class MemorySpace, class Scalar>
void RelativeLpLoss<MemorySpace, Scalar>::backward_impl(execution_space const& space, tensor_type const& pred,
                                                        tensor_type const& target, double scale,
                                                        tensor_type const& dpred) const {
  index_t const samples = pred.extent(0), channels = pred.extent(1);
  m_work.prepare(samples, channels);
  auto const &err = m_work.err, &ref = m_work.ref, &enorm = m_work.enorm, &denom = m_work.denom;
  Impl::lp_group_sums(space, pred, target, m_p, err, ref);
  index_t const bad = Impl::relative_ratios(space, err, ref, m_p, m_eps, m_per_channel,
                                            Kokkos::View<double*, MemorySpace>(), enorm, denom);
  Impl::lp_throw_zero_norm("kono::RelativeLpLoss::backward", bad, channels, m_per_channel, target.label());
  Impl::lp_backward(space, pred, target, m_p, scale, enorm, denom, dpred);
}

KONO_INSTANTIATE_FOR_SCALARS(RelativeLpLoss)

}  // namespace kono
