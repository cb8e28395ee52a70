#pragma once
/// 2D incompressible Navier-Stokes in vorticity form on the periodic unit square (the FNO
/// benchmark): w_t + u.grad w = nu Lap w + f, u = (psi_x1, -psi_x0), -Lap psi = w.
/// Pseudo-spectral in space (FFTW, 2/3 dealiasing of the advection term), PETSc TS in time.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/meshes/structured_grid.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {

/// Smallest number of points per axis the Navier-Stokes solver accepts: the 2/3 rule then
/// keeps wave numbers |m| <= 2 per axis.
inline constexpr index_t navier_stokes_min_resolution = 8;

/// Discretisation and time-integration parameters. Plain value type. PETSc options with
/// `options_prefix` (default "-ns_ts_type", "-ns_ts_rtol", "-ns_ts_adapt_type", ...) override
/// the fields below (TSSetFromOptions runs after they are applied).
struct NavierStokesOptions {
  index_t resolution = 64;          ///< n points per axis at x_j = j/n (periodic), n >= navier_stokes_min_resolution
  double nu = 1e-3;                 ///< kinematic viscosity, finite and >= 0
  std::vector<double> times{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  ///< output times, increasing, >= 0
  bool forcing = true;              ///< add f = 0.1 (sin 2pi(x0+x1) + cos 2pi(x0+x1))
  std::string ts_type = "arkimex";  ///< arkimex: viscous term implicit (exact FFT solve); explicit types get the full RHS
  std::string arkimex_type = "4";   ///< TSARKIMEXSetType default (fewest right-hand sides at 64^2 of 3, 4, 5; see docs)
  double rtol = 1e-6;               ///< TSSetTolerances relative tolerance of the adaptive step control
  double atol = 1e-6;               ///< TSSetTolerances absolute tolerance
  double initial_dt = 1e-3;         ///< first step (and every step with -<prefix>ts_adapt_type none)
  long long max_steps = 10000000;   ///< TS step cap over one trajectory; reaching it before the last time is a failure
  std::string options_prefix = "ns_";  ///< PETSc options prefix, without the leading '-'
  bool throw_on_divergence = true;  ///< false: solve() returns the info of a failed trajectory instead of throwing

  /// Throws Error{invalid_argument} naming the field: resolution below the minimum, nu negative
  /// or not finite, times empty / not increasing / negative / not finite, tolerances not > 0,
  /// initial_dt not > 0, max_steps < 1, empty ts_type or arkimex_type.
  void validate() const;
};

/// Outcome of one trajectory.
struct NavierStokesSolveInfo {
  index_t sample = 0;          ///< sample index the caller gave (for messages and provenance)
  long long steps = 0;         ///< accepted time steps (TSGetStepNumber)
  long long rejected_steps = 0;  ///< TSGetStepRejections
  long long rhs_evaluations = 0;  ///< evaluations of the explicit (or full) right-hand side
  double final_time = 0;       ///< time reached
  int converged_reason = 0;    ///< TSConvergedReason of the last TSSolve; -100 for non-finite vorticity
  std::string reason_name;     ///< e.g. "CONVERGED_TIME", "DIVERGED_STEP_REJECTED", "CONVERGED_ITS"
  bool converged = false;      ///< every output time reached with finite vorticity
  double seconds = 0;          ///< wall time of the trajectory
};

/// Extra source term for manufactured solutions: fills g[i0 * n + i1] at time t (added to the
/// right-hand side and treated explicitly).
using NavierStokesForcing = std::function<void(double t, double* g)>;

/// Solves whole trajectories on one rank (PETSC_COMM_SELF): sample-parallel generation gives each
/// rank its own solver. Built once per resolution (FFTW plans made once with FFTW_ESTIMATE, so the
/// same input gives the same bits on every rank); each solve() makes a fresh TS, so a trajectory
/// does not depend on the ones solved before. The state is the vorticity at the grid points.
/// PETSc must be initialised (kono::ensure_petsc_initialized). Not thread safe.
class NavierStokesSolver {
 public:
  /// Throws Error{invalid_argument} (options), Error{wrong_state} (PETSc not initialised).
  explicit NavierStokesSolver(NavierStokesOptions const& options);
  ~NavierStokesSolver();
  NavierStokesSolver(NavierStokesSolver const&) = delete;
  NavierStokesSolver& operator=(NavierStokesSolver const&) = delete;

  NavierStokesOptions const& options() const noexcept;
  /// The n^2 periodic grid x_j = j/n; axis 0 is x0 (slowest in memory), axis 1 is x1.
  StructuredGrid grid() const;
  index_t size() const noexcept;  ///< n * n

  /// Adds `g` to the right-hand side of later solves (empty function: none).
  void set_extra_forcing(NavierStokesForcing g);

  /// Integrates from w0 (n*n values, C order) at t = 0 and writes the vorticity at each of
  /// `times` (increasing, >= 0) to trajectory[i * n * n ...], i = 0..times.size()-1. Steps hit the
  /// output times exactly (TS_EXACTFINALTIME_MATCHSTEP). Throws Error{invalid_argument} for bad
  /// w0 or times, and, when options().throw_on_divergence, for a failed trajectory (naming
  /// `sample`, the time reached and the TS converged reason). After a failure the remaining
  /// output slots hold the last state.
  NavierStokesSolveInfo solve(double const* w0, std::vector<double> const& times, double* trajectory,
                              index_t sample = 0);
  /// As above at options().times; returns [T, n, n] in C order.
  std::vector<double> solve(std::vector<double> const& w0, NavierStokesSolveInfo* info = nullptr, index_t sample = 0);

  /// The forcing f at the grid points (zeros when options().forcing is false).
  std::vector<double> forcing_field() const;
  /// Stream function psi (-Lap psi = w, zero mean) of a vorticity field, spectrally.
  std::vector<double> stream_function(std::vector<double> const& w);

  /// TS type and tolerances in effect (after the PETSc options were applied), from the last
  /// solve (before the first solve: the options' values).
  std::string ts_type() const;
  double rtol() const;
  double atol() const;
  std::string adapt_type() const;  ///< TSAdaptType of the last solve ("basic", "none", ...)
  bool imex() const;               ///< the last solve split the viscous term off as implicit

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The initial-vorticity field of the FNO benchmark: periodic Gaussian random field with
/// covariance 7^3 (-Lap + 49 I)^(-2.5) (alpha 2.5, tau 7, sigma 7^1.5), zero mean.
GaussianRandomFieldOptions navier_stokes_initial_condition_options(index_t resolution);

}  // namespace kono
