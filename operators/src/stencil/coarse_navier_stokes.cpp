// Coarse finite-volume Navier-Stokes step and its exact reverse mode. Kernels are free functions
// over Views (nvcc rejects extended lambdas in private members); the class only sequences them.
//
// Forward, per stage:  flux_t = a_t q_t (a: linear advecting velocity, q: stencil value), then
//   out = c0 u0 + c1 w + c2 F(w) with F = -div(flux) + nu lap(w) + f - drag w, then P(out).
// Reverse, per stage (gG the adjoint of G(w) = w + dt F(w), scaled as s X):
//   gfl_t = (div^T dt s X)_t, ga_t = gfl_t q_t, gq_t = gfl_t a_t, dcoeffs_(t,k) += gq_t src_k,
//   gw = s X + dt s (nu lap - drag) X + avg^T ga + (stencil gather of gq c).
// The stencil adjoint is a gather over the taps (not a scatter), so it needs no atomics and is
// deterministic on every backend.
#include <kono/core/error.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/operators/layer.hpp>
#include <kono/operators/stencil/coarse_navier_stokes.hpp>

#include "coarse_navier_stokes_kernels.hpp"

#include <cmath>
#include <limits>

namespace kono {
namespace stencil {
namespace {

using Impl::Coefficients;
using Impl::PeriodicRows;
using Impl::wrap;

// Reverse of the fluxes for the stage adjoint gG = s X: ga_t, gq_t and dcoeffs.
template <class Exec, class VU, class Coef, class VX, class VG, class VC>
void adjoint_flux_kernel(Exec const& space, VU const& w, Coef const& coef, VX const& x, double s_dt_d, VG const& ga,
                         VG const& gq, VC const& gc, bool has_gc, bool accumulate_gc, int S, double hd) {
  using Sc = typename VG::non_const_value_type;
  int const B = static_cast<int>(w.extent(0)), n = static_cast<int>(w.extent(2));
  int const T = taps_per_target(S);
  Sc const f = Sc(s_dt_d / hd);
  Impl::for_each_cell(
      "kono::stencil::CoarseNavierStokes::adjoint_flux", space, B, n, n, KOKKOS_LAMBDA(int b, int j, int i) {
        int const im = i == 0 ? n - 1 : i - 1, ip = i + 1 == n ? 0 : i + 1;
        int const jm = j == 0 ? n - 1 : j - 1, jp = j + 1 == n ? 0 : j + 1;
        Sc a[4];
        Impl::advecting(w, PeriodicRows{n}, b, j, i, n, a);
        Sc gfl[4];
        gfl[0] = f * (x(b, 0, j, ip) - x(b, 0, j, i));
        gfl[1] = f * (x(b, 0, j, i) - x(b, 0, jm, i));
        gfl[2] = f * (x(b, 1, j, i) - x(b, 1, j, im));
        gfl[3] = f * (x(b, 1, jp, i) - x(b, 1, j, i));
        for (int t = 0; t < num_targets; ++t) {
          Sc const q = Impl::interpolate(w, coef, PeriodicRows{n}, b, t, j, i, n, S, T);
          ga(b, t, j, i) = gfl[t] * q;
          Sc const g = gfl[t] * a[t];
          gq(b, t, j, i) = g;
          if (has_gc) {
            int const comp = source_component(t);
            Impl::for_each_tap(t, S, [&](int k, int dy, int dx) {
              Sc const v = g * w(b, comp, wrap(j + dy, n), wrap(i + dx, n));
              gc(b, t * T + k, j, i) = accumulate_gc ? gc(b, t * T + k, j, i) + v : v;
            });
          }
        }
      });
}

// out = e0 acc + J(w)^T (s X), J = I + dt F'(w), from ga/gq of adjoint_flux_kernel.
template <class Exec, class VX, class VG, class Coef, class VP, class VO>
void adjoint_state_kernel(Exec const& space, VX const& x, double sd, double s_dt_d, VG const& ga, VG const& gq,
                          Coef const& coef, VP const& params, VX const& acc, double e0d, VO const& out, int S,
                          double dragd, double hd) {
  using Sc = typename VO::non_const_value_type;
  int const B = static_cast<int>(x.extent(0)), n = static_cast<int>(x.extent(2));
  int const T = taps_per_target(S);
  Sc const s = Sc(sd), s_dt = Sc(s_dt_d), e0 = Sc(e0d), drag = Sc(dragd), inv_h2 = Sc(1.0 / (hd * hd)), half = Sc(0.5);
  bool const use_acc = e0d != 0.0;
  Impl::for_each_cell(
      "kono::stencil::CoarseNavierStokes::adjoint_state", space, B, n, n, KOKKOS_LAMBDA(int b, int j, int i) {
        int const im = i == 0 ? n - 1 : i - 1, ip = i + 1 == n ? 0 : i + 1;
        int const jm = j == 0 ? n - 1 : j - 1, jp = j + 1 == n ? 0 : j + 1;
        Sc const nu = params(b, 0);
        Sc g[2];
        for (int c = 0; c < 2; ++c) {
          Sc const xc = x(b, c, j, i);
          Sc const lap = (x(b, c, j, ip) + x(b, c, j, im) + x(b, c, jp, i) + x(b, c, jm, i) - Sc(4) * xc) * inv_h2;
          g[c] = s * xc + s_dt * (nu * lap - drag * xc);  // lap and drag are symmetric
        }
        g[0] += half * (ga(b, 0, j, i) + ga(b, 0, j, im)) + half * (ga(b, 2, j, i) + ga(b, 2, jp, i));
        g[1] += half * (ga(b, 1, j, i) + ga(b, 1, j, ip)) + half * (ga(b, 3, j, i) + ga(b, 3, jm, i));
        for (int t = 0; t < num_targets; ++t) {
          Sc sum = 0;
          Impl::for_each_tap(t, S, [&](int k, int dy, int dx) {
            int const jt = wrap(j - dy, n), it = wrap(i - dx, n);  // the target this source feeds
            sum += gq(b, t, jt, it) * coef(b, t * T + k, jt, it);
          });
          g[source_component(t)] += sum;
        }
        out(b, 0, j, i) = use_acc ? e0 * acc(b, 0, j, i) + g[0] : g[0];
        out(b, 1, j, i) = use_acc ? e0 * acc(b, 1, j, i) + g[1] : g[1];
      });
}

template <class Exec, class V>
void axpby_kernel(Exec const& space, double ad, V const& x, double bd, V const& y, V const& out) {
  using Sc = typename V::non_const_value_type;
  Sc const a = Sc(ad), b = Sc(bd);
  Kokkos::parallel_for(
      "kono::stencil::CoarseNavierStokes::axpby", Kokkos::RangePolicy<Exec>(space, 0, out.extent(0)),
      KOKKOS_LAMBDA(std::int64_t k) { out(k) = a * x(k) + b * y(k); });
}

template <class Exec, class VU, class VW>
void vorticity_kernel(Exec const& space, VU const& u, VW const& w, double hd) {
  using Sc = typename VW::non_const_value_type;
  int const B = static_cast<int>(u.extent(0)), n = static_cast<int>(u.extent(2));
  Sc const inv_h = Sc(1.0 / hd);
  Impl::for_each_cell(
      "kono::stencil::CoarseNavierStokes::vorticity", space, B, n, n, KOKKOS_LAMBDA(int b, int j, int i) {
        int const im = i == 0 ? n - 1 : i - 1, jm = j == 0 ? n - 1 : j - 1;
        w(b, 0, j, i) = (u(b, 1, j, i) - u(b, 1, j, im)) * inv_h - (u(b, 0, j, i) - u(b, 0, jm, i)) * inv_h;
      });
}

// Flat index of the first value that is NaN or +-Inf, or size when there is none. Only quiet
// comparisons touch a NaN (x != x first), so FE_INVALID traps stay silent.
template <class Exec, class V>
index_t first_non_finite(Exec const& space, V const& data) {
  using Sc = typename V::non_const_value_type;
  Sc const big = std::numeric_limits<Sc>::max();
  index_t const size = static_cast<index_t>(data.extent(0));
  index_t first = size;
  Kokkos::parallel_reduce(
      "kono::stencil::CoarseNavierStokes::first_non_finite", Kokkos::RangePolicy<Exec>(space, 0, size),
      KOKKOS_LAMBDA(std::int64_t k, index_t & m) {
        Sc const x = data(k);
        if ((x != x || x > big || x < -big) && static_cast<index_t>(k) < m) m = static_cast<index_t>(k);
      },
      Kokkos::Min<index_t>(first));
  return first;
}

// Largest |value| and its flat index; NaNs are skipped with quiet comparisons only (x == x
// first), so FE_INVALID traps stay silent (check_state reports them).
template <class Exec, class V>
Kokkos::ValLocScalar<typename V::non_const_value_type, index_t> max_abs(Exec const& space, V const& data) {
  using Sc = typename V::non_const_value_type;
  using Reducer = Kokkos::MaxLoc<Sc, index_t>;
  typename Reducer::value_type r;
  r.val = Sc(0);
  r.loc = 0;
  Kokkos::parallel_reduce(
      "kono::stencil::CoarseNavierStokes::max_abs", Kokkos::RangePolicy<Exec>(space, 0, data.extent(0)),
      KOKKOS_LAMBDA(std::int64_t k, typename Reducer::value_type & m) {
        Sc const v = data(k);
        if (v != v) return;
        Sc const x = v < Sc(0) ? -v : v;
        if (x > m.val) {
          m.val = x;
          m.loc = static_cast<index_t>(k);
        }
      },
      Reducer(r));
  return r;
}

}  // namespace

template <class MemorySpace, class Scalar>
struct CoarseNavierStokes<MemorySpace, Scalar>::Workspace {
  index_t batch = -1;
  tensor_type w1, w2, tmp;   // stage states (projected) and the unprojected stage sum
  tensor_type flux, ga, gq;  // [B, 4, n, n]
  tensor_type ax, t1, acc;   // adjoint scratch [B, 2, n, n]
  Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> forcing;  // sin(2 pi k_f y_j / L) at the u points
  Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace> linear;   // linear_coefficient(t, S, k) at t T + k
};

template <class MemorySpace, class Scalar>
CoarseNavierStokes<MemorySpace, Scalar>::CoarseNavierStokes(CoarseSolverOptions const& options, int n)
    : m_options((options.validate(), options)), m_n(n), m_projection(n, options.domain_length) {
  int const reach = stencil_reach(options.stencil_size);
  KONO_USER_REQUIRE(n >= 2 * reach, invalid_argument,
                    "kono::stencil::CoarseNavierStokes: n = " << n << " is too small for stencil_size "
                                                              << options.stencil_size << " (needs n >= " << 2 * reach
                                                              << ")");
  m_h = options.domain_length / n;
}

template <class MemorySpace, class Scalar>
CoarseNavierStokes<MemorySpace, Scalar>::~CoarseNavierStokes() = default;
template <class MemorySpace, class Scalar>
CoarseNavierStokes<MemorySpace, Scalar>::CoarseNavierStokes(CoarseNavierStokes&&) noexcept = default;
template <class MemorySpace, class Scalar>
CoarseNavierStokes<MemorySpace, Scalar>& CoarseNavierStokes<MemorySpace, Scalar>::operator=(
    CoarseNavierStokes&&) noexcept = default;

template <class MemorySpace, class Scalar>
typename CoarseNavierStokes<MemorySpace, Scalar>::Workspace& CoarseNavierStokes<MemorySpace, Scalar>::workspace(
    index_t batch) const {
  if (!m_work) {
    m_work = std::make_unique<Workspace>();
    int const S = m_options.stencil_size, T = taps_per_target(S);
    auto forcing_h = Kokkos::View<Scalar*, Kokkos::LayoutRight, Kokkos::HostSpace>(
        "kono::stencil::CoarseNavierStokes::forcing", m_n);
    double const k = 2.0 * 3.14159265358979323846 * m_options.forcing_wavenumber / m_options.domain_length;
    for (int j = 0; j < m_n; ++j) forcing_h(j) = static_cast<Scalar>(std::sin(k * (j + 0.5) * m_h));
    auto linear_h = Kokkos::View<Scalar*, Kokkos::LayoutRight, Kokkos::HostSpace>(
        "kono::stencil::CoarseNavierStokes::linear", 4 * T);
    for (int t = 0; t < num_targets; ++t)
      for (int tap = 0; tap < T; ++tap) linear_h(t * T + tap) = static_cast<Scalar>(linear_coefficient(t, S, tap));
    m_work->forcing = Kokkos::create_mirror_view_and_copy(MemorySpace{}, forcing_h);
    m_work->linear = Kokkos::create_mirror_view_and_copy(MemorySpace{}, linear_h);
  }
  Workspace& w = *m_work;
  if (w.batch != batch) {
    Shape const s2{batch, 2, m_n, m_n}, s4{batch, 4, m_n, m_n};
    w.w1 = tensor_type("kono::stencil::CoarseNavierStokes::w1", s2);
    w.w2 = tensor_type("kono::stencil::CoarseNavierStokes::w2", s2);
    w.tmp = tensor_type("kono::stencil::CoarseNavierStokes::tmp", s2);
    w.flux = tensor_type("kono::stencil::CoarseNavierStokes::flux", s4);
    w.ga = tensor_type("kono::stencil::CoarseNavierStokes::ga", s4);
    w.gq = tensor_type("kono::stencil::CoarseNavierStokes::gq", s4);
    w.ax = tensor_type("kono::stencil::CoarseNavierStokes::ax", s2);
    w.t1 = tensor_type("kono::stencil::CoarseNavierStokes::t1", s2);
    w.acc = tensor_type("kono::stencil::CoarseNavierStokes::acc", s2);
    w.batch = batch;
  }
  return w;
}

template <class MemorySpace, class Scalar>
void CoarseNavierStokes<MemorySpace, Scalar>::check_inputs(char const* where, tensor_type const& u,
                                                           tensor_type const& coeffs, tensor_type const& params) const {
  KONO_USER_REQUIRE(u.rank() == 4 && u.extent(1) == 2 && u.extent(2) == m_n && u.extent(3) == m_n, size_mismatch,
                    "kono::stencil::CoarseNavierStokes::" << where << ": velocity \"" << u.label() << "\" has shape "
                                                          << u.shape().to_string() << ", expected [B, 2, " << m_n
                                                          << ", " << m_n << "]");
  index_t const B = u.extent(0);
  if (coeffs.size() != 0) {
    Shape const expected{B, 4 * taps(), m_n, m_n};
    KONO_USER_REQUIRE(coeffs.shape() == expected, size_mismatch,
                      "kono::stencil::CoarseNavierStokes::" << where << ": coefficients \"" << coeffs.label()
                                                            << "\" have shape " << coeffs.shape().to_string()
                                                            << ", expected " << expected.to_string() << " (4 targets x "
                                                            << taps() << " taps) or empty");
  }
  KONO_USER_REQUIRE(params.shape() == (Shape{B, 2}), size_mismatch,
                    "kono::stencil::CoarseNavierStokes::" << where << ": params \"" << params.label()
                                                          << "\" have shape " << params.shape().to_string()
                                                          << ", expected [" << B << ", 2] (nu, forcing amplitude)");
}

template <class MemorySpace, class Scalar>
void CoarseNavierStokes<MemorySpace, Scalar>::tendency(execution_space const& space, tensor_type const& u,
                                                       tensor_type const& coeffs, tensor_type const& params,
                                                       tensor_type const& out) const {
  check_inputs("tendency", u, coeffs, params);
  KONO_USER_REQUIRE(out.shape() == u.shape(), size_mismatch,
                    "kono::stencil::CoarseNavierStokes::tendency: output \"" << out.label() << "\" has shape "
                                                                             << out.shape().to_string() << ", expected "
                                                                             << u.shape().to_string());
  if (u.extent(0) == 0) return;
  Workspace& w = workspace(u.extent(0));
  bool const linear = coeffs.size() == 0;
  using V4 = UnmanagedView<Scalar, 4, MemorySpace>;
  Coefficients<V4, Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>> coef{
      linear ? V4() : coeffs.template view<4>(), w.linear, linear};
  auto const uv = u.template view<4>();
  Impl::run_stage(space, uv, uv, coef, w.flux.template view<4>(), params.template view<2>(), w.forcing,
                  out.template view<4>(), PeriodicRows{m_n}, 0, m_n, m_options.stencil_size, 0.0, 0.0, 1.0,
                  m_options.drag, m_h);
}

template <class MemorySpace, class Scalar>
void CoarseNavierStokes<MemorySpace, Scalar>::step(execution_space const& space, tensor_type const& u_in,
                                                   tensor_type const& coeffs, tensor_type const& params,
                                                   tensor_type const& u_out) const {
  ProfilingRegion region("kono::stencil::CoarseNavierStokes::step");
  check_inputs("step", u_in, coeffs, params);
  KONO_USER_REQUIRE(u_out.shape() == u_in.shape(), size_mismatch,
                    "kono::stencil::CoarseNavierStokes::step: output \"" << u_out.label() << "\" has shape "
                                                                         << u_out.shape().to_string() << ", expected "
                                                                         << u_in.shape().to_string());
  if (u_in.extent(0) == 0) return;
  Workspace& w = workspace(u_in.extent(0));
  bool const linear = coeffs.size() == 0;
  int const S = m_options.stencil_size;
  double const dt = m_options.dt, drag = m_options.drag;
  using V4 = UnmanagedView<Scalar, 4, MemorySpace>;
  Coefficients<V4, Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>> coef{
      linear ? V4() : coeffs.template view<4>(), w.linear, linear};
  auto const pv = params.template view<2>();
  auto const u0 = u_in.template view<4>();
  auto const flux = w.flux.template view<4>();
  auto const tmp = w.tmp.template view<4>();
  // tmp = c0 u0 + c1 s + c2 F(s); then the projection into `into`.
  auto stage = [&](tensor_type const& s, double c0, double c1, double c2, tensor_type const& into) {
    auto const sv = s.template view<4>();
    Impl::run_stage(space, u0, sv, coef, flux, pv, w.forcing, tmp, PeriodicRows{m_n}, 0, m_n, S, c0, c1, c2, drag, m_h);
    m_projection.apply(space, w.tmp, into);
  };
  if (m_options.time_stepper == TimeStepper::euler) {
    stage(u_in, 0.0, 1.0, dt, u_out);
  } else {
    // Shu-Osher SSP-RK3; u_out is written only by the last projection, so it may alias u_in.
    stage(u_in, 0.0, 1.0, dt, w.w1);
    stage(w.w1, 0.75, 0.25, 0.25 * dt, w.w2);
    stage(w.w2, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0 * dt, u_out);
  }
}

template <class MemorySpace, class Scalar>
void CoarseNavierStokes<MemorySpace, Scalar>::step_backward(execution_space const& space, tensor_type const& u_in,
                                                            tensor_type const& coeffs, tensor_type const& params,
                                                            tensor_type const& du_out, tensor_type const& du_in,
                                                            tensor_type const& dcoeffs, bool accumulate_dcoeffs) const {
  ProfilingRegion region("kono::stencil::CoarseNavierStokes::step_backward");
  check_inputs("step_backward", u_in, coeffs, params);
  for (tensor_type const* t : {&du_out, &du_in})
    KONO_USER_REQUIRE(t->shape() == u_in.shape(), size_mismatch,
                      "kono::stencil::CoarseNavierStokes::step_backward: gradient \""
                          << t->label() << "\" has shape " << t->shape().to_string() << ", expected "
                          << u_in.shape().to_string());
  index_t const B = u_in.extent(0);
  bool const has_gc = dcoeffs.size() != 0;
  if (has_gc) {
    Shape const expected{B, 4 * taps(), m_n, m_n};
    KONO_USER_REQUIRE(dcoeffs.shape() == expected, size_mismatch,
                      "kono::stencil::CoarseNavierStokes::step_backward: coefficient gradient \""
                          << dcoeffs.label() << "\" has shape " << dcoeffs.shape().to_string() << ", expected "
                          << expected.to_string() << " or empty");
  }
  if (B == 0) return;
  Workspace& w = workspace(B);
  bool const linear = coeffs.size() == 0;
  int const S = m_options.stencil_size;
  double const dt = m_options.dt, drag = m_options.drag;
  using V4 = UnmanagedView<Scalar, 4, MemorySpace>;
  Coefficients<V4, Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>> coef{
      linear ? V4() : coeffs.template view<4>(), w.linear, linear};
  auto const pv = params.template view<2>();
  auto const gcv = has_gc ? dcoeffs.template view<4>() : V4();
  bool gc_accumulate = accumulate_dcoeffs;
  // out = e0 acc + J(s)^T (scale X); dcoeffs gets the stage's dt scale X contribution.
  auto reverse_stage = [&](tensor_type const& state, tensor_type const& x, double scale, tensor_type const& acc,
                           double e0, tensor_type const& out) {
    auto const sv = state.template view<4>();
    auto const xv = x.template view<4>();
    adjoint_flux_kernel(space, sv, coef, xv, scale * dt, w.ga.template view<4>(), w.gq.template view<4>(), gcv, has_gc,
                        gc_accumulate, S, m_h);
    gc_accumulate = true;
    adjoint_state_kernel(space, xv, scale, scale * dt, w.ga.template view<4>(), w.gq.template view<4>(), coef, pv,
                         acc.template view<4>(), e0, out.template view<4>(), S, drag, m_h);
  };

  if (m_options.time_stepper == TimeStepper::euler) {
    m_projection.apply(space, du_out, w.ax);
    reverse_stage(u_in, w.ax, 1.0, w.ax, 0.0, du_in);
    return;
  }
  // Recompute the projected stage states w1, w2 (the checkpoint is u_in alone).
  {
    auto const u0 = u_in.template view<4>();
    auto const flux = w.flux.template view<4>();
    auto const tmp = w.tmp.template view<4>();
    auto stage = [&](tensor_type const& s, double c0, double c1, double c2, tensor_type const& into) {
      auto const sv = s.template view<4>();
      Impl::run_stage(space, u0, sv, coef, flux, pv, w.forcing, tmp, PeriodicRows{m_n}, 0, m_n, S, c0, c1, c2, drag,
                      m_h);
      m_projection.apply(space, w.tmp, into);
    };
    stage(u_in, 0.0, 1.0, dt, w.w1);
    stage(w.w1, 0.75, 0.25, 0.25 * dt, w.w2);
  }
  // u3 = P(u0/3 + 2/3 G(w2)), w2 = P(3/4 u0 + 1/4 G(w1)), w1 = P(G(u0)), G(s) = s + dt F(s).
  m_projection.apply(space, du_out, w.ax);                                       // a = P du_out
  reverse_stage(w.w2, w.ax, 2.0 / 3.0, w.ax, 0.0, w.t1);                         // g_w2 = J2^T (2/3 a)
  m_projection.apply(space, w.t1, w.t1);                                         // b = P g_w2
  axpby_kernel(space, 1.0 / 3.0, w.ax.data(), 0.75, w.t1.data(), w.acc.data());  // g_u0 = a/3 + 3/4 b
  reverse_stage(w.w1, w.t1, 0.25, w.t1, 0.0, w.ax);                              // g_w1 = J1^T (b/4)
  m_projection.apply(space, w.ax, w.ax);                                         // c = P g_w1
  reverse_stage(u_in, w.ax, 1.0, w.acc, 1.0, du_in);                             // du_in = g_u0 + J0^T c
}

template <class MemorySpace, class Scalar>
void CoarseNavierStokes<MemorySpace, Scalar>::vorticity(execution_space const& space, tensor_type const& u,
                                                        tensor_type const& w) const {
  KONO_USER_REQUIRE(u.rank() == 4 && u.extent(1) == 2 && u.extent(2) == m_n && u.extent(3) == m_n, size_mismatch,
                    "kono::stencil::CoarseNavierStokes::vorticity: velocity \"" << u.label() << "\" has shape "
                                                                                << u.shape().to_string());
  KONO_USER_REQUIRE(w.shape() == u.shape().with_extent(1, 1), size_mismatch,
                    "kono::stencil::CoarseNavierStokes::vorticity: output \""
                        << w.label() << "\" has shape " << w.shape().to_string() << ", expected [B, 1, n, n]");
  vorticity_kernel(space, u.template view<4>(), w.template view<4>(), m_h);
}

template <class MemorySpace, class Scalar>
double CoarseNavierStokes<MemorySpace, Scalar>::max_cfl(execution_space const& space, tensor_type const& u) const {
  if (u.size() == 0) return 0.0;
  return static_cast<double>(max_abs(space, u.data()).val) * m_options.dt / m_h;
}

template <class MemorySpace, class Scalar>
void CoarseNavierStokes<MemorySpace, Scalar>::check_state(execution_space const& space, tensor_type const& u, long step,
                                                          double cfl_limit) const {
  KONO_USER_REQUIRE(u.rank() == 4 && u.extent(1) == 2 && u.extent(2) == m_n && u.extent(3) == m_n, size_mismatch,
                    "kono::stencil::CoarseNavierStokes::check_state: velocity \"" << u.label() << "\" has shape "
                                                                                  << u.shape().to_string());
  if (u.size() == 0) return;
  index_t const nn = index_t(m_n) * m_n;
  auto locate = [&](index_t flat, index_t& b, int& c, int& j, int& i) {
    b = flat / (2 * nn);
    index_t r = flat - b * 2 * nn;
    c = static_cast<int>(r / nn);
    r -= index_t(c) * nn;
    j = static_cast<int>(r / m_n);
    i = static_cast<int>(r - index_t(j) * m_n);
  };
  index_t const bad = first_non_finite(space, u.data());
  if (bad < u.size()) {
    Scalar value{};
    Kokkos::deep_copy(value, Kokkos::subview(u.data(), bad));
    index_t b = 0;
    int c = 0, j = 0, i = 0;
    locate(bad, b, c, j, i);
    KONO_THROW(non_finite, "kono::stencil::CoarseNavierStokes::check_state: rollout blew up at step "
                               << step << ": sample " << b << ", cell (" << j << ", " << i
                               << "): " << (c == 0 ? "u" : "v") << " = " << value);
  }
  auto const m = max_abs(space, u.data());
  double const cfl = static_cast<double>(m.val) * m_options.dt / m_h;
  if (cfl > cfl_limit) {
    index_t b = 0;
    int c = 0, j = 0, i = 0;
    locate(m.loc, b, c, j, i);
    KONO_THROW(invalid_argument,
               "kono::stencil::CoarseNavierStokes::check_state: rollout exceeds the CFL limit at step "
                   << step << ": sample " << b << ", cell (" << j << ", " << i << "): |" << (c == 0 ? "u" : "v")
                   << "| = " << m.val << " gives CFL " << cfl << " > " << cfl_limit << " (dt = " << m_options.dt
                   << ", h = " << m_h << ")");
  }
}

KONO_INSTANTIATE_FOR_SCALARS(CoarseNavierStokes)

}  // namespace stencil
}  // namespace kono
