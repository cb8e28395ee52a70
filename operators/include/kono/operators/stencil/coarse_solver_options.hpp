#pragma once
/// Options of kono's coarse finite-volume Navier-Stokes solver (CoarseNavierStokes): the
/// Kolmogorov-flow set-up of Kochkov et al. (forcing wavenumber 4, linear drag 0.1, [0, 2 pi)^2).
#include <string>

namespace kono {
namespace stencil {

/// Time integrator; every stage ends with the pressure projection.
enum class TimeStepper {
  euler,  ///< forward Euler, first order (cheap; for tests and unrolled training)
  rk3     ///< Shu-Osher SSP-RK3, third order (the default)
};

/// "euler" / "rk3".
std::string to_string(TimeStepper stepper);
/// Inverse of to_string; throws Error{invalid_argument} naming the option `what` and the choices.
TimeStepper time_stepper_from_string(std::string const& name, std::string const& what = "time_stepper");

/// Physical and numerical set-up. The velocity is periodic on [0, domain_length)^2; the forcing
/// is f_x = A sin(2 pi forcing_wavenumber y / domain_length) (= A sin(k_f y) for L = 2 pi).
struct CoarseSolverOptions {
  double domain_length = 6.283185307179586;  ///< L, side of the periodic square
  double dt = 0.0;                           ///< time step (must be set: > 0)
  double drag = 0.1;                         ///< linear drag coefficient (>= 0)
  int forcing_wavenumber = 4;                ///< k_f of the Kolmogorov forcing (>= 0)
  TimeStepper time_stepper = TimeStepper::rk3;  ///< integrator (projection after every stage)
  int stencil_size = 4;                         ///< S of the interpolation stencils (even, >= 2)

  /// Throws Error{invalid_argument} naming the first bad option and its value.
  void validate() const;
};

}  // namespace stencil
}  // namespace kono
