#include <cmath>
#include <utility>

#include <kono/core/error.hpp>
#include <kono/operators/stencil/hippo.hpp>

namespace kono {
namespace {
// Local state arrays in the kernels are sized by the class's order limit.
constexpr int max_order = HippoLegT<DefaultMemorySpace, double>::max_order;

// Kernels live in free functions (nvcc rejects extended lambdas in private members). One thread
// per (sample, channel, point); the state is copied to a local array first so that in-place
// calls (c_out == c) are safe.
template <class Exec, class A, class B, class V>
void hippo_update(Exec const& space, A const& abar, B const& bbar, int m, index_t rows, index_t p, V const& cv,
                  V const& fv, V const& cov) {
  using S = typename V::non_const_value_type;
  Kokkos::parallel_for(
      "kono::HippoLegT::update", Kokkos::RangePolicy<Exec>(space, 0, rows * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, row = idx / p;  // row = sample * C + channel
        index_t const base = row * m * p + q;
        double c[max_order];
        for (int k = 0; k < m; ++k) c[k] = double(cv(base + k * p));
        double const f = double(fv(idx));
        for (int n = 0; n < m; ++n) {
          double acc = bbar(n) * f;
          for (int k = 0; k < m; ++k) acc += abar(n, k) * c[k];
          cov(base + n * p) = S(acc);
        }
      });
}

template <class Exec, class A, class B, class V>
void hippo_update_backward(Exec const& space, A const& abar, B const& bbar, int m, index_t rows, index_t p,
                           V const& dcov, V const& dcv, V const& dfv) {
  using S = typename V::non_const_value_type;
  Kokkos::parallel_for(
      "kono::HippoLegT::update_backward", Kokkos::RangePolicy<Exec>(space, 0, rows * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, row = idx / p;
        index_t const base = row * m * p + q;
        double g[max_order];
        double df = 0;
        for (int n = 0; n < m; ++n) {
          g[n] = double(dcov(base + n * p));
          df += bbar(n) * g[n];
        }
        for (int k = 0; k < m; ++k) {
          double acc = 0;
          for (int n = 0; n < m; ++n) acc += abar(n, k) * g[n];
          dcv(base + k * p) = S(acc);
        }
        dfv(idx) = S(df);
      });
}

template <class Exec, class W, class V>
void hippo_reconstruct(Exec const& space, W const& w, int m, index_t rows, index_t p, V const& cv, V const& fv) {
  using S = typename V::non_const_value_type;
  Kokkos::parallel_for(
      "kono::HippoLegT::reconstruct", Kokkos::RangePolicy<Exec>(space, 0, rows * p), KOKKOS_LAMBDA(index_t idx) {
        index_t const q = idx % p, row = idx / p;
        double acc = 0;
        for (int k = 0; k < m; ++k) acc += w(k) * double(cv((row * m + k) * p + q));
        fv(idx) = S(acc);
      });
}

index_t points_per_sample(Shape const& s) { return s.rank() <= 2 ? 1 : s.tail(2).size(); }

// Solves L X = R for the m x m matrix L and an m x r right-hand side (row-major, in place in R)
// by Gaussian elimination with partial pivoting. L = I - dt/2 A is well conditioned (A's
// eigenvalues have negative real parts), so nothing fancier is needed.
void solve_in_place(std::vector<double> l, std::vector<double>& rhs, int m, int r) {
  for (int col = 0; col < m; ++col) {
    int piv = col;
    for (int i = col + 1; i < m; ++i)
      if (std::abs(l[std::size_t(i * m + col)]) > std::abs(l[std::size_t(piv * m + col)])) piv = i;
    KONO_REQUIRE(l[std::size_t(piv * m + col)] != 0.0, "kono::HippoLegT: singular bilinear system");
    if (piv != col) {
      for (int j = 0; j < m; ++j) std::swap(l[std::size_t(col * m + j)], l[std::size_t(piv * m + j)]);
      for (int j = 0; j < r; ++j) std::swap(rhs[std::size_t(col * r + j)], rhs[std::size_t(piv * r + j)]);
    }
    double const d = l[std::size_t(col * m + col)];
    for (int i = col + 1; i < m; ++i) {
      double const f = l[std::size_t(i * m + col)] / d;
      if (f == 0.0) continue;
      for (int j = col; j < m; ++j) l[std::size_t(i * m + j)] -= f * l[std::size_t(col * m + j)];
      for (int j = 0; j < r; ++j) rhs[std::size_t(i * r + j)] -= f * rhs[std::size_t(col * r + j)];
    }
  }
  for (int i = m - 1; i >= 0; --i)
    for (int j = 0; j < r; ++j) {
      double acc = rhs[std::size_t(i * r + j)];
      for (int k = i + 1; k < m; ++k) acc -= l[std::size_t(i * m + k)] * rhs[std::size_t(k * r + j)];
      rhs[std::size_t(i * r + j)] = acc / l[std::size_t(i * m + i)];
    }
}
}  // namespace

template <class MemorySpace, class Scalar>
HippoLegT<MemorySpace, Scalar>::HippoLegT(int order, double theta, double dt)
    : m_order(order), m_theta(theta), m_dt(dt) {
  KONO_USER_REQUIRE(order >= 1 && order <= max_order, invalid_argument,
                    "kono::HippoLegT: order=" << order << " must be in [1, " << max_order << "]");
  KONO_USER_REQUIRE(theta > 0 && dt > 0 && std::isfinite(theta) && std::isfinite(dt), invalid_argument,
                    "kono::HippoLegT: theta=" << theta << " and dt=" << dt << " must be positive");
  int const m = order;
  std::size_t const mm = std::size_t(m) * std::size_t(m);
  // Continuous LegT system, then bilinear: (I - dt/2 A) [Abar | Bbar] = [I + dt/2 A | dt B].
  std::vector<double> l(mm), rhs(std::size_t(m) * std::size_t(m + 1));
  for (int n = 0; n < m; ++n) {
    for (int k = 0; k < m; ++k) {
      double const sign = (k <= n || (n - k) % 2 == 0) ? 1.0 : -1.0;
      double const a = -std::sqrt(2.0 * n + 1) * std::sqrt(2.0 * k + 1) / theta * sign;
      double const id = n == k ? 1.0 : 0.0;
      l[std::size_t(n * m + k)] = id - 0.5 * dt * a;
      rhs[std::size_t(n * (m + 1) + k)] = id + 0.5 * dt * a;
    }
    rhs[std::size_t(n * (m + 1) + m)] = dt * std::sqrt(2.0 * n + 1) / theta;
  }
  solve_in_place(l, rhs, m, m + 1);
  m_abar_host.resize(mm);
  m_bbar_host.resize(std::size_t(m));
  for (int n = 0; n < m; ++n) {
    for (int k = 0; k < m; ++k) m_abar_host[std::size_t(n * m + k)] = rhs[std::size_t(n * (m + 1) + k)];
    m_bbar_host[std::size_t(n)] = rhs[std::size_t(n * (m + 1) + m)];
  }
  m_abar = decltype(m_abar)("kono::HippoLegT::abar", m, m);
  m_bbar = decltype(m_bbar)("kono::HippoLegT::bbar", m);
  auto ha = Kokkos::create_mirror_view(m_abar);
  auto hb = Kokkos::create_mirror_view(m_bbar);
  for (int n = 0; n < m; ++n) {
    for (int k = 0; k < m; ++k) ha(n, k) = m_abar_host[std::size_t(n * m + k)];
    hb(n) = m_bbar_host[std::size_t(n)];
  }
  Kokkos::deep_copy(m_abar, ha);
  Kokkos::deep_copy(m_bbar, hb);
}

template <class MemorySpace, class Scalar>
Shape HippoLegT<MemorySpace, Scalar>::state_shape(Shape const& f) const {
  KONO_USER_REQUIRE(f.rank() >= 2, size_mismatch,
                    "kono::HippoLegT: signal shape " << f.to_string() << " is not [B, C, spatial...]");
  return f.with_extent(1, f[1] * m_order);
}

template <class MemorySpace, class Scalar>
void HippoLegT<MemorySpace, Scalar>::check_shapes(char const* what, Shape const& state, Shape const& signal) const {
  Shape const expected = state_shape(signal);
  KONO_USER_REQUIRE(state == expected, size_mismatch,
                    "kono::HippoLegT::" << what << ": state shape " << state.to_string() << " does not match "
                                        << expected.to_string() << " (signal " << signal.to_string()
                                        << ", order M=" << m_order << ", channel layout channel*M + m)");
}

template <class MemorySpace, class Scalar>
void HippoLegT<MemorySpace, Scalar>::update(execution_space const& space, tensor_type const& c, tensor_type const& f,
                                            tensor_type const& c_out) const {
  check_shapes("update", c.shape(), f.shape());
  check_shapes("update", c_out.shape(), f.shape());
  index_t const rows = f.extent(0) * f.extent(1);
  hippo_update(space, m_abar, m_bbar, m_order, rows, points_per_sample(f.shape()), c.data(), f.data(), c_out.data());
}

template <class MemorySpace, class Scalar>
void HippoLegT<MemorySpace, Scalar>::update_backward(execution_space const& space, tensor_type const& dc_out,
                                                     tensor_type const& dc, tensor_type const& df) const {
  check_shapes("update_backward", dc_out.shape(), df.shape());
  check_shapes("update_backward", dc.shape(), df.shape());
  index_t const rows = df.extent(0) * df.extent(1);
  hippo_update_backward(space, m_abar, m_bbar, m_order, rows, points_per_sample(df.shape()), dc_out.data(), dc.data(),
                        df.data());
}

template <class MemorySpace, class Scalar>
void HippoLegT<MemorySpace, Scalar>::reconstruct(execution_space const& space, tensor_type const& c,
                                                 tensor_type const& f_out, double s) const {
  KONO_USER_REQUIRE(s >= 0.0 && s <= 1.0, invalid_argument,
                    "kono::HippoLegT::reconstruct: s=" << s << " must lie in [0, 1] (fraction of the window)");
  check_shapes("reconstruct", c.shape(), f_out.shape());
  // sqrt(2m+1) P_m(x) by the three-term recurrence, x = 1 - 2 s.
  Kokkos::View<double*, Kokkos::LayoutRight, MemorySpace> w("kono::HippoLegT::reconstruct_weights", m_order);
  auto hw = Kokkos::create_mirror_view(w);
  double const x = 1.0 - 2.0 * s;
  double pm1 = 0.0, p0 = 1.0;
  for (int n = 0; n < m_order; ++n) {
    hw(n) = std::sqrt(2.0 * n + 1) * p0;
    double const p1 = ((2.0 * n + 1) * x * p0 - n * pm1) / (n + 1.0);
    pm1 = p0;
    p0 = p1;
  }
  Kokkos::deep_copy(w, hw);
  index_t const rows = f_out.extent(0) * f_out.extent(1);
  hippo_reconstruct(space, w, m_order, rows, points_per_sample(f_out.shape()), c.data(), f_out.data());
  space.fence();  // w is freed on return
}

template <class MemorySpace, class Scalar>
auto HippoLegT<MemorySpace, Scalar>::features_from_history(host_tensor_type const& history) const -> host_tensor_type {
  KONO_USER_REQUIRE(history.rank() >= 2, size_mismatch,
                    "kono::HippoLegT::features_from_history: history shape " << history.shape().to_string()
                                                                             << " is not [T, C, spatial...]");
  index_t const steps = history.extent(0);
  tensor_type const h = history.template clone_to<MemorySpace>("kono::HippoLegT::history");
  Shape const frame = history.shape().with_extent(0, 1);
  tensor_type const c("kono::HippoLegT::features", state_shape(frame));
  execution_space const space{};
  for (index_t k = 0; k < steps; ++k) update(space, c, h.slice_batch(k, 1), c);
  space.fence();
  return c.template clone_to<Kokkos::HostSpace>("kono::HippoLegT::features_host");
}

template class HippoLegT<DefaultMemorySpace, float>;
template class HippoLegT<DefaultMemorySpace, double>;
}  // namespace kono
