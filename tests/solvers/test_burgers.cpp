// Burgers reference solver on one rank: manufactured solution with forcing (observed temporal
// order of ARKIMEX 4 and 3 with fixed steps), the Cole-Hopf exact solution (adaptive steps,
// spectral convergence in space, an explicit TS type through the options prefix), energy
// decay, solver reuse, failed solves and bad input.
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include <kono/core/runtime.hpp>
#include <kono/solvers/burgers.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

#include "support/kono_test.hpp"

namespace {

double const pi = 3.14159265358979323846;

void init_petsc() { kono::ensure_petsc_initialized(kono::Runtime::current()); }

// Sets a PETSc option for the lifetime of the object.
class ScopedOption {
 public:
  ScopedOption(char const* name, char const* value) : m_name(name) {
    KONO_PETSC_CHECK(PetscOptionsSetValue(nullptr, name, value));
  }
  ~ScopedOption() { PetscOptionsClearValue(nullptr, m_name); }
  ScopedOption(ScopedOption const&) = delete;
  ScopedOption& operator=(ScopedOption const&) = delete;

 private:
  char const* m_name;
};

// Manufactured solution u = A(t) sin(2 pi x) + B(t) cos(4 pi x), A = cos 2t, B = sin(3t)/2.
// Its square has modes |k| <= 4, inside the dealiased band from N = 16 on, so the spatial
// discretisation is exact and only the time integration errs.
double mms_u(double x, double t) {
  return std::cos(2 * t) * std::sin(2 * pi * x) + 0.5 * std::sin(3 * t) * std::cos(4 * pi * x);
}
double mms_f(double x, double t, double nu) {
  double const a = std::cos(2 * t), da = -2 * std::sin(2 * t), b = 0.5 * std::sin(3 * t), db = 1.5 * std::cos(3 * t);
  double const s1 = std::sin(2 * pi * x), c1 = std::cos(2 * pi * x), s2 = std::sin(4 * pi * x),
               c2 = std::cos(4 * pi * x);
  double const u = a * s1 + b * c2, ut = da * s1 + db * c2;
  double const ux = 2 * pi * a * c1 - 4 * pi * b * s2, uxx = -4 * pi * pi * a * s1 - 16 * pi * pi * b * c2;
  return ut + u * ux - nu * uxx;
}

// Max error at t = 1 with `steps` fixed steps of the default TS (or what the options say).
double mms_error(int steps) {
  kono::BurgersSolverOptions o;
  o.resolution = 32;
  o.adaptive = false;
  o.initial_dt = 1.0 / steps;
  kono::BurgersSolver solver(o);
  std::vector<double> u0(32), traj(2 * 32);
  for (int j = 0; j < 32; ++j) u0[std::size_t(j)] = mms_u(j / 32.0, 0);
  double const nu = o.nu;
  auto const info =
      solver.solve(u0.data(), {0.5, 1.0}, traj.data(), 0, [nu](double x, double t) { return mms_f(x, t, nu); });
  EXPECT_TRUE(info.converged()) << info.reason_name;
  EXPECT_EQ(info.steps, steps);
  EXPECT_EQ(info.rejected_steps, 0);
  double err = 0;
  for (int j = 0; j < 32; ++j) err = std::max(err, std::abs(traj[std::size_t(32 + j)] - mms_u(j / 32.0, 1.0)));
  return err;
}

TEST(Burgers, ManufacturedSolutionConvergesAtFourthOrderInTime) {
  init_petsc();
  double const e1 = mms_error(20), e2 = mms_error(40), e3 = mms_error(80);
  double const p1 = std::log2(e1 / e2), p2 = std::log2(e2 / e3);
  std::printf("Burgers MMS ARKIMEX 4, dt = 1/20, 1/40, 1/80: max errors %.3e %.3e %.3e, observed orders %.3f %.3f\n",
              e1, e2, e3, p1, p2);
  EXPECT_NEAR(p1, 4.0, 0.2);
  EXPECT_NEAR(p2, 4.0, 0.2);
  EXPECT_LT(e3, 1e-6);
}

TEST(Burgers, PrefixedOptionSelectsTheThirdOrderScheme) {
  init_petsc();
  ScopedOption ark("-burgers_ts_arkimex_type", "3");
  {
    kono::BurgersSolver probe(kono::BurgersSolverOptions{});
    EXPECT_EQ(probe.arkimex_type(), "3");
  }
  double const e1 = mms_error(20), e2 = mms_error(40), e3 = mms_error(80);
  double const p1 = std::log2(e1 / e2), p2 = std::log2(e2 / e3);
  std::printf("Burgers MMS ARKIMEX 3, dt = 1/20, 1/40, 1/80: max errors %.3e %.3e %.3e, observed orders %.3f %.3f\n",
              e1, e2, e3, p1, p2);
  EXPECT_NEAR(p1, 3.0, 0.25);
  EXPECT_NEAR(p2, 3.0, 0.25);
}

// Cole-Hopf: u = -2 nu phi_x / phi for phi_t = nu phi_xx,
// phi = 2 + e^{-4 pi^2 nu t} cos(2 pi x) + 0.5 e^{-16 pi^2 nu t} sin(4 pi x) > 0.
double cole_hopf(double x, double t, double nu) {
  double const e1 = std::exp(-4 * pi * pi * nu * t), e2 = std::exp(-16 * pi * pi * nu * t);
  double const phi = 2 + e1 * std::cos(2 * pi * x) + 0.5 * e2 * std::sin(4 * pi * x);
  double const phi_x = -2 * pi * e1 * std::sin(2 * pi * x) + 2 * pi * e2 * std::cos(4 * pi * x);
  return -2 * nu * phi_x / phi;
}

// Max error over the output times 0, 0.1, ..., 1 against Cole-Hopf.
double cole_hopf_error(kono::index_t n, kono::BurgersSolveInfo* info_out = nullptr, double rtol = 1e-10) {
  kono::BurgersSolverOptions o;
  o.resolution = n;
  o.rtol = o.atol = rtol;
  kono::BurgersSolver solver(o);
  std::vector<double> u0(static_cast<std::size_t>(n));
  for (kono::index_t j = 0; j < n; ++j) u0[std::size_t(j)] = cole_hopf(double(j) / double(n), 0, o.nu);
  kono::BurgersSolveInfo info;
  auto const traj = solver.solve(u0, &info);
  EXPECT_TRUE(info.converged()) << info.reason_name;
  EXPECT_EQ(info.reason_name, "CONVERGED_TIME");
  EXPECT_DOUBLE_EQ(info.final_time, 1.0);
  if (info_out) *info_out = info;
  double err = 0;
  for (std::size_t i = 0; i < o.output_times.size(); ++i)
    for (kono::index_t j = 0; j < n; ++j)
      err = std::max(err, std::abs(traj[i * std::size_t(n) + std::size_t(j)] -
                                   cole_hopf(double(j) / double(n), o.output_times[i], o.nu)));
  return err;
}

TEST(Burgers, ColeHopfSolutionConvergesSpectrallyInSpace) {
  init_petsc();
  double const e1 = cole_hopf_error(8), e2 = cole_hopf_error(16), e3 = cole_hopf_error(32);
  kono::BurgersSolveInfo info;
  double const e4 = cole_hopf_error(64, &info);
  std::printf(
      "Burgers Cole-Hopf N = 8, 16, 32, 64: max errors over t in [0, 1] %.3e %.3e %.3e %.3e (%d steps at N = 64)\n", e1,
      e2, e3, e4, info.steps);
  // Exponential convergence: each doubling gains far more than any low algebraic order would.
  EXPECT_GT(e1 / e2, 30.0);
  EXPECT_GT(e2 / e3, 300.0);
  EXPECT_GT(e3 / e4, 1000.0);
  EXPECT_LT(e4, 1e-9);
}

TEST(Burgers, DefaultTolerancesAreAccurateOnTheFnoGrid) {
  init_petsc();
  kono::BurgersSolveInfo info;
  kono::BurgersSolverOptions const defaults;
  ASSERT_EQ(defaults.rtol, defaults.atol);
  double const err = cole_hopf_error(256, &info, defaults.rtol);
  std::printf("Burgers Cole-Hopf N = 256, default rtol = atol = %.0e: max error %.3e, %d steps, %d rejected\n",
              defaults.rtol, err, info.steps, info.rejected_steps);
  EXPECT_LT(err, 1e-7);
  EXPECT_GT(info.steps, 5);
}

TEST(Burgers, OutputTimesWithoutZeroAreHitExactly) {
  init_petsc();
  // N = 128: at N = 64 the modes above the 2/3 cut-off (no nonlinear coupling) still leave a
  // 1e-7 spatial error at t ~ 0.01, before viscosity removes them.
  kono::index_t const n = 128;
  kono::BurgersSolverOptions o;
  o.resolution = n;
  o.rtol = o.atol = 1e-10;
  kono::BurgersSolver solver(o);
  std::vector<double> u0(static_cast<std::size_t>(n)), traj(3 * static_cast<std::size_t>(n));
  for (kono::index_t j = 0; j < n; ++j) u0[std::size_t(j)] = cole_hopf(double(j) / double(n), 0, o.nu);
  std::vector<double> const times{0.0123, 0.35, 0.7};
  auto const info = solver.solve(u0.data(), times, traj.data());
  ASSERT_TRUE(info.converged());
  EXPECT_DOUBLE_EQ(info.final_time, 0.7);
  for (std::size_t i = 0; i < times.size(); ++i) {
    double err = 0;
    for (kono::index_t j = 0; j < n; ++j)
      err = std::max(
          err, std::abs(traj[i * std::size_t(n) + std::size_t(j)] - cole_hopf(double(j) / double(n), times[i], o.nu)));
    std::printf("Burgers Cole-Hopf N = %lld at t = %g: max error %.3e (%d steps)\n", static_cast<long long>(n),
                times[i], err, info.steps);
    EXPECT_LT(err, 1e-9) << "t = " << times[i];
  }
}

TEST(Burgers, ExplicitTsTypeThroughThePrefixIntegratesViscosityToo) {
  init_petsc();
  double const err_imex = cole_hopf_error(32, nullptr, 1e-9);
  ScopedOption type("-burgers_ts_type", "rk");
  kono::BurgersSolverOptions o;
  o.resolution = 32;
  kono::BurgersSolver probe(o);
  EXPECT_EQ(probe.ts_type(), "rk");
  EXPECT_EQ(probe.arkimex_type(), "");
  kono::BurgersSolveInfo info;
  double const err = cole_hopf_error(32, &info, 1e-9);
  std::printf("Burgers Cole-Hopf N = 32 with -burgers_ts_type rk: max error %.3e (ARKIMEX: %.3e), %d steps\n", err,
              err_imex, info.steps);
  // Both are the spatial error at N = 32; without the viscous term it would be O(0.1).
  EXPECT_LT(err, 1e-6);
  EXPECT_NEAR(err, err_imex, 1e-8);
}

TEST(Burgers, EnergyDecaysAtLeastAtThePoincareRate) {
  init_petsc();
  kono::BurgersSolverOptions o;
  o.resolution = 256;
  kono::BurgersSolver solver(o);
  auto const u0 = kono::random_initial_condition(256, 11, 0);
  kono::BurgersSolveInfo info;
  auto const traj = solver.solve(u0, &info);
  ASSERT_TRUE(info.converged());
  // Zero-mean u: dE/dt = -2 nu |u_x|^2 <= -8 pi^2 nu E, the advection term conserves E exactly.
  double const e0 = kono::BurgersSolver::energy(u0.data(), 256);
  EXPECT_GT(e0, 0.01);
  double previous = e0;
  for (std::size_t i = 1; i < o.output_times.size(); ++i) {
    double const e = kono::BurgersSolver::energy(traj.data() + i * 256, 256);
    EXPECT_LT(e, previous) << "t = " << o.output_times[i];
    EXPECT_LE(e, e0 * std::exp(-8 * pi * pi * o.nu * o.output_times[i]) * (1 + 1e-6)) << "t = " << o.output_times[i];
    previous = e;
  }
  std::printf("Burgers GRF sample: energy %.4e at t = 0, %.4e at t = 1 (%d steps, %d rejected)\n", e0, previous,
              info.steps, info.rejected_steps);
  // The first entry is u0 itself.
  for (std::size_t j = 0; j < 256; ++j) ASSERT_EQ(traj[j], u0[j]);
}

TEST(Burgers, ReusedSolverGivesTheSameBits) {
  init_petsc();
  kono::BurgersSolverOptions o;
  o.resolution = 64;
  o.output_times = {0.25, 1.0};  // no t = 0: u(0) is not reported
  kono::BurgersSolver solver(o);
  auto const a = kono::random_initial_condition(64, 3, 0), b = kono::random_initial_condition(64, 3, 1);
  auto const ya = solver.solve(a);
  auto const yb = solver.solve(b);
  auto const ya2 = solver.solve(a);
  ASSERT_EQ(ya.size(), 2u * 64u);
  EXPECT_EQ(ya, ya2);
  EXPECT_NE(ya, yb);
  kono::BurgersSolver fresh(o);
  EXPECT_EQ(fresh.solve(a), ya);
}

TEST(Burgers, FailedSolveNamesTheSampleAndTheTsReason) {
  init_petsc();
  kono::BurgersSolverOptions o;
  o.resolution = 64;
  o.initial_dt = 0.5;
  o.max_rejections = 0;  // the first rejected step ends the solve
  kono::BurgersSolver solver(o);
  auto const u0 = kono::random_initial_condition(64, 1, 3);
  std::vector<double> traj(64 * 11);
  EXPECT_KONO_ERROR(solver.solve(u0.data(), o.output_times, traj.data(), 3), invalid_argument,
                    "sample 3 failed: TS reason DIVERGED_STEP_REJECTED");
  o.throw_on_divergence = false;
  kono::BurgersSolver recording(o);
  auto const info = recording.solve(u0.data(), o.output_times, traj.data(), 3);
  EXPECT_FALSE(info.converged());
  EXPECT_LT(info.converged_reason, 0);
  EXPECT_LT(info.final_time, 1.0);
  for (std::size_t j = 0; j < 64; ++j) EXPECT_EQ(traj[j], u0[j]);
  // A step cap: PETSc says CONVERGED_ITS, but the trajectory is incomplete.
  o = kono::BurgersSolverOptions{};
  o.resolution = 64;
  o.max_steps = 3;
  kono::BurgersSolver capped(o);
  EXPECT_KONO_ERROR(capped.solve(u0.data(), o.output_times, traj.data(), 5), invalid_argument,
                    "sample 5 failed: TS reason CONVERGED_ITS");
}

TEST(Burgers, BadOptionsAndInputsAreRefused) {
  init_petsc();
  kono::BurgersSolverOptions o;
  o.nu = -0.1;
  EXPECT_KONO_ERROR(kono::BurgersSolver{o}, invalid_argument, "nu = -0.1: negative or non-finite viscosity");
  o.nu = std::numeric_limits<double>::infinity();
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "viscosity (option nu, --burgers.nu)");
  o = kono::BurgersSolverOptions{};
  o.resolution = 6;
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "resolution = 6 points, expected at least 8");
  o.resolution = 33;
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "expected an even number");
  o = kono::BurgersSolverOptions{};
  o.output_times = {0.0, 0.5, 0.5};
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "output_times[2] = 0.5 does not follow");
  o.output_times = {-1.0};
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "output_times[0] = -1");
  o.output_times = {};
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "output_times is empty");
  o = kono::BurgersSolverOptions{};
  o.rtol = 0;
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "rtol = 0");
  o = kono::BurgersSolverOptions{};
  o.initial_dt = -1;
  EXPECT_KONO_ERROR(o.validate(), invalid_argument, "initial_dt = -1");

  o = kono::BurgersSolverOptions{};
  o.resolution = 16;
  kono::BurgersSolver solver(o);
  std::vector<double> u0(16, 0.0), traj(16 * 2);
  u0[4] = std::numeric_limits<double>::infinity();
  EXPECT_KONO_ERROR(solver.solve(u0.data(), {0.0, 1.0}, traj.data(), 7), invalid_argument,
                    "sample 7: u0[4] = inf is not finite");
  u0[4] = 0;
  EXPECT_KONO_ERROR(solver.solve(u0.data(), {1.0, 0.5}, traj.data(), 2), invalid_argument, "sample 2");
  EXPECT_KONO_ERROR(solver.solve(std::vector<double>(15, 0.0)), size_mismatch, "u0 has 15 values");
  // A throwing forcing surfaces as itself, not as a PETSc error.
  EXPECT_KONO_ERROR(solver.solve(u0.data(), {0.0, 1.0}, traj.data(), 0,
                                 [](double, double) -> double { KONO_THROW(non_finite, "forcing blew up"); }),
                    non_finite, "forcing blew up");
  // After that the solver still works: u = 0 stays 0.
  auto const info = solver.solve(u0.data(), {0.0, 1.0}, traj.data(), 0);
  EXPECT_TRUE(info.converged());
  for (double v : traj) EXPECT_EQ(v, 0.0);
}

}  // namespace
