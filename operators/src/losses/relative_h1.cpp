#include <kono/operators/losses/relative_h1.hpp>

#include <cmath>

#include <kono/operators/layer.hpp>
#include <kono/operators/losses/relative_lp.hpp>

namespace kono {

namespace Impl {

/// Spatial grid of one [spatial...] slab, by value in kernels (unused axes have n = 1).
struct H1Grid {
  int dims = 0;
  index_t n[3] = {1, 1, 1};
  index_t stride[3] = {1, 1, 1};
  double inv2h[3] = {0, 0, 0};  ///< 1 / (2 h_a), central differences
  double inv6h[3] = {0, 0, 0};  ///< 1 / (6 h_a), one-sided third-order ends
  bool periodic[3] = {true, true, true};
};

/// pred - target (or target alone) of one (sample, channel) slab starting at `base`.
template <class ViewType>
struct H1Field {
  ViewType x, y;
  index_t base;
  bool error;
  KOKKOS_INLINE_FUNCTION double operator()(index_t s) const {
    double const t = static_cast<double>(y(base + s));
    return error ? static_cast<double>(x(base + s)) - t : t;
  }
};

// neuralop FiniteDiff's third-order one-sided stencils (numerators over 6h).
KOKKOS_INLINE_FUNCTION double left_end_coef(index_t k) { return k == 0 ? -11.0 : k == 1 ? 18.0 : k == 2 ? -9.0 : 2.0; }
KOKKOS_INLINE_FUNCTION double right_end_coef(index_t k) { return k == 0 ? -2.0 : k == 1 ? 9.0 : k == 2 ? -18.0 : 11.0; }

/// (D_a f) at the point with flat index s whose coordinate along axis a is i.
template <class F>
KOKKOS_INLINE_FUNCTION double diff_axis(F const& f, H1Grid const& g, int a, index_t s, index_t i) {
  index_t const n = g.n[a], st = g.stride[a];
  index_t const s0 = s - i * st;
  if (g.periodic[a]) {
    index_t const ip = i + 1 == n ? 0 : i + 1;
    index_t const im = i == 0 ? n - 1 : i - 1;
    return (f(s0 + ip * st) - f(s0 + im * st)) * g.inv2h[a];
  }
  if (i == 0) {
    double acc = 0;
    for (index_t k = 0; k < 4; ++k) acc += left_end_coef(k) * f(s0 + k * st);
    return acc * g.inv6h[a];
  }
  if (i == n - 1) {
    double acc = 0;
    for (index_t k = 0; k < 4; ++k) acc += right_end_coef(k) * f(s0 + (n - 4 + k) * st);
    return acc * g.inv6h[a];
  }
  return (f(s0 + (i + 1) * st) - f(s0 + (i - 1) * st)) * g.inv2h[a];
}

/// (D_a^T D_a f) at flat index s with coordinate i along axis a: the column i of D_a applied to
/// D_a f, with D_a f recomputed on the fly (no [N, C, spatial, axis] temporary).
template <class F>
KOKKOS_INLINE_FUNCTION double diff_axis_normal(F const& f, H1Grid const& g, int a, index_t s, index_t i) {
  index_t const n = g.n[a], st = g.stride[a];
  index_t const s0 = s - i * st;
  if (g.periodic[a]) {
    // Row j holds +1/(2h) at column j+1 and -1/(2h) at column j-1 (mod n).
    index_t const ip = i + 1 == n ? 0 : i + 1;
    index_t const im = i == 0 ? n - 1 : i - 1;
    return (diff_axis(f, g, a, s0 + im * st, im) - diff_axis(f, g, a, s0 + ip * st, ip)) * g.inv2h[a];
  }
  double r = 0;
  if (i <= 3) r += left_end_coef(i) * g.inv6h[a] * diff_axis(f, g, a, s0, 0);
  if (i >= n - 4) r += right_end_coef(i - (n - 4)) * g.inv6h[a] * diff_axis(f, g, a, s0 + (n - 1) * st, n - 1);
  if (i - 1 >= 1 && i - 1 <= n - 2) r += g.inv2h[a] * diff_axis(f, g, a, s0 + (i - 1) * st, i - 1);
  if (i + 1 >= 1 && i + 1 <= n - 2) r -= g.inv2h[a] * diff_axis(f, g, a, s0 + (i + 1) * st, i + 1);
  return r;
}

/// f^2 + sum_a (D_a f)^2 at flat index s.
template <class F>
KOKKOS_INLINE_FUNCTION double h1_density(F const& f, H1Grid const& g, index_t s) {
  double const v = f(s);
  double acc = v * v;
  for (int a = 0; a < g.dims; ++a) {
    double const d = diff_axis(f, g, a, s, (s / g.stride[a]) % g.n[a]);
    acc += d * d;
  }
  return acc;
}

template <class MemorySpace, class Scalar>
void h1_group_sums(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& pred,
                   Tensor<MemorySpace, Scalar> const& target, H1Grid const& grid,
                   GroupSums<MemorySpace> const& err_sums, GroupSums<MemorySpace> const& ref_sums) {
  using exec = typename MemorySpace::execution_space;
  using policy = Kokkos::TeamPolicy<exec>;
  using field = H1Field<typename Tensor<MemorySpace, Scalar>::view_type>;
  index_t const channels = pred.extent(1);
  index_t const groups = pred.extent(0) * channels;
  if (groups == 0) return;
  index_t const points = pred.size() / groups;
  auto const x = pred.data();
  auto const y = target.data();
  Kokkos::parallel_for(
      "kono::RelativeH1Loss::group_sums", policy(space, static_cast<int>(groups), Kokkos::AUTO),
      KOKKOS_LAMBDA(typename policy::member_type const& member) {
        index_t const g = member.league_rank();
        field const e{x, y, g * points, true};
        field const t{x, y, g * points, false};
        double se = 0, sy = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(member, points), [&](index_t s, double& a) { a += h1_density(e, grid, s); }, se);
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(member, points), [&](index_t s, double& a) { a += h1_density(t, grid, s); }, sy);
        Kokkos::single(Kokkos::PerTeam(member), [&]() {
          err_sums(g / channels, g % channels) = se;
          ref_sums(g / channels, g % channels) = sy;
        });
      });
}

template <class MemorySpace, class Scalar>
void h1_backward(typename MemorySpace::execution_space const& space, Tensor<MemorySpace, Scalar> const& pred,
                 Tensor<MemorySpace, Scalar> const& target, H1Grid const& grid, double scale,
                 GroupSums<MemorySpace> const& enorm, GroupSums<MemorySpace> const& denom,
                 Tensor<MemorySpace, Scalar> const& dpred) {
  using exec = typename MemorySpace::execution_space;
  using field = H1Field<typename Tensor<MemorySpace, Scalar>::view_type>;
  index_t const channels = pred.extent(1);
  index_t const groups = pred.extent(0) * channels;
  if (groups == 0) return;
  index_t const points = pred.size() / groups;
  auto const x = pred.data();
  auto const y = target.data();
  auto const out = dpred.data();
  // d/de sqrt(E) = (e + sum_a D_a^T D_a e) / sqrt(E), E = sum e^2 + sum_a (D_a e)^2.
  Kokkos::parallel_for(
      "kono::RelativeH1Loss::backward", Kokkos::RangePolicy<exec>(space, 0, pred.size()), KOKKOS_LAMBDA(index_t i) {
        index_t const grp = i / points;
        index_t const s = i - grp * points;
        index_t const n = grp / channels;
        index_t const c = grp % channels;
        double const en = enorm(n, c);
        double d = 0;
        if (en > 0) {
          field const e{x, y, grp * points, true};
          double v = e(s);
          for (int a = 0; a < grid.dims; ++a) v += diff_axis_normal(e, grid, a, s, (s / grid.stride[a]) % grid.n[a]);
          d = v / (en * denom(n, c));
        }
        out(i) = static_cast<Scalar>(scale * d);
      });
}

/// Value of a per-axis option list (empty = fallback, one value = every axis).
template <class T>
T h1_axis_value(std::vector<T> const& values, int axis, T fallback) {
  if (values.empty()) return fallback;
  return values.size() == 1 ? values[0] : values[static_cast<std::size_t>(axis)];
}

H1Grid make_h1_grid(Shape const& shape, RelativeH1Options const& opt) {
  H1Grid g;
  g.dims = shape.rank() - 2;
  for (int a = 0; a < g.dims; ++a) {
    g.n[a] = shape[2 + a];
    double const h = opt.spacing.empty() ? h1_axis_value(opt.measure, a, 1.0) / static_cast<double>(g.n[a])
                                         : h1_axis_value(opt.spacing, a, 1.0);
    g.inv2h[a] = 1.0 / (2.0 * h);
    g.inv6h[a] = 1.0 / (6.0 * h);
    g.periodic[a] = h1_axis_value(opt.periodic, a, true);
  }
  for (int a = g.dims - 1; a >= 0; --a) g.stride[a] = a == g.dims - 1 ? 1 : g.stride[a + 1] * g.n[a + 1];
  return g;
}

void throw_h1_zero_norm(char const* where, index_t bad, index_t channels, bool per_channel, std::string const& label) {
  if (bad < 0) return;
  if (per_channel)
    KONO_THROW(non_finite, where << ": channel " << bad % channels << " of target sample " << bad / channels << " in \""
                                 << label << "\" has zero H1 norm and eps = 0; the relative error is undefined"
                                 << " (use eps > 0)");
  KONO_THROW(non_finite, where << ": target sample " << bad / channels << " in \"" << label
                               << "\" has zero H1 norm and eps = 0; the relative error is undefined (use eps > 0)");
}

}  // namespace Impl

template <class MemorySpace, class Scalar>
RelativeH1Loss<MemorySpace, Scalar>::RelativeH1Loss(RelativeH1Options options) : m_options(std::move(options)) {
  auto const& o = m_options;
  KONO_USER_REQUIRE(std::isfinite(o.eps) && o.eps >= 0.0, invalid_argument,
                    "kono::RelativeH1Loss: eps = " << o.eps << " is not allowed, expected a finite eps >= 0");
  KONO_USER_REQUIRE(o.measure.empty() || o.spacing.empty(), invalid_argument,
                    "kono::RelativeH1Loss: give either \"measure\" (h = measure / n) or \"h\", not both");
  KONO_USER_REQUIRE(o.periodic.size() <= 3 && o.measure.size() <= 3 && o.spacing.size() <= 3, invalid_argument,
                    "kono::RelativeH1Loss: per-axis lists have at most 3 entries (1 to 3 spatial axes), got periodic "
                        << o.periodic.size() << ", measure " << o.measure.size() << ", h " << o.spacing.size());
  for (double m : o.measure)
    KONO_USER_REQUIRE(std::isfinite(m) && m > 0, invalid_argument,
                      "kono::RelativeH1Loss: measure " << m << " is not allowed, expected > 0");
  for (double h : o.spacing)
    KONO_USER_REQUIRE(std::isfinite(h) && h > 0, invalid_argument,
                      "kono::RelativeH1Loss: h " << h << " is not allowed, expected > 0");
}

template <class MemorySpace, class Scalar>
LayerConfig RelativeH1Loss<MemorySpace, Scalar>::config() const {
  LayerConfig cfg{{"type", "h1"}, {"eps", m_options.eps}, {"per_channel", m_options.per_channel}};
  if (!m_options.periodic.empty()) cfg["periodic"] = m_options.periodic;
  if (!m_options.measure.empty()) cfg["measure"] = m_options.measure;
  if (!m_options.spacing.empty()) cfg["h"] = m_options.spacing;
  return cfg;
}

template <class MemorySpace, class Scalar>
void RelativeH1Loss<MemorySpace, Scalar>::check_shape(Shape const& shape, char const* where) const {
  int const dims = shape.rank() - 2;
  KONO_USER_REQUIRE(dims >= 1 && dims <= 3, size_mismatch,
                    "kono::RelativeH1Loss::" << where << ": shape " << shape.to_string()
                                             << " has " << dims
                                             << " spatial axes, expected [N, C, x], [N, C, x, y] or [N, C, x, y, z]");
  auto check_len = [&](std::size_t len, char const* key) {
    KONO_USER_REQUIRE(len <= 1 || static_cast<int>(len) == dims, size_mismatch,
                      "kono::RelativeH1Loss::" << where << ": \"" << key << "\" has " << len
                                               << " entries, shape " << shape.to_string() << " has " << dims
                                               << " spatial axes (give 1 or " << dims << ")");
  };
  check_len(m_options.periodic.size(), "periodic");
  check_len(m_options.measure.size(), "measure");
  check_len(m_options.spacing.size(), "h");
  for (int a = 0; a < dims; ++a)
    KONO_USER_REQUIRE(Impl::h1_axis_value(m_options.periodic, a, true) || shape[2 + a] >= 4, invalid_argument,
                      "kono::RelativeH1Loss::" << where << ": spatial axis " << a << " of shape " << shape.to_string()
                                               << " has " << shape[2 + a]
                                               << " points; a non-periodic axis needs at least 4 (one-sided stencils)");
}

template <class MemorySpace, class Scalar>
void RelativeH1Loss<MemorySpace, Scalar>::per_sample_impl(execution_space const& space, tensor_type const& pred,
                                                          tensor_type const& target, values_view const& out) const {
  index_t const samples = pred.extent(0), channels = pred.extent(1);
  m_work.prepare(samples, channels);
  auto const &err = m_work.err, &ref = m_work.ref, &enorm = m_work.enorm, &denom = m_work.denom;
  Impl::h1_group_sums(space, pred, target, Impl::make_h1_grid(pred.shape(), m_options), err, ref);
  index_t const bad = Impl::relative_ratios(space, err, ref, 2.0, m_options.eps, m_options.per_channel, out, enorm, denom);
  Impl::throw_h1_zero_norm("kono::RelativeH1Loss::per_sample", bad, channels, m_options.per_channel, target.label());
}

template <class MemorySpace, class Scalar>
void RelativeH1Loss<MemorySpace, Scalar>::backward_impl(execution_space const& space, tensor_type const& pred,
                                                        tensor_type const& target, double scale,
                                                        tensor_type const& dpred) const {
  index_t const samples = pred.extent(0), channels = pred.extent(1);
  m_work.prepare(samples, channels);
  auto const &err = m_work.err, &ref = m_work.ref, &enorm = m_work.enorm, &denom = m_work.denom;
  Impl::H1Grid const grid = Impl::make_h1_grid(pred.shape(), m_options);
  Impl::h1_group_sums(space, pred, target, grid, err, ref);
  index_t const bad = Impl::relative_ratios(space, err, ref, 2.0, m_options.eps, m_options.per_channel,
                                            Kokkos::View<double*, MemorySpace>(), enorm, denom);
  Impl::throw_h1_zero_norm("kono::RelativeH1Loss::backward", bad, channels, m_options.per_channel, target.label());
  Impl::h1_backward(space, pred, target, grid, scale, enorm, denom, dpred);
}

KONO_INSTANTIATE_FOR_SCALARS(RelativeH1Loss)

}  // namespace kono
