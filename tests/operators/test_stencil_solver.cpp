// Coarse finite-volume Navier-Stokes solver (stencil/coarse_navier_stokes.hpp): the projection
// is an orthogonal projector, step_backward is the exact adjoint of step (finite differences,
// one step and a 5-step rollout), the classical stencil's fast path, conservation properties,
// the laminar Kolmogorov state, second-order convergence on Taylor-Green, the blow-up messages,
// and float against double.
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include <kono/operators/stencil/coarse_navier_stokes.hpp>
#include <kono/operators/stencil/pressure_projection.hpp>

#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using Exec = Space::execution_space;
using kono::index_t;
using kono::Shape;
using kono::stencil::CoarseNavierStokes;
using kono::stencil::CoarseSolverOptions;
using kono::stencil::PressureProjection;
using kono::stencil::TimeStepper;
template <class S>
using TensorT = kono::Tensor<Space, S>;
using TensorD = TensorT<double>;
using TensorF = TensorT<float>;
using SolverD = CoarseNavierStokes<Space, double>;
using HostD = kono::Tensor<Kokkos::HostSpace, double>;
auto const exec = Exec{};
double const two_pi = 6.283185307179586;

TensorD make(Shape const& shape, std::function<double(index_t)> const& f) {
  HostD h("kono::test::host", shape);
  for (index_t k = 0; k < h.size(); ++k) h.data()(k) = f(k);
  return h.clone_to<Space>("kono::test::tensor");
}
TensorD random_tensor(Shape const& shape, std::uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-scale, scale);
  return make(shape, [&](index_t) { return d(rng); });
}
TensorD zeros_like(TensorD const& t) { return TensorD("kono::test::zeros", t.shape()); }
TensorD copy(TensorD const& t) { return t.clone_to<Space>("kono::test::copy"); }
std::vector<double> host(TensorD const& t) {
  auto h = t.to_host();
  return std::vector<double>(h.data().data(), h.data().data() + h.size());
}
double dot(TensorD const& a, TensorD const& b) {
  auto const x = host(a), y = host(b);
  double s = 0;
  for (std::size_t k = 0; k < x.size(); ++k) s += x[k] * y[k];
  return s;
}
double max_abs(TensorD const& t) {
  double m = 0;
  for (double v : host(t)) m = std::max(m, std::abs(v));
  return m;
}
double max_diff(TensorD const& a, TensorD const& b) {
  auto const x = host(a), y = host(b);
  double m = 0;
  for (std::size_t k = 0; k < x.size(); ++k) m = std::max(m, std::abs(x[k] - y[k]));
  return m;
}
// x + eps d
TensorD axpy(TensorD const& x, double eps, TensorD const& d) {
  auto const xv = host(x), dv = host(d);
  return make(x.shape(), [&](index_t k) { return xv[k] + eps * dv[k]; });
}

CoarseSolverOptions options(TimeStepper stepper, double dt, int S = 4) {
  CoarseSolverOptions o;
  o.dt = dt;
  o.time_stepper = stepper;
  o.stencil_size = S;
  return o;
}
// A divergence-free random velocity [B, 2, n, n] of size ~1.
TensorD random_velocity(PressureProjection<Space, double> const& p, index_t B, std::uint64_t seed) {
  TensorD u = random_tensor(Shape{B, 2, p.n(), p.n()}, seed);
  p.apply(exec, u, u);
  return u;
}
// Linear stencil everywhere plus a perturbation of size `noise`.
TensorD coefficients(CoarseNavierStokes<Space, double> const& s, index_t B, double noise, std::uint64_t seed) {
  int const T = s.taps(), n = s.n(), S = s.options().stencil_size;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-noise, noise);
  return make(Shape{B, 4 * T, n, n}, [&](index_t k) {
    int const ch = static_cast<int>((k / (index_t(n) * n)) % (4 * T));
    return kono::stencil::linear_coefficient(ch / T, S, ch % T) + d(rng);
  });
}
TensorD params(index_t B, double nu, double amplitude) {
  return make(Shape{B, 2}, [&](index_t k) { return k % 2 == 0 ? nu * (1.0 + 0.5 * double(k / 2)) : amplitude; });
}
TensorD step(CoarseNavierStokes<Space, double> const& s, TensorD const& u, TensorD const& c, TensorD const& p) {
  TensorD out = zeros_like(u);
  s.step(exec, u, c, p, out);
  return out;
}

// ---- projection ------------------------------------------------------------------------------

TEST(StencilSolver, ProjectionIsAnOrthogonalProjector) {
  int const n = 12;
  PressureProjection<Space, double> p(n, two_pi);
  TensorD const a = random_tensor(Shape{3, 2, n, n}, 1), b = random_tensor(Shape{3, 2, n, n}, 2);
  TensorD pa = zeros_like(a), pb = zeros_like(b), ppa = zeros_like(a);
  p.apply(exec, a, pa);
  p.apply(exec, b, pb);
  p.apply(exec, pa, ppa);
  EXPECT_LT(max_diff(pa, ppa), 1e-13);
  TensorD div("div", Shape{3, 1, n, n});
  p.divergence(exec, pa, div);
  EXPECT_LT(max_abs(div), 1e-12);
  p.divergence(exec, a, div);
  EXPECT_GT(max_abs(div), 0.1);  // the input was not divergence-free
  EXPECT_NEAR(dot(pa, b), dot(a, pb), 1e-12 * std::abs(dot(pa, b)) + 1e-13);
  // In place, and the mean velocity is untouched (the gradient of a periodic pressure sums to 0).
  TensorD c = copy(a);
  p.apply(exec, c, c);
  EXPECT_LT(max_diff(c, pa), 1e-15);
  auto const ah = host(a), ch = host(c);
  for (int comp = 0; comp < 2; ++comp) {
    double ma = 0, mc = 0;
    for (index_t k = 0; k < index_t(n) * n; ++k) {
      ma += ah[comp * n * n + k];
      mc += ch[comp * n * n + k];
    }
    EXPECT_NEAR(ma, mc, 1e-12);
  }
  EXPECT_KONO_ERROR(p.apply(exec, TensorD("bad", Shape{1, 2, n, n + 1}), c), size_mismatch, "[B, 2, 12, 12]");
}

TEST(StencilSolver, PressureSolvesThe5PointPoissonProblem) {
  int const n = 10;
  double const h = two_pi / n;
  PressureProjection<Space, double> proj(n, two_pi);
  TensorD const div = random_tensor(Shape{2, 1, n, n}, 3);
  TensorD p = zeros_like(div);
  proj.pressure(exec, div, p);
  auto const d = host(div), ph = host(p);
  for (int b = 0; b < 2; ++b) {
    double mean = 0, pmean = 0;
    for (int k = 0; k < n * n; ++k) {
      mean += d[b * n * n + k] / (n * n);
      pmean += ph[b * n * n + k] / (n * n);
    }
    EXPECT_NEAR(pmean, 0.0, 1e-13);
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) {
        auto at = [&](int jj, int ii) { return ph[b * n * n + ((jj + n) % n) * n + (ii + n) % n]; };
        double const lap = (at(j, i + 1) + at(j, i - 1) + at(j + 1, i) + at(j - 1, i) - 4 * at(j, i)) / (h * h);
        EXPECT_NEAR(lap, d[b * n * n + j * n + i] - mean, 1e-12);
      }
  }
}

// ---- geometry and the classical stencil --------------------------------------------------------

TEST(StencilSolver, LinearStencilSumsToOne) {
  for (int S : {2, 4, 6}) {
    int const T = kono::stencil::taps_per_target(S);
    for (int t = 0; t < 4; ++t) {
      double sum = 0;
      int nonzero = 0;
      for (int k = 0; k < T; ++k) {
        double const c = kono::stencil::linear_coefficient(t, S, k);
        sum += c;
        nonzero += c != 0.0;
      }
      EXPECT_DOUBLE_EQ(sum, 1.0) << "S " << S << " target " << t;
      EXPECT_EQ(nonzero, 2) << "S " << S << " target " << t;
    }
  }
}

TEST(StencilSolver, LinearCoefficientsEqualEmptyTensor) {
  int const n = 16;
  for (TimeStepper ts : {TimeStepper::euler, TimeStepper::rk3}) {
    CoarseNavierStokes<Space, double> s(options(ts, 0.05), n);
    TensorD const u = random_velocity(s.projection(), 2, 3);
    TensorD const c = coefficients(s, 2, 0.0, 4), p = params(2, 0.05, 1.0);
    TensorD const a = step(s, u, c, p), b = step(s, u, TensorD(), p);
    EXPECT_LT(max_diff(a, b), 1e-14);
    EXPECT_GT(max_diff(a, u), 1e-3);
    // The reverse mode agrees too (it evaluates the table, the forward has a fast path).
    TensorD const g = random_tensor(u.shape(), 5);
    TensorD da = zeros_like(u), db = zeros_like(u);
    s.step_backward(exec, u, c, p, g, da, TensorD(), false);
    s.step_backward(exec, u, TensorD(), p, g, db, TensorD(), false);
    EXPECT_LT(max_diff(da, db), 1e-13);
  }
}

// ---- gradients ---------------------------------------------------------------------------------

class StencilGradient : public ::testing::TestWithParam<TimeStepper> {};

TEST_P(StencilGradient, StepBackwardMatchesFiniteDifferences) {
  int const n = 8;
  index_t const B = 2;
  CoarseNavierStokes<Space, double> s(options(GetParam(), 0.08), n);
  TensorD const u = random_velocity(s.projection(), B, 11);
  TensorD const c = coefficients(s, B, 0.2, 12), p = params(B, 0.05, 0.7);
  TensorD const w = random_tensor(u.shape(), 13);  // J = <w, step(u, c)>
  TensorD du = zeros_like(u), dc = zeros_like(c);
  s.step_backward(exec, u, c, p, w, du, dc, false);
  double const eps = 1e-6;
  for (std::uint64_t trial = 0; trial < 3; ++trial) {
    TensorD const d = random_tensor(u.shape(), 100 + trial);
    double const fd = (dot(w, step(s, axpy(u, eps, d), c, p)) - dot(w, step(s, axpy(u, -eps, d), c, p))) / (2 * eps);
    double const ad = dot(du, d);
    EXPECT_NEAR(ad, fd, 1e-7 * std::abs(fd) + 1e-9) << "u direction " << trial;
    TensorD const e = random_tensor(c.shape(), 200 + trial);
    double const fdc = (dot(w, step(s, u, axpy(c, eps, e), p)) - dot(w, step(s, u, axpy(c, -eps, e), p))) / (2 * eps);
    EXPECT_NEAR(dot(dc, e), fdc, 1e-7 * std::abs(fdc) + 1e-9) << "coefficient direction " << trial;
  }
  // accumulate adds; du_in may alias du_out.
  TensorD dc2 = copy(dc), g = copy(w);
  s.step_backward(exec, u, c, p, g, g, dc2, true);
  EXPECT_LT(max_diff(g, du), 1e-14);
  EXPECT_LT(max_diff(dc2, axpy(dc, 1.0, dc)), 1e-13);
  // The classical stencil (empty coefficients) can still report d/dcoeffs at the linear stencil.
  TensorD const c0 = coefficients(s, B, 0.0, 1);
  TensorD dce = zeros_like(c), dcl = zeros_like(c), due = zeros_like(u);
  s.step_backward(exec, u, TensorD(), p, w, due, dce, false);
  s.step_backward(exec, u, c0, p, w, due, dcl, false);
  EXPECT_LT(max_diff(dce, dcl), 1e-13);
}

TEST_P(StencilGradient, FiveStepRolloutMatchesFiniteDifferences) {
  int const n = 8, steps = 5;
  index_t const B = 2;
  CoarseNavierStokes<Space, double> s(options(GetParam(), 0.06), n);
  TensorD const u0 = random_velocity(s.projection(), B, 21);
  TensorD const c = coefficients(s, B, 0.2, 22), p = params(B, 0.03, 0.5);
  TensorD const w = random_tensor(u0.shape(), 23);
  auto rollout = [&](TensorD const& u, TensorD const& cc) {
    TensorD x = copy(u);
    for (int k = 0; k < steps; ++k) s.step(exec, x, cc, p, x);  // in place
    return dot(w, x);
  };
  // Forward storing one state per step (the checkpoints), then reverse through them.
  std::vector<TensorD> states{copy(u0)};
  for (int k = 0; k < steps; ++k) states.push_back(step(s, states.back(), c, p));
  TensorD g = copy(w), dc = zeros_like(c);
  for (int k = steps - 1; k >= 0; --k) s.step_backward(exec, states[k], c, p, g, g, dc, k != steps - 1);
  double const eps = 1e-6;
  TensorD const d = random_tensor(u0.shape(), 24), e = random_tensor(c.shape(), 25);
  double const fd = (rollout(axpy(u0, eps, d), c) - rollout(axpy(u0, -eps, d), c)) / (2 * eps);
  double const fdc = (rollout(u0, axpy(c, eps, e)) - rollout(u0, axpy(c, -eps, e))) / (2 * eps);
  EXPECT_NEAR(dot(g, d), fd, 1e-7 * std::abs(fd) + 1e-9);
  EXPECT_NEAR(dot(dc, e), fdc, 1e-7 * std::abs(fdc) + 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Steppers, StencilGradient, ::testing::Values(TimeStepper::euler, TimeStepper::rk3),
                         [](auto const& info) { return kono::stencil::to_string(info.param); });

// ---- physics -----------------------------------------------------------------------------------

// u = U sin(k_f y) at the u points, v = 0.
TensorD shear(int n, double U, int kf = 4) {
  double const h = two_pi / n;
  return make(Shape{1, 2, n, n}, [&](index_t k) {
    index_t const c = k / (index_t(n) * n), j = (k / n) % n;
    return c == 0 ? U * std::sin(kf * (j + 0.5) * h) : 0.0;
  });
}

TEST(StencilSolver, LaminarKolmogorovStateIsSteady) {
  int const n = 32;
  double const h = two_pi / n, nu = 0.05, A = 1.0, drag = 0.1, sk = std::sin(4 * h / 2);
  // Shear flow is not advected by this flux form (x-fluxes constant along x, no v).
  CoarseNavierStokes<Space, double> s(options(TimeStepper::rk3, 0.5 * h / 7), n);
  TensorD const pure = shear(n, 1.3);
  TensorD f = zeros_like(pure);
  s.tendency(exec, pure, TensorD(), make(Shape{1, 2}, [](index_t) { return 0.0; }), f);
  EXPECT_LT(max_abs(axpy(f, drag, pure)), 1e-13);            // only the drag acts: F = -drag u
  double const U = A / (nu * 4 / (h * h) * sk * sk + drag);  // discrete Laplacian eigenvalue
  TensorD const u = shear(n, U);
  TensorD const p = make(Shape{1, 2}, [&](index_t k) { return k == 0 ? nu : A; });
  for (TimeStepper ts : {TimeStepper::euler, TimeStepper::rk3}) {
    CoarseNavierStokes<Space, double> st(options(ts, 0.5 * h / 7), n);
    EXPECT_LT(max_diff(step(st, u, TensorD(), p), u), 1e-12) << to_string(ts);
  }
}

TEST(StencilSolver, OutputIsDivergenceFreeAndMomentumFollowsDrag) {
  int const n = 16;
  for (TimeStepper ts : {TimeStepper::euler, TimeStepper::rk3}) {
    double const dt = 0.05;
    CoarseNavierStokes<Space, double> s(options(ts, dt), n);
    // A mean flow on top of a random divergence-free field, learned coefficients.
    TensorD u = random_velocity(s.projection(), 2, 31);
    u = make(u.shape(), [&, uh = host(u)](index_t k) { return uh[k] + ((k / (n * n)) % 2 == 0 ? 0.3 : -0.2); });
    TensorD const c = coefficients(s, 2, 0.3, 32), p = params(2, 0.05, 1.0);
    TensorD const out = step(s, u, c, p);
    TensorD div("div", Shape{2, 1, n, n});
    s.projection().divergence(exec, out, div);
    EXPECT_LT(max_abs(div), 1e-13) << to_string(ts);
    double const z = 0.1 * dt;  // drag dt: the mean obeys m' = -drag m (the forcing has mean 0)
    double const factor = ts == TimeStepper::euler ? 1 - z : 1 - z + z * z / 2 - z * z * z / 6;
    auto const uh = host(u), oh = host(out);
    for (index_t b = 0; b < 2; ++b)
      for (int comp = 0; comp < 2; ++comp) {
        double mu = 0, mo = 0;
        for (index_t k = 0; k < index_t(n) * n; ++k) {
          mu += uh[(b * 2 + comp) * n * n + k];
          mo += oh[(b * 2 + comp) * n * n + k];
        }
        EXPECT_NEAR(mo, factor * mu, 1e-12) << to_string(ts) << " sample " << b << " component " << comp;
      }
  }
}

double kinetic_energy(TensorD const& u) {
  double e = 0;
  for (double v : host(u)) e += 0.5 * v * v;
  return e;
}

TEST(StencilSolver, KineticEnergyIsConservedWithoutViscosity) {
  int const n = 16;
  TensorD const p = make(Shape{1, 2}, [](index_t) { return 0.0; });
  CoarseSolverOptions o = options(TimeStepper::rk3, 0.02);
  o.drag = 0;
  CoarseNavierStokes<Space, double> s(o, n);
  TensorD const u = random_velocity(s.projection(), 1, 41);
  // Semi-discrete: <u, F(u)> = 0 for a discretely divergence-free u.
  TensorD f = zeros_like(u);
  s.tendency(exec, u, TensorD(), p, f);
  EXPECT_LT(std::abs(dot(u, f)), 1e-12 * max_abs(f) * u.size());
  EXPECT_GT(max_abs(f), 0.1);
  // Fully discrete: the RK3 energy error per step shrinks at least like dt^3.
  double de[2];
  for (int k = 0; k < 2; ++k) {
    o.dt = 0.04 / (1 << k);
    CoarseNavierStokes<Space, double> sk(o, n);
    de[k] = std::abs(kinetic_energy(step(sk, u, TensorD(), p)) - kinetic_energy(u));
  }
  EXPECT_GT(de[0] / de[1], 7.0) << de[0] << " " << de[1];
  EXPECT_LT(de[0], 1e-4 * kinetic_energy(u));
}

// Face averages of the Taylor-Green vortex u = sin x cos y, v = -cos x sin y, times `decay`.
TensorD taylor_green(int n, double decay) {
  double const h = two_pi / n;
  return make(Shape{1, 2, n, n}, [&](index_t k) {
    index_t const c = k / (index_t(n) * n), j = (k / n) % n, i = k % n;
    if (c == 0) return decay * std::sin(i * h) * (std::sin((j + 1) * h) - std::sin(j * h)) / h;
    return -decay * (std::sin((i + 1) * h) - std::sin(i * h)) / h * std::sin(j * h);
  });
}

TEST(StencilSolver, TaylorGreenConvergesAtSecondOrder) {
  double const nu = 0.1, t_end = 1.0;
  std::vector<double> err;
  for (int n : {16, 32, 64}) {
    double const h = two_pi / n;
    int const steps = static_cast<int>(std::ceil(t_end / (0.5 * h / 7)));
    CoarseSolverOptions o = options(TimeStepper::rk3, t_end / steps);
    o.drag = 0;
    CoarseNavierStokes<Space, double> s(o, n);
    TensorD u = taylor_green(n, 1.0);
    TensorD const p = make(Shape{1, 2}, [&](index_t k) { return k == 0 ? nu : 0.0; });
    for (int k = 0; k < steps; ++k) s.step(exec, u, TensorD(), p, u);
    err.push_back(max_diff(u, taylor_green(n, std::exp(-2 * nu * t_end))));
  }
  EXPECT_LT(err[0], 0.05);
  EXPECT_GT(err[0] / err[1], 3.5) << err[0] << " " << err[1];
  EXPECT_GT(err[1] / err[2], 3.5) << err[1] << " " << err[2];
}

// ---- diagnostics -------------------------------------------------------------------------------

TEST(StencilSolver, VorticityOfShearFlow) {
  int const n = 16;
  double const h = two_pi / n;
  CoarseNavierStokes<Space, double> s(options(TimeStepper::rk3, 0.01), n);
  TensorD w("w", Shape{1, 1, n, n});
  s.vorticity(exec, shear(n, 1.0), w);
  auto const wh = host(w);
  for (int j = 0; j < n; ++j)  // -du/dy at y = j h
    EXPECT_NEAR(wh[j * n + 3], -(std::sin(4 * (j + 0.5) * h) - std::sin(4 * (j - 0.5) * h)) / h, 1e-12);
}

TEST(StencilSolver, CheckStateNamesStepSampleAndCell) {
  int const n = 16;
  double const h = two_pi / n, dt = 0.5 * h / 7;
  CoarseNavierStokes<Space, double> s(options(TimeStepper::rk3, dt), n);
  TensorD const u = random_velocity(s.projection(), 3, 51);
  EXPECT_NO_THROW(s.check_state(exec, u, 3, 1.0));
  EXPECT_NEAR(s.max_cfl(exec, u), max_abs(u) * dt / h, 1e-15);
  auto const uh = host(u);
  auto plant = [&](index_t b, int comp, int j, int i, double value) {
    index_t const at = ((b * 2 + comp) * n + j) * n + i;
    return make(u.shape(), [&](index_t k) { return k == at ? value : uh[k]; });
  };
  EXPECT_NEAR(s.max_cfl(exec, plant(1, 1, 3, 12, std::nan(""))), max_abs(u) * dt / h, 1e-15);  // no FE_INVALID
  EXPECT_KONO_ERROR(s.check_state(exec, plant(1, 1, 3, 12, std::nan("")), 17, 1.0), non_finite,
                    "rollout blew up at step 17: sample 1, cell (3, 12): v = nan");
  EXPECT_KONO_ERROR(s.check_state(exec, plant(2, 0, 5, 0, -HUGE_VAL), 4, 1.0), non_finite,
                    "step 4: sample 2, cell (5, 0): u = -inf");
  double const big = 3.0 * h / dt;  // CFL 3
  EXPECT_KONO_ERROR(s.check_state(exec, plant(0, 0, 7, 9, -big), 9, 1.0), invalid_argument,
                    "CFL limit at step 9: sample 0, cell (7, 9): |u| = ");
  EXPECT_KONO_ERROR(s.check_state(exec, plant(0, 0, 7, 9, -big), 9, 1.0), invalid_argument, "gives CFL 3 > 1");
}

TEST(StencilSolver, ReportsBadInputs) {
  int const n = 8;
  CoarseNavierStokes<Space, double> s(options(TimeStepper::euler, 0.1), n);
  TensorD const u("u", Shape{2, 2, n, n}), p = params(2, 0.1, 1.0);
  TensorD out = zeros_like(u);
  EXPECT_KONO_ERROR(s.step(exec, u, TensorD("c", Shape{2, 4, n, n}), p, out), size_mismatch, "[2, 48, 8, 8]");
  EXPECT_KONO_ERROR(s.step(exec, u, TensorD(), TensorD("p", Shape{2, 3}), out), size_mismatch, "[2, 2]");
  EXPECT_KONO_ERROR((void)SolverD(options(TimeStepper::rk3, 0.0), n), invalid_argument, "dt");
  EXPECT_KONO_ERROR((void)SolverD(options(TimeStepper::rk3, 0.1, 3), n), invalid_argument, "stencil_size");
  EXPECT_KONO_ERROR((void)SolverD(options(TimeStepper::rk3, 0.1, 8), n), invalid_argument, "too small");
  EXPECT_KONO_ERROR(kono::stencil::time_stepper_from_string("rk4"), invalid_argument, "time_stepper \"rk4\"");
  EXPECT_EQ(kono::stencil::time_stepper_from_string(to_string(TimeStepper::euler)), TimeStepper::euler);
}

// ---- scratch -----------------------------------------------------------------------------------

int allocations = 0;
void count_allocation(Kokkos::Tools::SpaceHandle, char const*, void const*, std::uint64_t) { ++allocations; }

// Counts Kokkos allocations through the Tools allocation callback while alive.
struct CountAllocations {
  CountAllocations() {
    allocations = 0;
    Kokkos::Tools::Experimental::set_allocate_data_callback(count_allocation);
  }
  ~CountAllocations() { Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr); }
};

TEST(StencilSolver, AllocatesOnlyOnTheFirstCallForABatchSize) {
  int const n = 16;
  CoarseNavierStokes<Space, double> s(options(TimeStepper::rk3, 0.05), n);
  TensorD const u = random_velocity(s.projection(), 2, 71);
  TensorD const c = coefficients(s, 2, 0.1, 72), p = params(2, 0.05, 1.0);
  TensorD out = zeros_like(u), du = zeros_like(u), dc = zeros_like(c);
  {
    CountAllocations count;
    s.step(exec, u, c, p, out);
    if (allocations == 0) GTEST_SKIP() << "this Kokkos reports no allocations to tools callbacks";
  }
  s.step_backward(exec, u, c, p, out, du, dc, false);
  CountAllocations count;
  for (int k = 0; k < 3; ++k) {
    s.step(exec, u, c, p, out);
    s.step(exec, u, TensorD(), p, out);
    s.step_backward(exec, u, c, p, out, du, dc, true);
  }
  EXPECT_EQ(allocations, 0);
}

// ---- float -------------------------------------------------------------------------------------

TEST(StencilSolver, FloatAgreesWithDouble) {
  int const n = 16;
  for (TimeStepper ts : {TimeStepper::euler, TimeStepper::rk3}) {
    CoarseNavierStokes<Space, double> sd(options(ts, 0.05), n);
    CoarseNavierStokes<Space, float> sf(options(ts, 0.05), n);
    TensorD const u = random_velocity(sd.projection(), 2, 61);
    TensorD const c = coefficients(sd, 2, 0.2, 62), p = params(2, 0.05, 1.0);
    auto to_float = [](TensorD const& t) {
      auto const h = host(t);
      kono::Tensor<Kokkos::HostSpace, float> f("kono::test::float", t.shape());
      for (index_t k = 0; k < f.size(); ++k) f.data()(k) = static_cast<float>(h[k]);
      return f.clone_to<Space>("kono::test::float");
    };
    TensorF const uf = to_float(u), cf = to_float(c), pf = to_float(p);
    TensorF outf("outf", u.shape());
    sf.step(exec, uf, cf, pf, outf);
    TensorD const outd = step(sd, u, c, p);
    auto const fh = outf.to_host();
    auto const dh = host(outd);
    double m = 0;
    for (index_t k = 0; k < fh.size(); ++k) m = std::max(m, std::abs(double(fh.data()(k)) - dh[k]));
    EXPECT_LT(m, 1e-5 * max_abs(outd)) << to_string(ts);  // measured: 1e-7 relative
    // The reverse mode too, with du_out = u.
    TensorF gf("gf", u.shape()), dcf("dcf", c.shape());
    sf.step_backward(exec, uf, cf, pf, uf, gf, dcf, false);
    TensorD gd = zeros_like(u), dcd = zeros_like(c);
    sd.step_backward(exec, u, c, p, u, gd, dcd, false);
    auto rel = [](TensorF const& f, TensorD const& d) {
      auto const x = f.to_host();
      auto const y = host(d);
      double m = 0, s = 0;
      for (index_t k = 0; k < x.size(); ++k) {
        m = std::max(m, std::abs(double(x.data()(k)) - y[k]));
        s = std::max(s, std::abs(y[k]));
      }
      return m / s;
    };
    EXPECT_LT(rel(gf, gd), 1e-5) << to_string(ts);
    EXPECT_LT(rel(dcf, dcd), 1e-5) << to_string(ts);
  }
}

}  // namespace
