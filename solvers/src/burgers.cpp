#include <fftw3.h>
#include <petscts.h>

#include <cmath>
#include <complex>
#include <exception>
#include <sstream>

#include <kono/core/error.hpp>
#include <kono/solvers/burgers.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace kono {

void BurgersSolverOptions::validate() const {
  char const* fq = "kono::BurgersSolverOptions";
  KONO_USER_REQUIRE(std::isfinite(nu) && nu >= 0, invalid_argument,
                    fq << ": nu = " << nu << ": negative or non-finite viscosity (option nu, --burgers.nu), "
                       << "expected a finite value >= 0");
  KONO_USER_REQUIRE(resolution >= burgers_min_resolution, invalid_argument,
                    fq << ": resolution = " << resolution << " points, expected at least " << burgers_min_resolution);
  KONO_USER_REQUIRE(resolution % 2 == 0, invalid_argument,
                    fq << ": resolution = " << resolution << " points, expected an even number");
  KONO_USER_REQUIRE(resolution <= (index_t(1) << 30), invalid_argument,
                    fq << ": resolution = " << resolution << " too large for FFTW's int extents");
  KONO_USER_REQUIRE(!output_times.empty(), invalid_argument, fq << ": output_times is empty");
  for (std::size_t i = 0; i < output_times.size(); ++i) {
    double const t = output_times[i];
    KONO_USER_REQUIRE(std::isfinite(t) && t >= 0, invalid_argument,
                      fq << ": output_times[" << i << "] = " << t << ", expected a finite time >= 0");
    KONO_USER_REQUIRE(i == 0 || t > output_times[i - 1], invalid_argument,
                      fq << ": output_times[" << i << "] = " << t << " does not follow output_times[" << i - 1
                         << "] = " << output_times[i - 1] << ", expected increasing times");
  }
  KONO_USER_REQUIRE(std::isfinite(rtol) && rtol > 0 && std::isfinite(atol) && atol > 0, invalid_argument,
                    fq << ": rtol = " << rtol << ", atol = " << atol << ", expected finite tolerances > 0");
  KONO_USER_REQUIRE(std::isfinite(initial_dt) && initial_dt > 0, invalid_argument,
                    fq << ": initial_dt = " << initial_dt << ", expected a finite step > 0");
  KONO_USER_REQUIRE(max_steps >= 1, invalid_argument, fq << ": max_steps = " << max_steps << ", expected >= 1");
  KONO_USER_REQUIRE(max_rejections >= 0, invalid_argument,
                    fq << ": max_rejections = " << max_rejections << ", expected >= 0");
  KONO_USER_REQUIRE(!ts_type.empty(), invalid_argument, fq << ": ts_type is empty");
}

namespace {
double const two_pi = 6.283185307179586476925286766559;
}

struct BurgersSolver::Impl {
  BurgersSolverOptions opt;
  index_t n = 0, nh = 0, kmax = 0;  // points, complex modes N/2 + 1, dealiasing cut-off K
  double* rbuf = nullptr;
  fftw_complex* cbuf = nullptr;
  fftw_complex* uhat = nullptr;  // spectrum of u kept while the product is transformed
  fftw_plan forward = nullptr, backward = nullptr;
  std::vector<double> x;  // grid points
  TS ts = nullptr;
  Mat J = nullptr;
  Vec u = nullptr;
  bool imex = false;
  double shift = 0;  // of the current IJacobian
  long solves = 0;
  BurgersForcing forcing;
  std::exception_ptr error;  // thrown inside a PETSc callback, rethrown after TSSolve

  ~Impl() {
    // Destroy errors cannot be reported from a destructor; PETSc prints them itself.
    if (ts) TSDestroy(&ts);
    if (J) MatDestroy(&J);
    if (u) VecDestroy(&u);
    if (forward) fftw_destroy_plan(forward);
    if (backward) fftw_destroy_plan(backward);
    if (rbuf) fftw_free(rbuf);
    if (cbuf) fftw_free(cbuf);
    if (uhat) fftw_free(uhat);
  }

  std::complex<double>& c(fftw_complex* a, index_t k) { return reinterpret_cast<std::complex<double>*>(a)[k]; }

  // in -> cbuf (unnormalised spectrum).
  void to_spectrum(double const* in) {
    for (index_t j = 0; j < n; ++j) rbuf[j] = in[j];
    fftw_execute(forward);
  }
  // cbuf -> out / N (cbuf is destroyed).
  void to_grid(double* out) {
    fftw_execute(backward);
    double const s = 1.0 / double(n);
    for (index_t j = 0; j < n; ++j) out[j] = rbuf[j] * s;
  }

  // out = -(P_K (P_K u)^2 / 2)_x - nu_term * nu (2 pi k)^2 u + f(x, t).
  void rhs(double t, double const* in, double* out, bool with_viscosity) {
    to_spectrum(in);
    double const s = 1.0 / double(n);
    for (index_t k = 0; k < nh; ++k) c(uhat, k) = c(cbuf, k);
    for (index_t k = kmax + 1; k < nh; ++k) c(cbuf, k) = 0;
    fftw_execute(backward);  // N P_K u
    for (index_t j = 0; j < n; ++j) {
      double const v = rbuf[j] * s;
      rbuf[j] = v * v;
    }
    fftw_execute(forward);  // spectrum of (P_K u)^2
    for (index_t k = 0; k < nh; ++k) {
      double const w = two_pi * double(k);
      std::complex<double> r = k <= kmax ? std::complex<double>(0, -0.5 * w) * c(cbuf, k) : 0.0;
      if (with_viscosity) r -= opt.nu * w * w * c(uhat, k);
      c(cbuf, k) = r;
    }
    to_grid(out);
    if (forcing)
      for (index_t j = 0; j < n; ++j) out[j] += forcing(x[std::size_t(j)], t);
  }

  // out = (a + nu (2 pi k)^2)^p in, p = 1 (apply) or -1 (solve), in spectral space.
  void diagonal(double a, double const* in, double* out, bool inverse) {
    to_spectrum(in);
    for (index_t k = 0; k < nh; ++k) {
      double const w = two_pi * double(k);
      double const d = a + opt.nu * w * w;
      c(cbuf, k) *= inverse ? 1.0 / d : d;
    }
    to_grid(out);
  }

  template <class F>
  PetscErrorCode guarded(F&& f) {
    try {
      f();
      return 0;
    } catch (...) {
      if (!error) error = std::current_exception();
      return PETSC_ERR_USER;
    }
  }

  void create_ts();
  static Impl& of(void* ctx) { return *static_cast<Impl*>(ctx); }
  static PetscErrorCode rhs_function(TS, PetscReal t, Vec U, Vec F, void* ctx);
  static PetscErrorCode i_function(TS, PetscReal, Vec U, Vec Udot, Vec F, void* ctx);
  static PetscErrorCode i_jacobian(TS, PetscReal, Vec, Vec, PetscReal a, Mat, Mat, void* ctx);
  static PetscErrorCode jacobian_mult(Mat A, Vec X, Vec Y);
  static PetscErrorCode pc_apply(PC pc, Vec X, Vec Y);
};

// Explicit part: advection (+ viscosity when the scheme is not IMEX) + forcing.
PetscErrorCode BurgersSolver::Impl::rhs_function(TS, PetscReal t, Vec U, Vec F, void* ctx) {
  auto& m = of(ctx);
  return m.guarded([&] {
    PetscScalar const* uv = nullptr;
    PetscScalar* fv = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(U, &uv));
    KONO_PETSC_CHECK(VecGetArray(F, &fv));
    m.rhs(double(t), uv, fv, !m.imex);
    KONO_PETSC_CHECK(VecRestoreArray(F, &fv));
    KONO_PETSC_CHECK(VecRestoreArrayRead(U, &uv));
  });
}

// Implicit part: F(t, u, udot) = udot - nu u_xx.
PetscErrorCode BurgersSolver::Impl::i_function(TS, PetscReal, Vec U, Vec Udot, Vec F, void* ctx) {
  auto& m = of(ctx);
  return m.guarded([&] {
    PetscScalar const* uv = nullptr;
    PetscScalar* fv = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(U, &uv));
    KONO_PETSC_CHECK(VecGetArray(F, &fv));
    m.diagonal(0.0, uv, fv, false);  // -nu u_xx
    KONO_PETSC_CHECK(VecRestoreArray(F, &fv));
    KONO_PETSC_CHECK(VecRestoreArrayRead(U, &uv));
    KONO_PETSC_CHECK(VecAXPY(F, 1.0, Udot));
  });
}

PetscErrorCode BurgersSolver::Impl::i_jacobian(TS, PetscReal, Vec, Vec, PetscReal a, Mat, Mat, void* ctx) {
  of(ctx).shift = double(a);
  return 0;
}

PetscErrorCode BurgersSolver::Impl::jacobian_mult(Mat A, Vec X, Vec Y) {
  void* ctx = nullptr;
  PetscErrorCode rc = MatShellGetContext(A, &ctx);
  if (rc) return rc;
  auto& m = of(ctx);
  return m.guarded([&] {
    PetscScalar const* xv = nullptr;
    PetscScalar* yv = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(X, &xv));
    KONO_PETSC_CHECK(VecGetArray(Y, &yv));
    m.diagonal(m.shift, xv, yv, false);
    KONO_PETSC_CHECK(VecRestoreArray(Y, &yv));
    KONO_PETSC_CHECK(VecRestoreArrayRead(X, &xv));
  });
}

// The exact inverse of shift I - nu D2: diagonal in Fourier space.
PetscErrorCode BurgersSolver::Impl::pc_apply(PC pc, Vec X, Vec Y) {
  void* ctx = nullptr;
  PetscErrorCode rc = PCShellGetContext(pc, &ctx);
  if (rc) return rc;
  auto& m = of(ctx);
  return m.guarded([&] {
    PetscScalar const* xv = nullptr;
    PetscScalar* yv = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(X, &xv));
    KONO_PETSC_CHECK(VecGetArray(Y, &yv));
    m.diagonal(m.shift, xv, yv, true);
    KONO_PETSC_CHECK(VecRestoreArray(Y, &yv));
    KONO_PETSC_CHECK(VecRestoreArrayRead(X, &xv));
  });
}

void BurgersSolver::Impl::create_ts() {
  KONO_PETSC_CHECK(TSCreate(PETSC_COMM_SELF, &ts));
  KONO_PETSC_CHECK(TSSetOptionsPrefix(ts, opt.options_prefix.c_str()));
  KONO_PETSC_CHECK(TSSetType(ts, opt.ts_type.c_str()));
  PetscBool is_arkimex = PETSC_FALSE;
  KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), TSARKIMEX, &is_arkimex));
  if (is_arkimex) KONO_PETSC_CHECK(TSARKIMEXSetType(ts, opt.arkimex_type.c_str()));
  KONO_PETSC_CHECK(TSSetTimeStep(ts, opt.initial_dt));
  KONO_PETSC_CHECK(TSSetMaxSteps(ts, opt.max_steps));
  KONO_PETSC_CHECK(TSSetMaxStepRejections(ts, opt.max_rejections));
  KONO_PETSC_CHECK(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_MATCHSTEP));
  // A failed step ends the solve with a negative reason instead of a PETSc error.
  KONO_PETSC_CHECK(TSSetErrorIfStepFails(ts, PETSC_FALSE));
  KONO_PETSC_CHECK(TSSetTolerances(ts, opt.atol, nullptr, opt.rtol, nullptr));
  TSAdapt adapt = nullptr;
  KONO_PETSC_CHECK(TSGetAdapt(ts, &adapt));
  KONO_PETSC_CHECK(TSAdaptSetType(adapt, opt.adaptive ? TSADAPTBASIC : TSADAPTNONE));
  KONO_PETSC_CHECK(TSSetFromOptions(ts));

  // The split depends on the type the options chose: only ARKIMEX treats an IFunction and an
  // RHSFunction as the implicit and explicit parts; other types integrate one right-hand side.
  KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), TSARKIMEX, &is_arkimex));
  imex = is_arkimex == PETSC_TRUE;
  KONO_PETSC_CHECK(TSSetRHSFunction(ts, nullptr, rhs_function, this));
  if (imex) {
    KONO_PETSC_CHECK(TSSetIFunction(ts, nullptr, i_function, this));
    KONO_PETSC_CHECK(TSSetIJacobian(ts, J, J, i_jacobian, this));
    // The implicit part is linear and its exact inverse is diagonal in Fourier space: one
    // preconditioner application per stage; -<prefix>snes_/ksp_/pc_ options still override.
    SNES snes = nullptr;
    KSP ksp = nullptr;
    PC pc = nullptr;
    KONO_PETSC_CHECK(TSGetSNES(ts, &snes));
    KONO_PETSC_CHECK(SNESSetType(snes, SNESKSPONLY));
    KONO_PETSC_CHECK(SNESGetKSP(snes, &ksp));
    KONO_PETSC_CHECK(KSPSetType(ksp, KSPPREONLY));
    KONO_PETSC_CHECK(KSPGetPC(ksp, &pc));
    KONO_PETSC_CHECK(PCSetType(pc, PCSHELL));
    KONO_PETSC_CHECK(PCShellSetContext(pc, this));
    KONO_PETSC_CHECK(PCShellSetApply(pc, pc_apply));
    KONO_PETSC_CHECK(PCShellSetName(pc, "kono Burgers: exact Fourier inverse of shift - nu d_xx"));
    KONO_PETSC_CHECK(SNESSetFromOptions(snes));
  }
}

BurgersSolver::BurgersSolver(BurgersSolverOptions const& options) : m_impl(std::make_unique<Impl>()) {
  options.validate();
  KONO_USER_REQUIRE(PetscInitializeCalled && !PetscFinalizeCalled, wrong_state,
                    "kono::BurgersSolver: PETSc is not initialised; call kono::ensure_petsc_initialized first");
  Impl& m = *m_impl;
  m.opt = options;
  m.n = options.resolution;
  m.nh = m.n / 2 + 1;
  m.kmax = (m.n - 1) / 3;
  m.rbuf = fftw_alloc_real(std::size_t(m.n));
  m.cbuf = fftw_alloc_complex(std::size_t(m.nh));
  m.uhat = fftw_alloc_complex(std::size_t(m.nh));
  KONO_REQUIRE(m.rbuf && m.cbuf && m.uhat, "cannot allocate FFTW buffers for " << m.n << " points");
  // FFTW_ESTIMATE: deterministic planning, so every rank computes the same bits for a sample.
  m.forward = fftw_plan_dft_r2c_1d(int(m.n), m.rbuf, m.cbuf, FFTW_ESTIMATE);
  m.backward = fftw_plan_dft_c2r_1d(int(m.n), m.cbuf, m.rbuf, FFTW_ESTIMATE);
  KONO_REQUIRE(m.forward && m.backward, "FFTW could not plan a transform of " << m.n << " points");
  m.x.resize(std::size_t(m.n));
  for (index_t j = 0; j < m.n; ++j) m.x[std::size_t(j)] = double(j) / double(m.n);
  PetscInt const pn = PetscInt(m.n);
  KONO_PETSC_CHECK(VecCreateSeq(PETSC_COMM_SELF, pn, &m.u));
  KONO_PETSC_CHECK(MatCreateShell(PETSC_COMM_SELF, pn, pn, pn, pn, &m, &m.J));
  KONO_PETSC_CHECK(MatShellSetOperation(m.J, MATOP_MULT, reinterpret_cast<void (*)(void)>(Impl::jacobian_mult)));
  m.create_ts();
}

BurgersSolver::~BurgersSolver() = default;

BurgersSolverOptions const& BurgersSolver::options() const noexcept { return m_impl->opt; }
index_t BurgersSolver::resolution() const noexcept { return m_impl->n; }
StructuredGrid BurgersSolver::grid() const { return StructuredGrid::unit_box({m_impl->n}, {true}); }

std::string BurgersSolver::ts_type() const {
  TSType t = nullptr;
  KONO_PETSC_CHECK(TSGetType(m_impl->ts, &t));
  return t ? t : "";
}
std::string BurgersSolver::arkimex_type() const {
  if (!m_impl->imex) return "";
  TSARKIMEXType t = nullptr;
  KONO_PETSC_CHECK(TSARKIMEXGetType(m_impl->ts, &t));
  return t ? t : "";
}
std::string BurgersSolver::adapt_type() const {
  TSAdapt adapt = nullptr;
  TSAdaptType t = nullptr;
  KONO_PETSC_CHECK(TSGetAdapt(m_impl->ts, &adapt));
  KONO_PETSC_CHECK(TSAdaptGetType(adapt, &t));
  return t ? t : "";
}
double BurgersSolver::rtol() const {
  PetscReal atol = 0, rtol = 0;
  KONO_PETSC_CHECK(TSGetTolerances(m_impl->ts, &atol, nullptr, &rtol, nullptr));
  return double(rtol);
}
double BurgersSolver::atol() const {
  PetscReal atol = 0, rtol = 0;
  KONO_PETSC_CHECK(TSGetTolerances(m_impl->ts, &atol, nullptr, &rtol, nullptr));
  return double(atol);
}
int BurgersSolver::max_steps() const {
  PetscInt s = 0;
  KONO_PETSC_CHECK(TSGetMaxSteps(m_impl->ts, &s));
  return int(s);
}

double BurgersSolver::energy(double const* u, index_t n) {
  double e = 0;
  for (index_t j = 0; j < n; ++j) e += u[j] * u[j];
  return e / double(n);
}

BurgersSolveInfo BurgersSolver::solve(double const* u0, std::vector<double> const& times, double* trajectory,
                                      index_t sample, BurgersForcing const& forcing) {
  Impl& m = *m_impl;
  char const* fq = "kono::BurgersSolver::solve";
  KONO_USER_REQUIRE(u0 && trajectory, invalid_argument, fq << ": sample " << sample << ": u0 or trajectory is null");
  {
    BurgersSolverOptions check = m.opt;
    check.output_times = times;
    try {
      check.validate();
    } catch (Error const& e) {
      KONO_THROW(invalid_argument, fq << ": sample " << sample << ": " << e.what());
    }
  }
  for (index_t j = 0; j < m.n; ++j)
    KONO_USER_REQUIRE(std::isfinite(u0[j]), invalid_argument,
                      fq << ": sample " << sample << ": u0[" << j << "] = " << u0[j] << " is not finite");

  // A fresh TS per trajectory: the adaptive controller keeps state between solves.
  if (m.solves > 0) {
    KONO_PETSC_CHECK(TSDestroy(&m.ts));
    m.create_ts();
  }
  ++m.solves;
  m.forcing = forcing;
  m.error = nullptr;
  std::size_t const n = std::size_t(m.n);
  PetscScalar* uv = nullptr;
  KONO_PETSC_CHECK(VecGetArray(m.u, &uv));
  for (std::size_t j = 0; j < n; ++j) uv[j] = u0[j];
  KONO_PETSC_CHECK(VecRestoreArray(m.u, &uv));

  BurgersSolveInfo info;
  info.sample = sample;
  // The span starts at t = 0; a first output time > 0 is preceded by an unreported 0.
  std::vector<PetscReal> span;
  bool const prepend_zero = times.front() > 0;
  if (prepend_zero) span.push_back(0);
  span.insert(span.end(), times.begin(), times.end());
  if (span.size() == 1) {  // times = {0}
    for (std::size_t j = 0; j < n; ++j) trajectory[j] = u0[j];
    info.converged_reason = int(TS_CONVERGED_TIME);
    info.reason_name = TSConvergedReasons[TS_CONVERGED_TIME];
    info.reached_end = true;
    m.forcing = nullptr;
    return info;
  }
  KONO_PETSC_CHECK(TSSetTimeSpan(m.ts, PetscInt(span.size()), span.data()));
  KONO_PETSC_CHECK(TSSetTime(m.ts, 0.0));
  KONO_PETSC_CHECK(TSSetMaxTime(m.ts, span.back()));
  KONO_PETSC_CHECK(TSSetStepNumber(m.ts, 0));
  // Errors inside TSSolve (a throwing forcing) come back as codes, without PETSc's traceback.
  KONO_PETSC_CHECK(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  PetscErrorCode const rc = TSSolve(m.ts, m.u);
  KONO_PETSC_CHECK(PetscPopErrorHandler());
  m.forcing = nullptr;
  if (m.error) std::rethrow_exception(m.error);
  KONO_PETSC_CHECK(rc);

  PetscInt steps = 0, rejects = 0, nsol = 0;
  PetscReal t_end = 0;
  TSConvergedReason reason = TS_CONVERGED_ITERATING;
  Vec* sols = nullptr;
  KONO_PETSC_CHECK(TSGetStepNumber(m.ts, &steps));
  KONO_PETSC_CHECK(TSGetStepRejections(m.ts, &rejects));
  KONO_PETSC_CHECK(TSGetConvergedReason(m.ts, &reason));
  KONO_PETSC_CHECK(TSGetSolveTime(m.ts, &t_end));
  KONO_PETSC_CHECK(TSGetTimeSpanSolutions(m.ts, &nsol, &sols));
  info.steps = int(steps);
  info.rejected_steps = int(rejects);
  info.converged_reason = int(reason);
  info.reason_name = TSConvergedReasons[reason];
  info.final_time = double(t_end);
  info.reached_end = std::size_t(nsol) == span.size();

  // Stored span solutions, then the last state reached for the times after a failure.
  std::size_t const skip = prepend_zero ? 1 : 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    std::size_t const s = i + skip;
    Vec v = s < std::size_t(nsol) ? sols[s] : m.u;
    PetscScalar const* sv = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(v, &sv));
    for (std::size_t j = 0; j < n; ++j) trajectory[i * n + j] = PetscRealPart(sv[j]);
    KONO_PETSC_CHECK(VecRestoreArrayRead(v, &sv));
  }

  if (!info.converged() && m.opt.throw_on_divergence) {
    KONO_THROW(invalid_argument,
               fq << ": sample " << sample << " failed: TS reason " << info.reason_name << " ("
                  << info.converged_reason << ") at t = " << info.final_time << " of " << times.back() << " after "
                  << info.steps << " steps and " << info.rejected_steps << " rejected steps (ts " << ts_type()
                  << (m.imex ? " " + arkimex_type() : std::string()) << ", adapt " << adapt_type() << ", rtol "
                  << rtol() << ", atol " << atol() << ", max_steps " << max_steps() << "; options prefix -"
                  << m.opt.options_prefix << ")");
  }
  return info;
}

std::vector<double> BurgersSolver::solve(std::vector<double> const& u0, BurgersSolveInfo* info, index_t sample) {
  KONO_USER_REQUIRE(index_t(u0.size()) == m_impl->n, size_mismatch,
                    "kono::BurgersSolver::solve: sample " << sample << ": u0 has " << u0.size()
                                                          << " values, the solver " << m_impl->n << " points");
  std::vector<double> out(m_impl->opt.output_times.size() * u0.size());
  BurgersSolveInfo const i = solve(u0.data(), m_impl->opt.output_times, out.data(), sample);
  if (info) *info = i;
  return out;
}

}  // namespace kono
