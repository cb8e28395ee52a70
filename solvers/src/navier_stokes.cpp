#include <fftw3.h>
#include <petscts.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <exception>
#include <sstream>

#include <kono/core/error.hpp>
#include <kono/solvers/navier_stokes.hpp>
#include <kono/solvers/petsc_runtime.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {
namespace {

double const pi = 3.14159265358979323846;
double const two_pi = 2.0 * pi;

// converged_reason values for failures TS itself does not name.
int const reason_nonfinite = -100;
int const reason_petsc_error = -101;

}  // namespace

char const* to_string(NavierStokesSetup setup) noexcept {
  return setup == NavierStokesSetup::kolmogorov ? "kolmogorov" : "fno";
}

void NavierStokesOptions::validate() const {
  char const* fq = "kono::NavierStokesOptions";
  KONO_USER_REQUIRE(resolution >= navier_stokes_min_resolution, invalid_argument,
                    fq << ": resolution = " << resolution << " points per axis, expected at least "
                       << navier_stokes_min_resolution);
  KONO_USER_REQUIRE(resolution <= 46340, invalid_argument,
                    fq << ": resolution = " << resolution << " points per axis exceeds PETSc's 32-bit indices");
  KONO_USER_REQUIRE(std::isfinite(nu) && nu >= 0, invalid_argument,
                    fq << ": nu (the viscosity) = " << nu << ", expected a finite value >= 0");
  KONO_USER_REQUIRE(!times.empty(), invalid_argument, fq << ": times (the output times) is empty");
  for (std::size_t i = 0; i < times.size(); ++i) {
    KONO_USER_REQUIRE(std::isfinite(times[i]) && times[i] >= 0, invalid_argument,
                      fq << ": times[" << i << "] = " << times[i] << ", expected a finite value >= 0");
    KONO_USER_REQUIRE(i == 0 || times[i] > times[i - 1], invalid_argument,
                      fq << ": times[" << i << "] = " << times[i] << " is not after times[" << i - 1
                         << "] = " << times[i - 1] << " (output times must increase)");
  }
  KONO_USER_REQUIRE(std::isfinite(rtol) && rtol > 0, invalid_argument, fq << ": rtol = " << rtol << ", expected > 0");
  KONO_USER_REQUIRE(std::isfinite(atol) && atol > 0, invalid_argument, fq << ": atol = " << atol << ", expected > 0");
  KONO_USER_REQUIRE(std::isfinite(initial_dt) && initial_dt > 0, invalid_argument,
                    fq << ": initial_dt = " << initial_dt << ", expected > 0");
  KONO_USER_REQUIRE(max_steps >= 1 && max_steps <= 2000000000LL, invalid_argument,
                    fq << ": max_steps = " << max_steps << ", expected 1 .. 2e9");
  KONO_USER_REQUIRE(!ts_type.empty(), invalid_argument, fq << ": ts_type is empty");
  KONO_USER_REQUIRE(!arkimex_type.empty(), invalid_argument, fq << ": arkimex_type is empty");
  KONO_USER_REQUIRE(!rk_type.empty(), invalid_argument, fq << ": rk_type is empty");
  KONO_USER_REQUIRE(std::isfinite(domain_length) && domain_length > 0, invalid_argument,
                    fq << ": domain_length = " << domain_length << ", expected a finite value > 0");
  KONO_USER_REQUIRE(std::isfinite(drag) && drag >= 0, invalid_argument,
                    fq << ": drag = " << drag << ", expected a finite value >= 0");
  KONO_USER_REQUIRE(std::isfinite(forcing_amplitude), invalid_argument,
                    fq << ": forcing_amplitude = " << forcing_amplitude << " is not finite");
  if (setup == NavierStokesSetup::kolmogorov)
    KONO_USER_REQUIRE(forcing_wavenumber >= 1 && 2 * index_t(forcing_wavenumber) < resolution, invalid_argument,
                      fq << ": forcing_wavenumber = " << forcing_wavenumber << ", expected 1 .. "
                         << (resolution - 1) / 2 << " (below the Nyquist wave number of " << resolution
                         << " points)");
}

GaussianRandomFieldOptions navier_stokes_initial_condition_options(index_t resolution) {
  GaussianRandomFieldOptions o;
  o.dim = 2;
  o.resolution = resolution;
  o.alpha = 2.5;
  o.tau = 7.0;
  o.sigma = -1.0;  // tau^(alpha - dim/2) = 7^1.5, as FNO's GaussianRF default
  o.boundary = RandomFieldBoundary::periodic;
  return o;
}

struct NavierStokesSolver::Impl {
  using cplx = std::complex<double>;

  NavierStokesOptions opt;
  index_t n = 0, nh = 0, nr = 0, nc = 0;  // points per axis, half-spectrum width, real and complex sizes
  fftw_plan r2c = nullptr, c2r = nullptr;
  double* rbuf[7] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};  // real work fields
  fftw_complex* w_hat = nullptr;   // spectrum of the state
  fftw_complex* c_work = nullptr;  // input of c2r (FFTW destroys it)
  fftw_complex* n_hat = nullptr;   // spectrum of the advection term
  std::vector<double> d0, d1;      // first-derivative wave numbers 2 pi m per axis (Nyquist: 0)
  std::vector<double> k2;          // 4 pi^2 |m|^2 per half-spectrum entry
  std::vector<unsigned char> keep;  // 2/3-rule mask per half-spectrum entry
  std::vector<double> f;           // the set-up's forcing at the points (zeros when off)
  double vsign = 1.0;              // +1: FNO axes (x0, x1); -1: Kolmogorov axes (y, x), velocity = -(FNO's)
  double kfac = two_pi;            // 2 pi / L: physical wave number of the integer mode 1
  std::vector<double> g;           // extra forcing work array
  NavierStokesForcing extra;
  Vec w = nullptr;
  Mat J = nullptr;
  double shift = 0;
  bool imex = false;
  long long rhs_evals = 0;
  std::exception_ptr callback_error;
  std::string ts_type, adapt_type, ts_subtype;
  double rtol = 0, atol = 0;

  ~Impl() {
    if (J) MatDestroy(&J);
    if (w) VecDestroy(&w);
    if (r2c) fftw_destroy_plan(r2c);
    if (c2r) fftw_destroy_plan(c2r);
    for (double* b : rbuf)
      if (b) fftw_free(b);
    for (fftw_complex* c : {w_hat, c_work, n_hat})
      if (c) fftw_free(c);
  }

  cplx* C(fftw_complex* p) const { return reinterpret_cast<cplx*>(p); }

  void forward(double const* in, fftw_complex* out) {
    std::copy(in, in + nr, rbuf[5]);
    fftw_execute_dft_r2c(r2c, rbuf[5], out);
  }
  // out = IFFT(s * spectrum) / n^2, where s(k) = scale(k) and c_work is filled by `fill`.
  template <class Fill>
  void inverse(double* out, Fill fill) {
    cplx* cw = C(c_work);
    double const norm = 1.0 / double(nr);
    for (index_t k = 0; k < nc; ++k) cw[k] = fill(k) * norm;
    // PETSc's arrays need not have the alignment the plan was made for.
    if (fftw_alignment_of(out) == fftw_alignment_of(rbuf[0])) {
      fftw_execute_dft_c2r(c2r, c_work, out);
    } else {
      fftw_execute_dft_c2r(c2r, c_work, rbuf[6]);
      std::copy(rbuf[6], rbuf[6] + nr, out);
    }
  }

  // out = -(u . grad w) (dealiased) [+ nu Lap w] + f + g(t); w_hat is left holding FFT(w).
  void rhs(double t, double const* win, double* out, bool with_viscous) {
    ++rhs_evals;
    forward(win, w_hat);
    cplx const* wh = C(w_hat);
    cplx const I(0.0, 1.0);
    double* u = rbuf[0];
    double* v = rbuf[1];
    double* wx = rbuf[2];
    double* wy = rbuf[3];
    // psi_hat = w_hat / k2; u = psi_x1, v = -psi_x0.
    inverse(u, [&](index_t k) { return k2[k] > 0 ? I * d1[k % nh] * wh[k] / k2[k] : cplx(0); });
    inverse(v, [&](index_t k) { return k2[k] > 0 ? -I * d0[k / nh] * wh[k] / k2[k] : cplx(0); });
    inverse(wx, [&](index_t k) { return I * d0[k / nh] * wh[k]; });
    inverse(wy, [&](index_t k) { return I * d1[k % nh] * wh[k]; });
    double* adv = rbuf[4];
    // vsign = 1 leaves the FNO set-up's bits unchanged.
    double const sg = vsign;
    for (index_t i = 0; i < nr; ++i) adv[i] = sg * (u[i] * wx[i] + v[i] * wy[i]);
    fftw_execute_dft_r2c(r2c, adv, n_hat);
    cplx const* nhat = C(n_hat);
    double const nu = opt.nu, drag = opt.drag;
    // The mean of div(u w) is 0; aliasing of the undealiased factors must not make one.
    inverse(out, [&](index_t k) {
      cplx r = (keep[k] && k != 0) ? -nhat[k] : cplx(0);
      if (with_viscous) {
        r -= nu * k2[k] * wh[k];
        if (drag != 0) r -= drag * wh[k];
      }
      return r;
    });
    for (index_t i = 0; i < nr; ++i) out[i] += f[std::size_t(i)];
    if (extra) {
      extra(t, g.data());
      for (index_t i = 0; i < nr; ++i) out[i] += g[std::size_t(i)];
    }
  }

  // out = (nu (-Lap) + drag) x
  void minus_nu_laplacian(double const* x, double* out) {
    forward(x, n_hat);
    cplx const* xh = C(n_hat);
    double const nu = opt.nu, drag = opt.drag;
    if (drag != 0)
      inverse(out, [&](index_t k) { return (nu * k2[k] + drag) * xh[k]; });
    else
      inverse(out, [&](index_t k) { return nu * k2[k] * xh[k]; });
  }

  // out = (shift - nu Lap + drag)^(-1) x, exactly (diagonal in Fourier space).
  void implicit_solve(double const* x, double* out) {
    forward(x, n_hat);
    cplx const* xh = C(n_hat);
    double const nu = opt.nu, a = shift + opt.drag;
    inverse(out, [&](index_t k) { return xh[k] / (a + nu * k2[k]); });
  }

  void make_forcing() {
    f.assign(std::size_t(nr), 0.0);
    if (!opt.forcing) return;
    double const L = opt.domain_length;
    if (opt.setup == NavierStokesSetup::kolmogorov) {
      // curl (A sin(k' y), 0) = -A k' cos(k' y), y the axis-0 coordinate.
      double const kp = kfac * double(opt.forcing_wavenumber), A = opt.forcing_amplitude;
      for (index_t i = 0; i < n; ++i) {
        double const fy = -A * kp * std::cos(kp * L * double(i) / double(n));
        std::fill(f.begin() + i * n, f.begin() + (i + 1) * n, fy);
      }
      return;
    }
    double const c = two_pi * L;  // == two_pi for L = 1: the FNO bits are unchanged
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < n; ++j) {
        double const s = c * (double(i) + double(j)) / double(n);
        f[std::size_t(i * n + j)] = 0.1 * (std::sin(s) + std::cos(s));
      }
  }

  // PETSc callbacks: no exception may cross the C frames.
  template <class F>
  PetscErrorCode guarded(F&& f) {
    try {
      f();
      return 0;
    } catch (...) {
      callback_error = std::current_exception();
      return PETSC_ERR_LIB;
    }
  }

  static PetscErrorCode rhs_function(TS, PetscReal t, Vec U, Vec F, void* ctx) {
    auto* m = static_cast<Impl*>(ctx);
    PetscScalar const* u = nullptr;
    PetscScalar* fv = nullptr;
    PetscCall(VecGetArrayRead(U, &u));
    PetscCall(VecGetArray(F, &fv));
    PetscErrorCode const rc = m->guarded([&] { m->rhs(double(t), u, fv, !m->imex); });
    PetscCall(VecRestoreArray(F, &fv));
    PetscCall(VecRestoreArrayRead(U, &u));
    return rc;
  }
  // G(t, w, w_t) = w_t - nu Lap w
  static PetscErrorCode i_function(TS, PetscReal, Vec U, Vec Udot, Vec F, void* ctx) {
    auto* m = static_cast<Impl*>(ctx);
    PetscScalar const *u = nullptr, *ud = nullptr;
    PetscScalar* fv = nullptr;
    PetscCall(VecGetArrayRead(U, &u));
    PetscCall(VecGetArrayRead(Udot, &ud));
    PetscCall(VecGetArray(F, &fv));
    PetscErrorCode const rc = m->guarded([&] {
      m->minus_nu_laplacian(u, fv);
      for (index_t i = 0; i < m->nr; ++i) fv[i] += ud[i];
    });
    PetscCall(VecRestoreArray(F, &fv));
    PetscCall(VecRestoreArrayRead(Udot, &ud));
    PetscCall(VecRestoreArrayRead(U, &u));
    return rc;
  }
  static PetscErrorCode i_jacobian(TS, PetscReal, Vec, Vec, PetscReal a, Mat, Mat, void* ctx) {
    static_cast<Impl*>(ctx)->shift = double(a);
    return 0;
  }
  static PetscErrorCode jacobian_mult(Mat A, Vec x, Vec y) {
    void* ctx = nullptr;
    PetscCall(MatShellGetContext(A, &ctx));
    auto* m = static_cast<Impl*>(ctx);
    PetscScalar const* xv = nullptr;
    PetscScalar* yv = nullptr;
    PetscCall(VecGetArrayRead(x, &xv));
    PetscCall(VecGetArray(y, &yv));
    PetscErrorCode const rc = m->guarded([&] {
      m->minus_nu_laplacian(xv, yv);
      for (index_t i = 0; i < m->nr; ++i) yv[i] += m->shift * xv[i];
    });
    PetscCall(VecRestoreArray(y, &yv));
    PetscCall(VecRestoreArrayRead(x, &xv));
    return rc;
  }
  static PetscErrorCode pc_apply(PC pc, Vec x, Vec y) {
    void* ctx = nullptr;
    PetscCall(PCShellGetContext(pc, &ctx));
    auto* m = static_cast<Impl*>(ctx);
    PetscScalar const* xv = nullptr;
    PetscScalar* yv = nullptr;
    PetscCall(VecGetArrayRead(x, &xv));
    PetscCall(VecGetArray(y, &yv));
    PetscErrorCode const rc = m->guarded([&] { m->implicit_solve(xv, yv); });
    PetscCall(VecRestoreArray(y, &yv));
    PetscCall(VecRestoreArrayRead(x, &xv));
    return rc;
  }
  // A stage with NaN or Inf is rejected (TSAdaptCheckStage), so the step is retried smaller.
  static PetscErrorCode domain_check(TS ts, PetscReal, Vec U, PetscBool* accept) {
    void* ctx = nullptr;
    PetscCall(TSGetApplicationContext(ts, &ctx));
    auto* m = static_cast<Impl*>(ctx);
    PetscScalar const* u = nullptr;
    PetscCall(VecGetArrayRead(U, &u));
    bool ok = true;
    for (index_t i = 0; i < m->nr && ok; ++i) ok = std::isfinite(u[i]);
    PetscCall(VecRestoreArrayRead(U, &u));
    *accept = ok ? PETSC_TRUE : PETSC_FALSE;
    return 0;
  }

  // A fresh TS for one trajectory: defaults, then the options database, then the functions
  // that match the chosen type.
  TS make_ts(double t_end) {
    TS ts = nullptr;
    KONO_PETSC_CHECK(TSCreate(PETSC_COMM_SELF, &ts));
    KONO_PETSC_CHECK(TSSetOptionsPrefix(ts, opt.options_prefix.c_str()));
    KONO_PETSC_CHECK(TSSetApplicationContext(ts, this));
    KONO_PETSC_CHECK(TSSetProblemType(ts, TS_NONLINEAR));
    KONO_PETSC_CHECK(TSSetType(ts, opt.ts_type.c_str()));
    // Only takes effect for TSARKIMEX (a no-op for other types); -<prefix>ts_arkimex_type overrides.
    KONO_PETSC_CHECK(TSARKIMEXSetType(ts, opt.arkimex_type.c_str()));
    KONO_PETSC_CHECK(TSRKSetType(ts, opt.rk_type.c_str()));  // likewise for TSRK
    KONO_PETSC_CHECK(TSSetTime(ts, 0.0));
    KONO_PETSC_CHECK(TSSetTimeStep(ts, opt.initial_dt));
    KONO_PETSC_CHECK(TSSetMaxTime(ts, t_end));
    KONO_PETSC_CHECK(TSSetMaxSteps(ts, PetscInt(opt.max_steps)));
    KONO_PETSC_CHECK(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_MATCHSTEP));
    KONO_PETSC_CHECK(TSSetTolerances(ts, opt.atol, nullptr, opt.rtol, nullptr));
    KONO_PETSC_CHECK(TSSetFunctionDomainError(ts, domain_check));
    // A failed step ends TSSolve with a negative converged reason, which solve() reports with
    // the sample, instead of a PETSc error.
    KONO_PETSC_CHECK(TSSetErrorIfStepFails(ts, PETSC_FALSE));
    // The implicit part (shift - nu Lap) is linear and diagonal in Fourier space: one exact
    // solve per stage through a shell preconditioner, no Newton iterations.
    SNES snes = nullptr;
    KSP ksp = nullptr;
    PC pc = nullptr;
    KONO_PETSC_CHECK(TSGetSNES(ts, &snes));
    KONO_PETSC_CHECK(SNESSetType(snes, SNESKSPONLY));
    KONO_PETSC_CHECK(SNESGetKSP(snes, &ksp));
    KONO_PETSC_CHECK(KSPSetType(ksp, KSPPREONLY));
    KONO_PETSC_CHECK(KSPGetPC(ksp, &pc));
    KONO_PETSC_CHECK(PCSetType(pc, PCSHELL));
    KONO_PETSC_CHECK(PCShellSetApply(pc, pc_apply));
    KONO_PETSC_CHECK(PCShellSetContext(pc, this));
    KONO_PETSC_CHECK(PCShellSetName(pc, "kono: exact (shift - nu Lap)^-1 by FFT"));
    KONO_PETSC_CHECK(TSSetFromOptions(ts));
    PetscBool is_arkimex = PETSC_FALSE;
    KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), TSARKIMEX, &is_arkimex));
    imex = is_arkimex == PETSC_TRUE;
    // A type chosen by -<prefix>ts_type after a different opt.ts_type gets PETSc's default subtype;
    // give it kono's (arkimex 4, rk 5dp) unless the subtype option is set too.
    {
      PetscBool has_sub = PETSC_FALSE, is_rk = PETSC_FALSE;
      KONO_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), TSRK, &is_rk));
      if (imex) {
        KONO_PETSC_CHECK(PetscOptionsHasName(nullptr, opt.options_prefix.c_str(), "-ts_arkimex_type", &has_sub));
        if (!has_sub) KONO_PETSC_CHECK(TSARKIMEXSetType(ts, opt.arkimex_type.c_str()));
      } else if (is_rk) {
        KONO_PETSC_CHECK(PetscOptionsHasName(nullptr, opt.options_prefix.c_str(), "-ts_rk_type", &has_sub));
        if (!has_sub) KONO_PETSC_CHECK(TSRKSetType(ts, opt.rk_type.c_str()));
      }
      ts_subtype.clear();
      if (imex) {
        TSARKIMEXType st = nullptr;
        KONO_PETSC_CHECK(TSARKIMEXGetType(ts, &st));
        ts_subtype = st ? st : "";
      } else if (is_rk) {
        TSRKType st = nullptr;
        KONO_PETSC_CHECK(TSRKGetType(ts, &st));
        ts_subtype = st ? st : "";
      }
    }
    KONO_PETSC_CHECK(TSSetRHSFunction(ts, nullptr, rhs_function, this));
    if (imex) {
      KONO_PETSC_CHECK(TSSetIFunction(ts, nullptr, i_function, this));
      KONO_PETSC_CHECK(TSSetIJacobian(ts, J, J, i_jacobian, this));
    }
    TSType type = nullptr;
    KONO_PETSC_CHECK(TSGetType(ts, &type));
    ts_type = type ? type : "";
    PetscReal a = 0, r = 0;
    KONO_PETSC_CHECK(TSGetTolerances(ts, &a, nullptr, &r, nullptr));
    atol = double(a);
    rtol = double(r);
    return ts;
  }
};

NavierStokesSolver::NavierStokesSolver(NavierStokesOptions const& options) : m_impl(std::make_unique<Impl>()) {
  options.validate();
  KONO_USER_REQUIRE(PetscInitializeCalled && !PetscFinalizeCalled, wrong_state,
                    "kono::NavierStokesSolver: PETSc is not initialised; call kono::ensure_petsc_initialized first");
  Impl& m = *m_impl;
  m.opt = options;
  m.n = options.resolution;
  m.nh = m.n / 2 + 1;
  m.nr = m.n * m.n;
  m.nc = m.n * m.nh;
  for (double*& b : m.rbuf) {
    b = fftw_alloc_real(std::size_t(m.nr));
    KONO_USER_REQUIRE(b, invalid_argument, "kono::NavierStokesSolver: cannot allocate a " << m.n << "^2 field");
  }
  for (fftw_complex** c : {&m.w_hat, &m.c_work, &m.n_hat}) {
    *c = fftw_alloc_complex(std::size_t(m.nc));
    KONO_USER_REQUIRE(*c, invalid_argument, "kono::NavierStokesSolver: cannot allocate a " << m.n << "^2 spectrum");
  }
  // FFTW_ESTIMATE: deterministic planning that does not touch the buffers, so every rank runs
  // the same algorithm. All buffers come from fftw_alloc_*, so the new-array execute calls
  // meet the plans' alignment.
  int const dims[2] = {int(m.n), int(m.n)};
  m.r2c = fftw_plan_dft_r2c(2, dims, m.rbuf[5], m.w_hat, FFTW_ESTIMATE);
  m.c2r = fftw_plan_dft_c2r(2, dims, m.c_work, m.rbuf[0], FFTW_ESTIMATE);
  KONO_REQUIRE(m.r2c && m.c2r, "FFTW could not plan a " << m.n << "^2 real transform");

  index_t const n = m.n;
  m.vsign = options.setup == NavierStokesSetup::kolmogorov ? -1.0 : 1.0;
  m.kfac = two_pi / options.domain_length;  // == two_pi for L = 1
  double const kf = m.kfac;
  auto wavenumber = [n](index_t i) { return i <= n / 2 ? double(i) : double(i - n); };
  auto is_nyquist = [n](index_t i) { return 2 * i == n; };
  m.d0.resize(std::size_t(n));
  m.d1.resize(std::size_t(m.nh));
  for (index_t i = 0; i < n; ++i) m.d0[std::size_t(i)] = is_nyquist(i) ? 0.0 : kf * wavenumber(i);
  for (index_t i = 0; i < m.nh; ++i) m.d1[std::size_t(i)] = is_nyquist(i) ? 0.0 : kf * wavenumber(i);
  m.k2.resize(std::size_t(m.nc));
  m.keep.resize(std::size_t(m.nc));
  // FNO's rule: keep |m_a| <= (2/3) floor(n/2) on both axes.
  double const kmax = (2.0 / 3.0) * double(n / 2);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < m.nh; ++j) {
      double const a = wavenumber(i), b = wavenumber(j);
      std::size_t const k = std::size_t(i * m.nh + j);
      m.k2[k] = kf * kf * (a * a + b * b);
      m.keep[k] = std::abs(a) <= kmax && std::abs(b) <= kmax;
    }
  m.make_forcing();
  m.g.assign(std::size_t(m.nr), 0.0);

  PetscInt const N = PetscInt(m.nr);
  KONO_PETSC_CHECK(VecCreateSeq(PETSC_COMM_SELF, N, &m.w));
  KONO_PETSC_CHECK(MatCreateShell(PETSC_COMM_SELF, N, N, N, N, &m, &m.J));
  KONO_PETSC_CHECK(MatShellSetOperation(m.J, MATOP_MULT, reinterpret_cast<void (*)(void)>(Impl::jacobian_mult)));
  m.ts_type = options.ts_type;
  m.rtol = options.rtol;
  m.atol = options.atol;
}

NavierStokesSolver::~NavierStokesSolver() = default;

NavierStokesOptions const& NavierStokesSolver::options() const noexcept { return m_impl->opt; }
StructuredGrid NavierStokesSolver::grid() const {
  double const h = m_impl->opt.domain_length / double(m_impl->n);
  if (m_impl->opt.domain_length == 1.0) return StructuredGrid::unit_box({m_impl->n, m_impl->n}, {true, true});
  return StructuredGrid({m_impl->n, m_impl->n}, {h, h}, {0.0, 0.0}, {true, true});
}
index_t NavierStokesSolver::size() const noexcept { return m_impl->nr; }
void NavierStokesSolver::set_extra_forcing(NavierStokesForcing g) { m_impl->extra = std::move(g); }
std::vector<double> NavierStokesSolver::forcing_field() const { return m_impl->f; }
std::string NavierStokesSolver::ts_type() const { return m_impl->ts_type; }
std::string NavierStokesSolver::ts_subtype() const { return m_impl->ts_subtype; }
double NavierStokesSolver::rtol() const { return m_impl->rtol; }
double NavierStokesSolver::atol() const { return m_impl->atol; }
std::string NavierStokesSolver::adapt_type() const { return m_impl->adapt_type; }
bool NavierStokesSolver::imex() const { return m_impl->imex; }

void NavierStokesSolver::set_parameters(double nu, double forcing_amplitude) {
  char const* fq = "kono::NavierStokesSolver::set_parameters";
  KONO_USER_REQUIRE(std::isfinite(nu) && nu >= 0, invalid_argument,
                    fq << ": nu (the viscosity) = " << nu << ", expected a finite value >= 0");
  KONO_USER_REQUIRE(std::isfinite(forcing_amplitude), invalid_argument,
                    fq << ": forcing_amplitude = " << forcing_amplitude << " is not finite");
  Impl& m = *m_impl;
  bool const same_f = forcing_amplitude == m.opt.forcing_amplitude;
  m.opt.nu = nu;
  m.opt.forcing_amplitude = forcing_amplitude;
  if (!same_f) m.make_forcing();
}

std::vector<double> NavierStokesSolver::velocity(std::vector<double> const& w) {
  Impl& m = *m_impl;
  KONO_USER_REQUIRE(index_t(w.size()) == m.nr, size_mismatch,
                    "kono::NavierStokesSolver::velocity: " << w.size() << " values for a " << m.n << "^2 grid");
  std::vector<double> uv(2 * w.size());
  m.forward(w.data(), m.w_hat);
  auto const* wh = m.C(m.w_hat);
  Impl::cplx const I(0.0, 1.0);
  double const sg = m.vsign;
  // Along axis 1: FNO -psi_x0, Kolmogorov u = psi_y (axis 0); along axis 0: FNO psi_x1, Kolmogorov v = -psi_x.
  m.inverse(uv.data(), [&](index_t k) {
    return m.k2[k] > 0 ? -sg * I * m.d0[std::size_t(k / m.nh)] * wh[k] / m.k2[k] : Impl::cplx(0);
  });
  m.inverse(uv.data() + m.nr, [&](index_t k) {
    return m.k2[k] > 0 ? sg * I * m.d1[std::size_t(k % m.nh)] * wh[k] / m.k2[k] : Impl::cplx(0);
  });
  return uv;
}

void NavierStokesSolver::random_initial_vorticity(std::uint64_t seed, index_t sample, double peak_wavenumber,
                                                  double max_velocity, double* w) {
  char const* fq = "kono::NavierStokesSolver::random_initial_vorticity";
  KONO_USER_REQUIRE(std::isfinite(peak_wavenumber) && peak_wavenumber > 0, invalid_argument,
                    fq << ": peak_wavenumber = " << peak_wavenumber << ", expected > 0");
  KONO_USER_REQUIRE(std::isfinite(max_velocity) && max_velocity > 0, invalid_argument,
                    fq << ": max_velocity = " << max_velocity << ", expected > 0");
  KONO_USER_REQUIRE(w, invalid_argument, fq << ": w is null");
  Impl& m = *m_impl;
  index_t const n = m.n;
  std::uint64_t const s = sample_seed(seed, sample, 0);
  double const var = 0.25, mean = std::log(peak_wavenumber) + var;
  // jax-cfd: each velocity component is white noise times lognormal(k)/k; after the projection the
  // solenoidal part keeps that amplitude, so the vorticity (|k| times it) has amplitude lognormal(k).
  auto amplitude = [&](double k) { return std::exp(-(mean - std::log(k)) * (mean - std::log(k)) / (2 * var) - std::log(k)); };
  auto* cw = m.C(m.w_hat);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < m.nh; ++j) {
      index_t const a = i <= n / 2 ? i : i - n, b = j;
      std::size_t const k = std::size_t(i * m.nh + j);
      if ((a == 0 && b == 0) || 2 * std::abs(a) == n || 2 * b == n) {
        cw[k] = 0;
        continue;
      }
      // Hermitian by construction (as GaussianRandomField): c_m = (z_m + conj(z_-m)) / sqrt 2.
      Impl::cplx const zp(mode_normal(s, {a, b, 0}, 0), mode_normal(s, {a, b, 0}, 1));
      Impl::cplx const zm(mode_normal(s, {-a, -b, 0}, 0), mode_normal(s, {-a, -b, 0}, 1));
      double const kk = m.kfac * std::sqrt(double(a * a + b * b));
      cw[k] = amplitude(kk) * (zp + std::conj(zm)) * 0.5;  // z has variance 2: (1/sqrt2)(1/sqrt2)
    }
  std::vector<double> w0(std::size_t(m.nr));
  std::vector<Impl::cplx> spec(cw, cw + m.nc);
  m.inverse(w0.data(), [&](index_t k) { return spec[std::size_t(k)] * double(m.nr); });
  std::vector<double> const uv = velocity(w0);
  double vmax = 0;
  for (index_t i = 0; i < m.nr; ++i)
    vmax = std::max(vmax, std::hypot(uv[std::size_t(i)], uv[std::size_t(i + m.nr)]));
  KONO_REQUIRE(vmax > 0, fq << ": zero initial velocity");
  double const scale = max_velocity / vmax;
  for (index_t i = 0; i < m.nr; ++i) w[i] = w0[std::size_t(i)] * scale;
}

std::vector<double> NavierStokesSolver::laminar_kolmogorov_vorticity() const {
  Impl const& m = *m_impl;
  KONO_USER_REQUIRE(m.opt.setup == NavierStokesSetup::kolmogorov, invalid_argument,
                    "kono::NavierStokesSolver::laminar_kolmogorov_vorticity: the set-up is " << to_string(m.opt.setup)
                                                                                            << ", not kolmogorov");
  double const kp = m.kfac * double(m.opt.forcing_wavenumber);
  double const denom = m.opt.nu * kp * kp + m.opt.drag;
  KONO_USER_REQUIRE(denom > 0, invalid_argument,
                    "kono::NavierStokesSolver::laminar_kolmogorov_vorticity: nu = drag = 0 has no steady state");
  double const U = m.opt.forcing ? m.opt.forcing_amplitude / denom : 0.0;
  std::vector<double> w(std::size_t(m.nr));
  for (index_t i = 0; i < m.n; ++i) {
    double const v = -U * kp * std::cos(kp * m.opt.domain_length * double(i) / double(m.n));
    std::fill(w.begin() + i * m.n, w.begin() + (i + 1) * m.n, v);
  }
  return w;
}

std::vector<double> NavierStokesSolver::stream_function(std::vector<double> const& w) {
  Impl& m = *m_impl;
  KONO_USER_REQUIRE(index_t(w.size()) == m.nr, size_mismatch,
                    "kono::NavierStokesSolver::stream_function: " << w.size() << " values for a " << m.n << "^2 grid");
  std::vector<double> psi(w.size());
  m.forward(w.data(), m.w_hat);
  auto const* wh = m.C(m.w_hat);
  m.inverse(psi.data(), [&](index_t k) { return m.k2[k] > 0 ? wh[k] / m.k2[k] : Impl::cplx(0); });
  return psi;
}

std::vector<double> NavierStokesSolver::solve(std::vector<double> const& w0, NavierStokesSolveInfo* info,
                                              index_t sample) {
  KONO_USER_REQUIRE(index_t(w0.size()) == m_impl->nr, size_mismatch,
                    "kono::NavierStokesSolver::solve: sample " << sample << ": w0 has " << w0.size()
                                                               << " values for a " << m_impl->n << "^2 grid");
  std::vector<double> traj(m_impl->opt.times.size() * w0.size());
  NavierStokesSolveInfo const i = solve(w0.data(), m_impl->opt.times, traj.data(), sample);
  if (info) *info = i;
  return traj;
}

NavierStokesSolveInfo NavierStokesSolver::solve(double const* w0, std::vector<double> const& times, double* trajectory,
                                                index_t sample) {
  Impl& m = *m_impl;
  char const* fq = "kono::NavierStokesSolver::solve";
  KONO_USER_REQUIRE(w0 && trajectory, invalid_argument, fq << ": sample " << sample << ": w0 or trajectory is null");
  {
    NavierStokesOptions check = m.opt;
    check.times = times;
    try {
      check.validate();
    } catch (Error const& e) {
      KONO_THROW(invalid_argument, fq << ": sample " << sample << ": " << e.what());
    }
  }
  for (index_t i = 0; i < m.nr; ++i)
    KONO_USER_REQUIRE(std::isfinite(w0[i]), invalid_argument,
                      fq << ": sample " << sample << ": w0 = " << w0[i] << " at point " << i << " is not finite");
  auto const t0 = std::chrono::steady_clock::now();
  NavierStokesSolveInfo info;
  info.sample = sample;
  m.rhs_evals = 0;
  m.callback_error = nullptr;

  PetscScalar* wv = nullptr;
  KONO_PETSC_CHECK(VecGetArray(m.w, &wv));
  std::copy(w0, w0 + m.nr, wv);
  KONO_PETSC_CHECK(VecRestoreArray(m.w, &wv));

  TS ts = m.make_ts(times.back());
  struct TsGuard {
    TS& ts;
    ~TsGuard() {
      if (ts) TSDestroy(&ts);
    }
  } guard{ts};

  double t_now = 0;
  bool ok = true;
  std::size_t out = 0;
  std::string failure;
  for (; out < times.size(); ++out) {
    double const target = times[out];
    if (target > t_now) {
      KONO_PETSC_CHECK(TSSetMaxTime(ts, target));
      PetscErrorCode const rc = TSSolve(ts, m.w);
      if (m.callback_error) std::rethrow_exception(m.callback_error);
      PetscReal tr = 0;
      KONO_PETSC_CHECK(TSGetTime(ts, &tr));
      t_now = double(tr);
      if (rc) {
        info.converged_reason = reason_petsc_error;
        info.reason_name = "PETSC_ERROR_" + std::to_string(int(rc));
        failure = "TSSolve returned PETSc error " + std::to_string(int(rc));
        ok = false;
      } else {
        TSConvergedReason reason = TS_CONVERGED_ITERATING;
        KONO_PETSC_CHECK(TSGetConvergedReason(ts, &reason));
        info.converged_reason = int(reason);
        info.reason_name = TSConvergedReasons[reason];
        if (reason < 0 || std::abs(t_now - target) > 1e-10 * std::max(1.0, target)) {
          failure = "TS reason " + info.reason_name;
          ok = false;
        }
      }
    } else if (info.reason_name.empty()) {
      info.reason_name = "CONVERGED_TIME";  // t = 0 is the initial state
      info.converged_reason = int(TS_CONVERGED_TIME);
    }
    PetscScalar const* cur = nullptr;
    KONO_PETSC_CHECK(VecGetArrayRead(m.w, &cur));
    bool finite = true;
    for (index_t i = 0; i < m.nr && finite; ++i) finite = std::isfinite(cur[i]);
    std::copy(cur, cur + m.nr, trajectory + out * std::size_t(m.nr));
    KONO_PETSC_CHECK(VecRestoreArrayRead(m.w, &cur));
    if (ok && !finite) {
      info.converged_reason = reason_nonfinite;
      info.reason_name = "DIVERGED_NONFINITE_VORTICITY";
      failure = "non-finite vorticity";
      ok = false;
    }
    if (!ok) break;
  }
  // The rest of the trajectory repeats the last state, so the file has defined values.
  for (std::size_t rest = out + 1; rest < times.size(); ++rest)
    std::copy(trajectory + out * std::size_t(m.nr), trajectory + (out + 1) * std::size_t(m.nr),
              trajectory + rest * std::size_t(m.nr));

  PetscInt steps = 0, rejects = 0;
  KONO_PETSC_CHECK(TSGetStepNumber(ts, &steps));
  KONO_PETSC_CHECK(TSGetStepRejections(ts, &rejects));
  TSAdapt adapt = nullptr;
  TSAdaptType atype = nullptr;
  KONO_PETSC_CHECK(TSGetAdapt(ts, &adapt));
  KONO_PETSC_CHECK(TSAdaptGetType(adapt, &atype));
  m.adapt_type = atype ? atype : "";
  info.steps = steps;
  info.rejected_steps = rejects;
  info.rhs_evaluations = m.rhs_evals;
  info.final_time = t_now;
  info.converged = ok;
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!ok && m.opt.throw_on_divergence) {
    std::size_t const failed_at = std::min(out, times.size() - 1);
    KONO_THROW(invalid_argument, fq << ": sample " << sample << " failed at t = " << t_now << " before output time "
                                    << times[failed_at] << ": " << failure << " (" << info.converged_reason
                                    << ") after " << info.steps << " steps, " << info.rejected_steps
                                    << " rejected (ts " << m.ts_type << ", adapt " << m.adapt_type << ", rtol "
                                    << m.rtol << ", atol " << m.atol << ", max_steps " << m.opt.max_steps
                                    << ", nu " << m.opt.nu << "; options prefix "
                                    << (m.opt.options_prefix.empty() ? "none" : "-" + m.opt.options_prefix) << ")");
  }
  return info;
}

}  // namespace kono
