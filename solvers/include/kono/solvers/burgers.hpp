#pragma once
/// Viscous Burgers reference solver: u_t + (u^2/2)_x = nu u_xx + f(x, t) on the periodic unit
/// interval, Fourier pseudo-spectral in space (FFTW, 2/3-rule dealiasing), PETSc TS in time
/// (adaptive IMEX Runge-Kutta, TSARKIMEX 4 by default: viscosity implicit, advection explicit).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/meshes/structured_grid.hpp>

namespace kono {

/// Smallest number of grid points the Burgers solver accepts (the 2/3 rule keeps |k| <= 2).
inline constexpr index_t burgers_min_resolution = 8;

/// Forcing f(x, t) added to the right-hand side (manufactured solutions); empty: f = 0.
using BurgersForcing = std::function<double(double x, double t)>;

/// Discretisation and time-stepping parameters. Plain value type. PETSc options with
/// `options_prefix` ("-burgers_ts_type", "-burgers_ts_arkimex_type", "-burgers_ts_rtol",
/// "-burgers_ts_adapt_type", "-burgers_ts_max_steps", ...) override the fields below (TSSetFromOptions).
struct BurgersSolverOptions {
  index_t resolution = 1024;  ///< N points x_j = j/N, even, >= burgers_min_resolution
  double nu = 0.1;            ///< viscosity, finite and >= 0
  /// Default output times for solve() without times: 0, 0.1, ..., 1 (FNO maps u0 to u(1)).
  std::vector<double> output_times{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  std::string ts_type = "arkimex";  ///< TSType; arkimex splits the terms, any other type integrates them together
  std::string arkimex_type = "4";   ///< TSARKIMEXType (ARK4(3)6L[2]SA: order 4, embedded order 3, L-stable)
  bool adaptive = true;             ///< TSADAPTBASIC error control; false: fixed steps of initial_dt (TSADAPTNONE)
  double rtol = 1e-8;               ///< TS relative local error tolerance
  double atol = 1e-8;               ///< TS absolute local error tolerance
  double initial_dt = 1e-3;         ///< first step (every step when !adaptive)
  int max_steps = 1000000;          ///< TS step cap over the whole trajectory
  int max_rejections = 10;          ///< TS gives up (DIVERGED_STEP_REJECTED) after this many rejections in a row
  std::string options_prefix = "burgers_";  ///< PETSc options prefix, without the leading '-'
  bool throw_on_divergence = true;  ///< false: solve() returns the info of a failed solve instead of throwing

  /// Throws Error{invalid_argument} naming the field: negative or non-finite nu, resolution odd
  /// or below burgers_min_resolution, output times empty, negative, non-finite or not increasing,
  /// tolerances not finite and > 0, initial_dt <= 0, max_steps < 1, max_rejections < 0, empty ts_type.
  void validate() const;
};

/// Outcome of one trajectory.
struct BurgersSolveInfo {
  index_t sample = 0;        ///< sample index the caller gave (for messages and provenance)
  int steps = 0;             ///< accepted time steps (TSGetStepNumber)
  int rejected_steps = 0;    ///< TSGetStepRejections
  int converged_reason = 0;  ///< TSConvergedReason as an int (> 0 stopped normally, < 0 diverged)
  std::string reason_name;   ///< TSConvergedReasons[] text, e.g. "CONVERGED_TIME", "DIVERGED_STEP_REJECTED"
  double final_time = 0;     ///< time the integration reached
  bool reached_end = false;  ///< final_time is the last output time
  /// The trajectory is complete: PETSc reason > 0 and the last output time reached (a TS stopped
  /// by max_steps reports CONVERGED_ITS but is incomplete).
  bool converged() const noexcept { return converged_reason > 0 && reached_end; }
};

/// The semi-discrete problem on N points x_j = j/N, u_hat_k its discrete Fourier coefficients,
/// k in (-N/2, N/2], K = floor((N - 1)/3) (2/3 rule: products of modes |k| <= K do not alias):
///   d/dt u_hat_k = -nu (2 pi k)^2 u_hat_k - [|k| <= K] (i 2 pi k / 2) FFT[(P_K u)^2]_k + f_hat_k,
/// P_K keeping |k| <= K. The advection term conserves sum_j u_j^2; viscosity dissipates it.
/// Built once per options, reused for many samples; each solve() starts a fresh TS, so a
/// trajectory does not depend on earlier ones. Solves on PETSC_COMM_SELF (sample-parallel data
/// generation: 1D trajectories are small). PETSc must be initialised. Not thread safe.
class BurgersSolver {
 public:
  /// Throws Error{invalid_argument} (options), Error{wrong_state} (PETSc not initialised),
  /// Error{internal} (PETSc or FFTW failure).
  explicit BurgersSolver(BurgersSolverOptions const& options);
  ~BurgersSolver();
  BurgersSolver(BurgersSolver const&) = delete;
  BurgersSolver& operator=(BurgersSolver const&) = delete;

  BurgersSolverOptions const& options() const noexcept;
  index_t resolution() const noexcept;
  /// The periodic grid x_j = j/N.
  StructuredGrid grid() const;

  /// Integrates from u0 (N values) at t = 0 and writes u at each of `times` (increasing, >= 0)
  /// to `trajectory` (times.size() * N values, time-major). `forcing`, if set, is added to the
  /// right-hand side. On a failed solve the entries after the failure hold the last state reached.
  /// Throws Error{invalid_argument} for bad times or non-finite u0 (naming `sample`), and, when
  /// options().throw_on_divergence, for a failed solve (naming `sample`, the TS reason and time).
  BurgersSolveInfo solve(double const* u0, std::vector<double> const& times, double* trajectory, index_t sample = 0,
                         BurgersForcing const& forcing = {});
  /// As above at options().output_times, returning [T, N] values.
  std::vector<double> solve(std::vector<double> const& u0, BurgersSolveInfo* info = nullptr, index_t sample = 0);

  /// Settings in effect after the PETSc options were applied.
  std::string ts_type() const;
  std::string arkimex_type() const;  ///< "" unless ts_type() is arkimex
  std::string adapt_type() const;
  double rtol() const;
  double atol() const;
  int max_steps() const;

  /// sum_j u_j^2 / N, the discrete energy (twice the kinetic energy) of N values.
  static double energy(double const* u, index_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kono
