// Kolmogorov-flow set-up of the Navier-Stokes solver (Kochkov et al. 2021; axis 0 = y, axis 1 = x,
// [0, 2pi)^2, forcing (A sin(4y), 0), drag) and the coarse MAC face averages: the laminar
// solution is a fixed point, energy decays at the drag/viscous rates without forcing, the axis
// convention is the FNO one transposed, the random initial field, exact face averages of an
// analytic stream function, a discretely divergence-free coarse state, option checks.
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/solvers/mac_coarsening.hpp>
#include <kono/solvers/navier_stokes.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

#include "support/kono_test.hpp"

namespace {

double const pi = 3.14159265358979323846;

void init_petsc() { kono::ensure_petsc_initialized(kono::Runtime::current()); }

kono::NavierStokesOptions kolmogorov_options(kono::index_t n) {
  kono::NavierStokesOptions o;
  o.setup = kono::NavierStokesSetup::kolmogorov;
  o.resolution = n;
  o.domain_length = 2 * pi;
  o.nu = 1e-3;
  o.drag = 0.1;
  o.forcing_amplitude = 1.0;
  o.forcing_wavenumber = 4;
  o.options_prefix = "nskol_";
  return o;
}

double energy(kono::NavierStokesSolver& s, std::vector<double> const& w) {
  auto const uv = s.velocity(w);
  double e = 0;
  for (double v : uv) e += 0.5 * v * v;
  return e / double(w.size());
}

// A smooth random vorticity with modes |m_a| <= 4 only (inside the 2/3-rule band at n = 32).
std::vector<double> band_limited_field(kono::index_t n, std::uint64_t seed) {
  std::vector<double> w(std::size_t(n * n), 0.0);
  std::uint64_t const s = kono::sample_seed(seed, 0);
  for (kono::index_t a = -4; a <= 4; ++a)
    for (kono::index_t b = 0; b <= 4; ++b) {
      if (b == 0 && a <= 0) continue;
      double const c = kono::mode_normal(s, {a, b, 0}, 0), d = kono::mode_normal(s, {a, b, 0}, 1);
      for (kono::index_t i = 0; i < n; ++i)
        for (kono::index_t j = 0; j < n; ++j) {
          double const ph = 2 * pi * double(a * i + b * j) / double(n);
          w[std::size_t(i * n + j)] += c * std::cos(ph) + d * std::sin(ph);
        }
    }
  return w;
}

TEST(NavierStokesKolmogorov, LaminarSolutionIsAFixedPoint) {
  init_petsc();
  kono::index_t const n = 32;
  auto o = kolmogorov_options(n);
  o.times = {0.5, 1.0};
  kono::NavierStokesSolver solver(o);
  auto const w0 = solver.laminar_kolmogorov_vorticity();
  // U = A / (nu k^2 + drag) = 1 / 0.116; w = -4 U cos(4y), y the axis-0 coordinate.
  double const U = 1.0 / (16e-3 + 0.1);
  for (kono::index_t i = 0; i < n; ++i)
    EXPECT_NEAR(w0[std::size_t(i * n + 3)], -4 * U * std::cos(4 * 2 * pi * double(i) / n), 1e-12);
  // The forcing is curl (sin 4y, 0) = -4 cos(4y) on axis 0, constant along axis 1.
  auto const f = solver.forcing_field();
  EXPECT_NEAR(f[std::size_t(5 * n + 7)], -4 * std::cos(4 * 2 * pi * 5.0 / n), 1e-14);
  EXPECT_EQ(f[std::size_t(5 * n + 7)], f[std::size_t(5 * n)]);
  // u (along x = axis 1) = U sin(4y), v = 0.
  auto const uv = solver.velocity(w0);
  double du = 0, dv = 0;
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j) {
      du = std::max(du, std::abs(uv[std::size_t(i * n + j)] - U * std::sin(4 * 2 * pi * double(i) / n)));
      dv = std::max(dv, std::abs(uv[std::size_t(n * n + i * n + j)]));
    }
  EXPECT_LT(du, 1e-12);
  EXPECT_LT(dv, 1e-12);
  kono::NavierStokesSolveInfo info;
  auto const w = solver.solve(w0, &info);
  ASSERT_TRUE(info.converged) << info.reason_name;
  double err = 0;
  for (std::size_t k = 0; k < w0.size(); ++k) err = std::max(err, std::abs(w[w0.size() + k] - w0[k]));
  std::printf("laminar Kolmogorov flow: max |w(1) - w_lam| = %.3e (|w_lam| = %.3f), %lld steps\n", err, 4 * U,
              info.steps);
  EXPECT_LT(err, 1e-8);
  // Another amplitude and viscosity through set_parameters: still a fixed point.
  solver.set_parameters(2e-3, 0.5);
  auto const w1 = solver.laminar_kolmogorov_vorticity();
  EXPECT_NEAR(w1[0], -4 * 0.5 / (32e-3 + 0.1), 1e-12);
  auto const wt = solver.solve(w1, &info);
  err = 0;
  for (std::size_t k = 0; k < w1.size(); ++k) err = std::max(err, std::abs(wt[w1.size() + k] - w1[k]));
  EXPECT_LT(err, 1e-8);
}

TEST(NavierStokesKolmogorov, EnergyDecaysAtTheDragRateWithoutForcingOrViscosity) {
  init_petsc();
  kono::index_t const n = 32;
  auto o = kolmogorov_options(n);
  o.forcing = false;
  o.nu = 0;
  o.drag = 0.1;
  o.times = {1.0, 2.0};
  o.rtol = o.atol = 1e-9;
  kono::NavierStokesSolver solver(o);
  // Modes inside the dealiasing band: the truncated advection conserves energy exactly, so only
  // the drag removes it: E(t) = E(0) exp(-2 drag t).
  auto const w0 = band_limited_field(n, 3);
  kono::NavierStokesSolveInfo info;
  auto const w = solver.solve(w0, &info);
  ASSERT_TRUE(info.converged);
  double const e0 = energy(solver, w0);
  std::vector<double> w2(w.begin() + std::ptrdiff_t(w0.size()), w.end());
  double const e2 = energy(solver, w2);
  double change = 0;
  for (std::size_t k = 0; k < w0.size(); ++k) change = std::max(change, std::abs(w2[k] - w0[k] * std::exp(-0.2)));
  EXPECT_GT(change, 0.1);  // the flow did move: not a trivial decay of the field itself
  std::printf("inviscid, drag 0.1: E(2)/E(0) = %.10f, exp(-0.4) = %.10f\n", e2 / e0, std::exp(-0.4));
  EXPECT_NEAR(e2 / e0, std::exp(-0.4), 1e-6);
}

TEST(NavierStokesKolmogorov, SingleShellVortexDecaysAtViscousPlusDragRate) {
  init_petsc();
  kono::index_t const n = 32;
  auto o = kolmogorov_options(n);
  o.forcing = false;
  o.nu = 0.01;
  o.drag = 0.1;
  o.times = {2.0};
  kono::NavierStokesSolver solver(o);
  std::vector<double> w0(std::size_t(n * n));
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j)
      w0[std::size_t(i * n + j)] = 3 * std::sin(2 * 2 * pi * double(i) / n) * std::sin(2 * 2 * pi * double(j) / n);
  auto const w = solver.solve(w0);
  double const decay = std::exp(-(8 * 0.01 + 0.1) * 2.0);  // |k|^2 = 8 on [0, 2pi)^2
  double err = 0;
  for (std::size_t k = 0; k < w0.size(); ++k) err = std::max(err, std::abs(w[k] - decay * w0[k]));
  EXPECT_LT(err, 1e-5);
}

TEST(NavierStokesKolmogorov, AxesAreTheFnoAxesTransposed) {
  init_petsc();
  // Kolmogorov: axis 0 = y, axis 1 = x; FNO: axis 0 = x0, axis 1 = x1 with (x0, x1) right-handed
  // like (x, y). So the same flow is the transposed array, and the two set-ups must agree.
  kono::index_t const n = 32;
  auto o = kolmogorov_options(n);
  o.forcing = false;
  o.drag = 0;
  o.nu = 1e-3;
  o.times = {0.5};
  o.rtol = o.atol = 1e-10;
  auto f = o;
  f.setup = kono::NavierStokesSetup::fno;
  kono::NavierStokesSolver ks(o), fs(f);
  auto const w0 = band_limited_field(n, 5);
  std::vector<double> w0t(w0.size());
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j) w0t[std::size_t(j * n + i)] = w0[std::size_t(i * n + j)];
  auto const wk = ks.solve(w0);
  auto const wf = fs.solve(w0t);
  double err = 0, moved = 0;
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j) {
      err = std::max(err, std::abs(wk[std::size_t(i * n + j)] - wf[std::size_t(j * n + i)]));
      moved = std::max(moved, std::abs(wk[std::size_t(i * n + j)] - w0[std::size_t(i * n + j)]));
    }
  EXPECT_GT(moved, 0.5);
  EXPECT_LT(err, 1e-7);
}

TEST(NavierStokesKolmogorov, RandomInitialVorticityHasTheRequestedMaxSpeed) {
  init_petsc();
  kono::index_t const n = 64;
  kono::NavierStokesSolver solver(kolmogorov_options(n));
  std::vector<double> a(std::size_t(n * n)), b(a.size()), c(a.size());
  solver.random_initial_vorticity(7, 2, 4.0, 7.0, a.data());
  solver.random_initial_vorticity(7, 2, 4.0, 7.0, b.data());
  solver.random_initial_vorticity(7, 3, 4.0, 7.0, c.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto const uv = solver.velocity(a);
  double vmax = 0, mean = 0;
  for (kono::index_t i = 0; i < n * n; ++i) {
    vmax = std::max(vmax, std::hypot(uv[std::size_t(i)], uv[std::size_t(i + n * n)]));
    mean += a[std::size_t(i)] / double(n * n);
  }
  EXPECT_NEAR(vmax, 7.0, 1e-12);
  EXPECT_NEAR(mean, 0.0, 1e-12);
  EXPECT_KONO_ERROR(solver.random_initial_vorticity(7, 2, 4.0, -1.0, a.data()), invalid_argument, "max_velocity");
}

// psi = cos(2x) sin(3y) + 0.5 sin(x - 2y) + 0.3 cos(5y): face averages of u = psi_y over y and of
// v = -psi_x over x are differences of psi, exactly.
double psi(double x, double y) { return std::cos(2 * x) * std::sin(3 * y) + 0.5 * std::sin(x - 2 * y) + 0.3 * std::cos(5 * y); }

// Even ratios sample face midpoints; odd ones (3, and 1: the DNS grid itself) shift in Fourier space.
void check_analytic_face_averages(kono::index_t const n, std::vector<kono::index_t> const& coarse) {
  double const L = 2 * pi, h = L / n;
  std::vector<double> w(std::size_t(n * n));
  for (kono::index_t j = 0; j < n; ++j)
    for (kono::index_t i = 0; i < n; ++i) {
      double const x = i * h, y = j * h;
      w[std::size_t(j * n + i)] =
          13 * std::cos(2 * x) * std::sin(3 * y) + 2.5 * std::sin(x - 2 * y) + 7.5 * std::cos(5 * y);  // -Lap psi
    }
  kono::MacCoarsening mac(n, L, coarse);
  mac.set_vorticity(w.data());
  for (std::size_t c = 0; c < coarse.size(); ++c) {
    kono::index_t const nc = mac.coarse()[c];
    double const H = L / double(nc);
    std::vector<double> uv(std::size_t(2 * nc * nc)), div(std::size_t(nc * nc)), wc(std::size_t(nc * nc));
    mac.velocity(c, uv.data());
    double eu = 0, ev = 0, scale = 0;
    for (kono::index_t j = 0; j < nc; ++j)
      for (kono::index_t i = 0; i < nc; ++i) {
        double const u = (psi(i * H, (j + 1) * H) - psi(i * H, j * H)) / H;
        double const v = -(psi((i + 1) * H, j * H) - psi(i * H, j * H)) / H;
        eu = std::max(eu, std::abs(uv[std::size_t(j * nc + i)] - u));
        ev = std::max(ev, std::abs(uv[std::size_t(nc * nc + j * nc + i)] - v));
        scale = std::max(scale, std::abs(u));
      }
    EXPECT_LT(eu, 1e-12 * scale) << nc;
    EXPECT_LT(ev, 1e-12 * scale) << nc;
    kono::mac_divergence(nc, L, uv.data(), div.data());
    for (double d : div) EXPECT_LT(std::abs(d), 1e-12 * scale / H) << nc;
    // Corner vorticity: the circulation of the dual cell; for psi it is -(discrete Laplacian of
    // psi at the corners), the 5-point stencil.
    kono::mac_corner_vorticity(nc, L, uv.data(), wc.data());
    double ew = 0;
    for (kono::index_t j = 0; j < nc; ++j)
      for (kono::index_t i = 0; i < nc; ++i) {
        double const x = i * H, y = j * H;
        double const lap = (psi(x + H, y) + psi(x - H, y) + psi(x, y + H) + psi(x, y - H) - 4 * psi(x, y)) / (H * H);
        ew = std::max(ew, std::abs(wc[std::size_t(j * nc + i)] + lap));
      }
    EXPECT_LT(ew, 1e-11 * scale / H) << nc;
  }
}

TEST(MacCoarsening, FaceAveragesOfAnAnalyticStreamFunctionAreExact) {
  check_analytic_face_averages(32, {8, 16, 32});
  check_analytic_face_averages(48, {16});
}

TEST(MacCoarsening, CoarseStateOfATurbulentFieldIsDiscretelyDivergenceFree) {
  init_petsc();
  kono::index_t const n = 64;
  kono::NavierStokesSolver solver(kolmogorov_options(n));
  std::vector<double> w(std::size_t(n * n));
  solver.random_initial_vorticity(1, 0, 8.0, 7.0, w.data());
  kono::MacCoarsening mac(n, 2 * pi, {16, 32, 8, 64});
  mac.set_vorticity(w.data());
  for (std::size_t c = 0; c < 4; ++c) {
    kono::index_t const nc = mac.coarse()[c];
    double const H = 2 * pi / double(nc);
    std::vector<double> uv(std::size_t(2 * nc * nc)), div(std::size_t(nc * nc));
    mac.velocity(c, uv.data());
    double umax = 0, dmax = 0;
    for (double u : uv) umax = std::max(umax, std::abs(u));
    kono::mac_divergence(nc, 2 * pi, uv.data(), div.data());
    for (double d : div) dmax = std::max(dmax, std::abs(d));
    std::printf("MAC %lld^2 from 64^2: max |div| H / max |u| = %.2e\n", static_cast<long long>(nc), dmax * H / umax);
    EXPECT_GT(umax, 0.5);
    EXPECT_LT(dmax * H / umax, 1e-12) << nc;
  }
}

TEST(MacCoarsening, BadCoarseResolutionsNameTheOption) {
  EXPECT_KONO_ERROR(kono::validate_mac_coarse_resolutions(64, {24}, "--ns.coarse"), invalid_argument,
                    "--ns.coarse: coarse resolution 24 does not divide the DNS resolution 64");
  EXPECT_KONO_ERROR(kono::validate_mac_coarse_resolutions(64, {16, 16}, "--ns.coarse"), invalid_argument, "twice");
  EXPECT_KONO_ERROR(kono::MacCoarsening(64, -1.0, {16}), invalid_argument, "domain_length");
}

TEST(NavierStokesKolmogorov, BadOptionsAreRefused) {
  init_petsc();
  auto o = kolmogorov_options(32);
  o.drag = -0.1;
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "drag = -0.1");
  o = kolmogorov_options(32);
  o.domain_length = 0;
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "domain_length = 0");
  o = kolmogorov_options(32);
  o.forcing_wavenumber = 16;
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "forcing_wavenumber = 16");
  o = kolmogorov_options(32);
  kono::NavierStokesSolver s(o);
  EXPECT_KONO_ERROR(s.set_parameters(-1, 1), invalid_argument, "nu (the viscosity) = -1");
  o.setup = kono::NavierStokesSetup::fno;
  kono::NavierStokesSolver fno(o);
  EXPECT_KONO_ERROR(fno.laminar_kolmogorov_vorticity(), invalid_argument, "not kolmogorov");
}

}  // namespace
