// 2D Navier-Stokes reference solver (vorticity form, pseudo-spectral + PETSc TS) on one rank:
// a manufactured solution with a non-zero advection term (spectrally exact in space, so the
// error is the time integrator's: observed order with fixed steps over 3 refinements), the
// decaying Taylor-Green vortex exp(-8 pi^2 nu t), the forced steady state, the stream function,
// solver reuse, PETSc option overrides, failed trajectories and bad input.
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/solvers/navier_stokes.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

#include "support/kono_test.hpp"

#ifdef __GLIBC__
#include <fenv.h>
#endif

namespace {

double const pi = 3.14159265358979323846;

void init_petsc() { kono::ensure_petsc_initialized(kono::Runtime::current()); }

// Sets PETSc options for one test and clears them when it ends.
class ScopedPetscOptions {
 public:
  explicit ScopedPetscOptions(std::vector<std::pair<std::string, std::string>> values) : m_values(std::move(values)) {
    for (auto const& [k, v] : m_values) KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, k.c_str(), v.c_str()));
  }
  ~ScopedPetscOptions() {
    for (auto const& kv : m_values) PetscOptionsClearValue(nullptr, kv.first.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> m_values;
};

// w = A(t) sin(2 pi x0) + B(t) cos(4 pi x1): u.grad w = 1.5 A B cos(2 pi x0) sin(4 pi x1) != 0.
double mms_a(double t) { return 1.0 + 0.5 * std::sin(2 * t); }
double mms_b(double t) { return std::cos(3 * t); }
double mms_w(double t, double x0, double x1) {
  return mms_a(t) * std::sin(2 * pi * x0) + mms_b(t) * std::cos(4 * pi * x1);
}

// Max-norm error at t = 1 with `steps` fixed steps of the given TS type (plus PETSc options).
double mms_error(kono::index_t n, int steps, std::string const& prefix, std::string const& ts_type,
                 std::vector<std::pair<std::string, std::string>> extra = {}) {
  extra.push_back({"-" + prefix + "ts_adapt_type", "none"});
  ScopedPetscOptions scoped(extra);
  kono::NavierStokesOptions o;
  o.resolution = n;
  o.nu = 0.01;
  o.times = {1.0};
  o.ts_type = ts_type;
  o.initial_dt = 1.0 / steps;
  o.options_prefix = prefix;
  kono::NavierStokesSolver solver(o);
  double const nu = o.nu;
  std::vector<double> f = solver.forcing_field();
  solver.set_extra_forcing([n, nu, f](double t, double* g) {
    double const a = mms_a(t), b = mms_b(t), da = std::cos(2 * t), db = -3 * std::sin(3 * t);
    for (kono::index_t i = 0; i < n; ++i)
      for (kono::index_t j = 0; j < n; ++j) {
        double const x0 = double(i) / n, x1 = double(j) / n;
        double const s0 = std::sin(2 * pi * x0), c0 = std::cos(2 * pi * x0);
        double const s1 = std::sin(4 * pi * x1), c1 = std::cos(4 * pi * x1);
        double const wt = da * s0 + db * c1;
        double const adv = 1.5 * a * b * c0 * s1;
        double const lap = -4 * pi * pi * a * s0 - 16 * pi * pi * b * c1;
        std::size_t const k = std::size_t(i * n + j);
        g[k] = wt + adv - nu * lap - f[k];
      }
  });
  std::vector<double> w0(std::size_t(n * n));
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j) w0[std::size_t(i * n + j)] = mms_w(0, double(i) / n, double(j) / n);
  kono::NavierStokesSolveInfo info;
  auto const w = solver.solve(w0, &info);
  EXPECT_TRUE(info.converged) << info.reason_name;
  EXPECT_EQ(info.steps, steps) << ts_type;
  EXPECT_EQ(solver.adapt_type(), "none");
  double err = 0;
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j)
      err = std::max(err, std::abs(w[std::size_t(i * n + j)] - mms_w(1.0, double(i) / n, double(j) / n)));
  return err;
}

void expect_order(std::string const& ts_type, std::vector<std::pair<std::string, std::string>> extra, double order,
                  std::string const& prefix) {
  double const e1 = mms_error(16, 10, prefix, ts_type, extra);
  double const e2 = mms_error(16, 20, prefix, ts_type, extra);
  double const e3 = mms_error(16, 40, prefix, ts_type, extra);
  double const p1 = std::log2(e1 / e2), p2 = std::log2(e2 / e3);
  std::printf("Navier-Stokes MMS (%s) max errors %.3e %.3e %.3e with 10/20/40 steps, observed orders %.3f %.3f\n",
              ts_type.c_str(), e1, e2, e3, p1, p2);
  EXPECT_NEAR(p1, order, 0.3) << ts_type;
  EXPECT_NEAR(p2, order, 0.3) << ts_type;
  EXPECT_LT(e3, 1e-3) << ts_type;
}

TEST(NavierStokes, ManufacturedSolutionArkimex4IsFourthOrderInTime) {
  init_petsc();
  expect_order("arkimex", {}, 4.0, "nsmms_ark4_");  // the default ARKIMEX type
}

TEST(NavierStokes, ManufacturedSolutionArkimex3IsThirdOrderInTime) {
  init_petsc();
  expect_order("arkimex", {{"-nsmms_ark3_ts_arkimex_type", "3"}}, 3.0, "nsmms_ark3_");
}

TEST(NavierStokes, ManufacturedSolutionRk4IsFourthOrderInTime) {
  init_petsc();
  expect_order("rk", {{"-nsmms_rk_ts_rk_type", "4"}}, 4.0, "nsmms_rk_");
}

TEST(NavierStokes, TaylorGreenVortexDecaysAsExpMinus8Pi2NuT) {
  init_petsc();
  kono::NavierStokesOptions o;
  o.resolution = 32;
  o.nu = 0.01;
  o.forcing = false;
  o.times = {0.0, 0.5, 2.0};
  kono::index_t const n = o.resolution;
  kono::NavierStokesSolver solver(o);
  std::vector<double> w0(std::size_t(n * n));
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j)
      w0[std::size_t(i * n + j)] = 2.0 * std::sin(2 * pi * double(i) / n) * std::sin(2 * pi * double(j) / n);
  kono::NavierStokesSolveInfo info;
  auto const w = solver.solve(w0, &info);
  ASSERT_TRUE(info.converged) << info.reason_name;
  EXPECT_TRUE(solver.imex());
  EXPECT_EQ(solver.ts_type(), "arkimex");
  EXPECT_EQ(info.reason_name, "CONVERGED_TIME");
  EXPECT_DOUBLE_EQ(info.final_time, 2.0);
  EXPECT_GT(info.steps, 0);
  for (std::size_t s = 0; s < o.times.size(); ++s) {
    double const decay = std::exp(-8 * pi * pi * o.nu * o.times[s]);
    double err = 0;
    for (std::size_t k = 0; k < w0.size(); ++k) err = std::max(err, std::abs(w[s * w0.size() + k] - decay * w0[k]));
    std::printf("Taylor-Green t = %.1f: decay %.6f, max error %.3e (%lld steps)\n", o.times[s], decay, err,
                info.steps);
    EXPECT_LT(err, 2e-5 * 2.0) << "t = " << o.times[s];
  }
  // The stream function of w = 2 sin sin is w / (8 pi^2).
  auto const psi = solver.stream_function(w0);
  for (std::size_t k = 0; k < w0.size(); ++k) ASSERT_NEAR(psi[k], w0[k] / (8 * pi * pi), 1e-14);
}

// Max error of the spectral stream function of a smooth, not band-limited field.
double stream_function_error(kono::index_t n) {
  kono::NavierStokesOptions o;
  o.resolution = n;
  kono::NavierStokesSolver solver(o);
  std::vector<double> w(std::size_t(n * n)), psi(w.size());
  double mean = 0;
  for (kono::index_t i = 0; i < n; ++i)
    for (kono::index_t j = 0; j < n; ++j) {
      double const s0 = 2 * pi * double(i) / n, s1 = 2 * pi * double(j) / n;
      double const e0 = std::exp(std::sin(s0)), e1 = std::exp(std::cos(s1));
      std::size_t const k = std::size_t(i * n + j);
      psi[k] = e0 + e1;  // -Lap psi = w below
      w[k] = -4 * pi * pi * (e0 * (std::cos(s0) * std::cos(s0) - std::sin(s0)) +
                             e1 * (std::sin(s1) * std::sin(s1) - std::cos(s1)));
      mean += psi[k] / double(n * n);
    }
  auto const got = solver.stream_function(w);
  double err = 0;
  for (std::size_t k = 0; k < w.size(); ++k) err = std::max(err, std::abs(got[k] - (psi[k] - mean)));
  return err;
}

TEST(NavierStokes, StreamFunctionIsSpectrallyAccurate) {
  init_petsc();
  double const e1 = stream_function_error(8), e2 = stream_function_error(16), e3 = stream_function_error(32);
  std::printf("stream function max errors %.3e %.3e %.3e at n = 8, 16, 32\n", e1, e2, e3);
  EXPECT_LT(e2, 1e-3 * e1);  // faster than any power of h
  EXPECT_LT(e3, 1e-11);
}

TEST(NavierStokes, ForcedFlowFromRestApproachesTheSteadyState) {
  // f is one Fourier shell, so w = (1 - exp(-8 pi^2 nu t)) f / (8 pi^2 nu) solves the equation.
  init_petsc();
  kono::NavierStokesOptions o;
  o.resolution = 16;
  o.nu = 0.02;
  o.times = {1.0, 3.0};
  kono::NavierStokesSolver solver(o);
  auto const f = solver.forcing_field();
  std::vector<double> w0(f.size(), 0.0);
  auto const w = solver.solve(w0);
  for (std::size_t s = 0; s < o.times.size(); ++s) {
    double const c = (1 - std::exp(-8 * pi * pi * o.nu * o.times[s])) / (8 * pi * pi * o.nu);
    double err = 0;
    for (std::size_t k = 0; k < f.size(); ++k) err = std::max(err, std::abs(w[s * f.size() + k] - c * f[k]));
    EXPECT_LT(err, 1e-5) << "t = " << o.times[s];
  }
  EXPECT_DOUBLE_EQ(f[0], 0.1);  // sin 0 + cos 0 at x = 0
}

std::vector<double> random_w0(kono::index_t n, kono::index_t sample) {
  kono::GaussianRandomField grf(kono::navier_stokes_initial_condition_options(n));
  return grf.sample(5, sample);
}

TEST(NavierStokes, ReusedSolverGivesTheSameBitsAsAFreshOne) {
  init_petsc();
  kono::NavierStokesOptions o;
  o.resolution = 16;
  o.times = {0.25, 0.5};
  kono::NavierStokesSolver reused(o);
  auto const a = random_w0(16, 0), b = random_w0(16, 1);
  reused.solve(a);
  kono::NavierStokesSolveInfo i1, i2;
  auto const wb = reused.solve(b, &i1);
  kono::NavierStokesSolver fresh(o);
  auto const wb2 = fresh.solve(b, &i2);
  EXPECT_EQ(wb, wb2);
  EXPECT_EQ(i1.steps, i2.steps);
  EXPECT_EQ(i1.rejected_steps, i2.rejected_steps);
  // Vorticity is a conserved-mean quantity and the GRF has no mean: it stays ~0.
  double mean = 0;
  for (std::size_t k = 0; k < 256; ++k) mean += wb[256 + k] / 256;
  EXPECT_LT(std::abs(mean), 1e-12);
}

TEST(NavierStokes, PetscOptionsWithThePrefixOverrideTheDefaults) {
  init_petsc();
  ScopedPetscOptions scoped({{"-nstest_override_ts_type", "rk"},
                             {"-nstest_override_ts_rk_type", "5dp"},
                             {"-nstest_override_ts_rtol", "1e-8"},
                             {"-nstest_override_ts_atol", "1e-9"}});
  kono::NavierStokesOptions o;
  o.resolution = 16;
  o.times = {0.5};
  o.options_prefix = "nstest_override_";
  kono::NavierStokesSolver solver(o);
  kono::NavierStokesSolveInfo info;
  auto const w_rk = solver.solve(random_w0(16, 2), &info);
  EXPECT_TRUE(info.converged);
  EXPECT_EQ(solver.ts_type(), "rk");
  EXPECT_FALSE(solver.imex());
  EXPECT_DOUBLE_EQ(solver.rtol(), 1e-8);
  EXPECT_DOUBLE_EQ(solver.atol(), 1e-9);
  EXPECT_EQ(solver.adapt_type(), "basic");
  // The explicit full right-hand side and the IMEX split agree on the trajectory.
  o.options_prefix = "nstest_default_";
  o.rtol = o.atol = 1e-9;
  kono::NavierStokesSolver imex(o);
  auto const w_imex = imex.solve(random_w0(16, 2));
  EXPECT_TRUE(imex.imex());
  EXPECT_EQ(imex.ts_type(), "arkimex");
  double err = 0, scale = 0;
  for (std::size_t k = 0; k < w_rk.size(); ++k) {
    err = std::max(err, std::abs(w_rk[k] - w_imex[k]));
    scale = std::max(scale, std::abs(w_rk[k]));
  }
  EXPECT_LT(err, 1e-6 * scale);
}

TEST(NavierStokes, FailedTrajectoryNamesSampleTimeAndReason) {
  init_petsc();
  kono::NavierStokesOptions o;
  o.resolution = 16;
  o.times = {0.5, 1.0};
  o.max_steps = 3;
  kono::NavierStokesSolver solver(o);
  auto const w0 = random_w0(16, 3);
  EXPECT_KONO_ERROR(solver.solve(w0, nullptr, 7), invalid_argument, "sample 7 failed at t = ");
  EXPECT_KONO_ERROR(solver.solve(w0, nullptr, 7), invalid_argument, "CONVERGED_ITS");
  o.throw_on_divergence = false;
  kono::NavierStokesSolver quiet(o);
  kono::NavierStokesSolveInfo info;
  auto const w = quiet.solve(w0, &info, 7);
  EXPECT_FALSE(info.converged);
  EXPECT_EQ(info.reason_name, "CONVERGED_ITS");
  EXPECT_EQ(info.steps, 3);
  EXPECT_LT(info.final_time, 0.5);
  // The second output slot repeats the last state.
  EXPECT_TRUE(std::equal(w.begin(), w.begin() + 256, w.begin() + 256));
}

// The test main traps FE_INVALID; a blow-up test must make NaNs on purpose.
class ScopedNoNanTrap {
 public:
#ifdef __GLIBC__
  ScopedNoNanTrap() : m_was(fegetexcept() & FE_INVALID) { fedisableexcept(FE_INVALID); }
  ~ScopedNoNanTrap() {
    feclearexcept(FE_INVALID);
    if (m_was) feenableexcept(FE_INVALID);
  }

 private:
  int m_was;
#endif
};

TEST(NavierStokes, BlowUpIsReportedAsNonFiniteOrRejected) {
  // Forward Euler with a fixed step far beyond its stability limit blows up.
  init_petsc();
  ScopedNoNanTrap no_trap;
  ScopedPetscOptions scoped(std::vector<std::pair<std::string, std::string>>{{"-nstest_blow_ts_adapt_type", "none"}});
  kono::NavierStokesOptions o;
  o.resolution = 32;
  o.nu = 1.0;
  o.times = {50.0};
  o.ts_type = "euler";
  o.initial_dt = 0.5;
  o.options_prefix = "nstest_blow_";
  kono::NavierStokesSolver solver(o);
  auto const w0 = random_w0(32, 4);
  EXPECT_KONO_ERROR(solver.solve(w0, nullptr, 11), invalid_argument, "sample 11 failed");
  EXPECT_KONO_ERROR(solver.solve(w0, nullptr, 11), invalid_argument, "DIVERGED_STEP_REJECTED");
  o.throw_on_divergence = false;
  kono::NavierStokesSolver quiet(o);
  kono::NavierStokesSolveInfo info;
  quiet.solve(w0, &info, 11);
  EXPECT_FALSE(info.converged);
  EXPECT_LT(info.converged_reason, 0);
  EXPECT_LT(info.final_time, 50.0);
  std::printf("blow-up: %s (%d) at t = %g after %lld steps\n", info.reason_name.c_str(), info.converged_reason,
              info.final_time, info.steps);
}

TEST(NavierStokes, BadInputIsRefused) {
  init_petsc();
  kono::NavierStokesOptions o;
  o.nu = -1e-3;
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "nu (the viscosity) = -0.001");
  o.nu = std::nan("");
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "nu (the viscosity) = nan");
  o = {};
  o.resolution = 6;
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "resolution = 6 points per axis, expected at least 8");
  o = {};
  o.times = {1.0, 0.5};
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "times[1] = 0.5 is not after times[0] = 1");
  o.times = {};
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "times (the output times) is empty");
  o.times = {-1.0};
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "times[0] = -1");
  o = {};
  o.rtol = 0;
  EXPECT_KONO_ERROR(kono::NavierStokesSolver{o}, invalid_argument, "rtol = 0");
  o = {};
  o.resolution = 8;
  kono::NavierStokesSolver solver(o);
  std::vector<double> w0(64, 0.0);
  w0[5] = std::nan("");
  EXPECT_KONO_ERROR(solver.solve(w0, nullptr, 2), invalid_argument, "sample 2: w0 = nan at point 5");
  EXPECT_KONO_ERROR(solver.solve(std::vector<double>(10, 0.0)), size_mismatch, "w0 has 10 values for a 8^2 grid");
  std::vector<double> traj(64);
  EXPECT_KONO_ERROR(solver.solve(w0.data(), {2.0, 1.0}, traj.data(), 3), invalid_argument,
                    "sample 3: kono::NavierStokesOptions: times[1] = 1");
}

}  // namespace
