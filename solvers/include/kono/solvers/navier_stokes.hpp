#pragma once
/// 2D incompressible Navier-Stokes in vorticity form on a periodic square [0, L)^2:
/// w_t + u.grad w = nu Lap w - drag w + f, -Lap psi = w. Two set-ups: the FNO benchmark (unit
/// square, axes x0, x1, u = (psi_x1, -psi_x0)) and Kolmogorov flow (Kochkov et al. 2021: [0, 2pi)^2,
/// axis 0 = y, axis 1 = x, u = psi_y, v = -psi_x, f = curl (A sin(k y), 0), drag 0.1).
/// Pseudo-spectral in space (FFTW, 2/3 dealiasing of the advection term), PETSc TS in time.
#include <cstdint>
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

/// Which published problem the solver sets up; it fixes the axis convention and the forcing.
enum class NavierStokesSetup {
  /// FNO benchmark (Li et al. 2021): axis 0 is x0, axis 1 is x1, velocity (along x0, along x1) =
  /// (psi_x1, -psi_x0); f = 0.1 (sin 2pi(x0+x1) + cos 2pi(x0+x1)) with x in [0, 1) units.
  fno,
  /// Kolmogorov flow (Kochkov et al. 2021, jax-cfd ForcedNavierStokes2D): axis 0 is y, axis 1 is x;
  /// u (along x) = psi_y, v (along y) = -psi_x, w = v_x - u_y; velocity forcing (A sin(k' y), 0)
  /// with k' = 2 pi k / L, i.e. f = curl = -A k' cos(k' y) in vorticity form.
  kolmogorov
};
/// "fno" or "kolmogorov".
char const* to_string(NavierStokesSetup setup) noexcept;

/// Discretisation and time-integration parameters. Plain value type. PETSc options with
/// `options_prefix` (default "-ns_ts_type", "-ns_ts_rtol", "-ns_ts_adapt_type", ...) override
/// the fields below (TSSetFromOptions runs after they are applied).
struct NavierStokesOptions {
  index_t resolution = 64;          ///< n points per axis at x_j = j L/n (periodic), n >= navier_stokes_min_resolution
  double nu = 1e-3;                 ///< kinematic viscosity, finite and >= 0
  std::vector<double> times{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  ///< output times, increasing, >= 0
  bool forcing = true;              ///< add the set-up's forcing (false: none, whatever the set-up)
  NavierStokesSetup setup = NavierStokesSetup::fno;  ///< axis convention and forcing formula
  double domain_length = 1.0;       ///< L: the domain is [0, L)^2 (FNO: 1; Kolmogorov: 2 pi)
  double drag = 0.0;                ///< linear drag coefficient: -drag w in the vorticity equation (Kolmogorov: 0.1)
  double forcing_amplitude = 1.0;   ///< Kolmogorov: A in (A sin(k' y), 0)
  int forcing_wavenumber = 4;       ///< Kolmogorov: k, periods of the forcing per domain length (k' = 2 pi k / L)
  std::string ts_type = "arkimex";  ///< arkimex: viscous term implicit (exact FFT solve); explicit types get the full RHS
  std::string arkimex_type = "4";   ///< TSARKIMEXSetType default (fewest right-hand sides at 64^2 of 3, 4, 5; see docs)
  std::string rk_type = "5dp";      ///< TSRKSetType default when ts_type is "rk" (kono generate's Kolmogorov default)
  double rtol = 1e-6;               ///< TSSetTolerances relative tolerance of the adaptive step control
  double atol = 1e-6;               ///< TSSetTolerances absolute tolerance
  double initial_dt = 1e-3;         ///< first step (and every step with -<prefix>ts_adapt_type none)
  long long max_steps = 10000000;   ///< TS step cap over one trajectory; reaching it before the last time is a failure
  std::string options_prefix = "ns_";  ///< PETSc options prefix, without the leading '-'
  bool throw_on_divergence = true;  ///< false: solve() returns the info of a failed trajectory instead of throwing

  /// Throws Error{invalid_argument} naming the field: resolution below the minimum, nu negative
  /// or not finite, times empty / not increasing / negative / not finite, tolerances not > 0,
  /// initial_dt not > 0, max_steps < 1, empty ts_type, arkimex_type or rk_type, domain_length not > 0,
  /// drag negative or not finite, forcing_amplitude not finite, forcing_wavenumber outside
  /// 1 .. n/2 - 1 (Kolmogorov).
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
  /// The n^2 periodic grid x_j = j L/n; axis 0 is x0 (Kolmogorov: y; slowest in memory), axis 1 is x1 (x).
  StructuredGrid grid() const;
  index_t size() const noexcept;  ///< n * n

  /// Adds `g` to the right-hand side of later solves (empty function: none).
  void set_extra_forcing(NavierStokesForcing g);
  /// Changes the viscosity and the Kolmogorov forcing amplitude for later solves (per-sample
  /// parameters). Throws Error{invalid_argument} for a negative or non-finite nu, a non-finite A.
  void set_parameters(double nu, double forcing_amplitude);

  /// Velocity of a vorticity field (n*n values), spectrally: [2, n, n] in C order, channel 0 the
  /// component along axis 1, channel 1 the one along axis 0 (Kolmogorov: u along x, v along y).
  std::vector<double> velocity(std::vector<double> const& w);

  /// Random initial vorticity in the manner of jax-cfd's filtered_velocity_field: a divergence-free
  /// Gaussian velocity whose spectral amplitude is a log-normal in |k| (physical wave number 2 pi |m|/L)
  /// peaked at `peak_wavenumber` (variance 0.25 in log k), scaled so that max |u| over the points is
  /// `max_velocity`. The random coefficients are kono's counter-based mode_normal() of (seed, sample),
  /// so the field does not depend on the rank. Writes n*n values to `w`.
  void random_initial_vorticity(std::uint64_t seed, index_t sample, double peak_wavenumber, double max_velocity,
                                double* w);

  /// Steady laminar Kolmogorov solution (u = U sin(k' y), U = A / (nu k'^2 + drag)):
  /// w = -U k' cos(k' y) at the points. Throws Error{invalid_argument} unless setup is kolmogorov.
  std::vector<double> laminar_kolmogorov_vorticity() const;

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
  std::string ts_subtype() const;  ///< ARKIMEX or RK type of the last solve ("4", "5dp"); "" for other types
  bool imex() const;               ///< the last solve split the viscous term off as implicit

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The initial-vorticity field of the FNO benchmark: periodic Gaussian random field with
/// covariance 7^3 (-Lap + 49 I)^(-2.5) (alpha 2.5, tau 7, sigma 7^1.5), zero mean.
GaussianRandomFieldOptions navier_stokes_initial_condition_options(index_t resolution);

}  // namespace kono
