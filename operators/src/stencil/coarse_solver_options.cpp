// Options of the coarse solver: validation and the stepper names.
#include <kono/core/error.hpp>
#include <kono/operators/stencil/coarse_solver_options.hpp>

#include <cmath>

namespace kono {
namespace stencil {

std::string to_string(TimeStepper stepper) {
  switch (stepper) {
    case TimeStepper::euler:
      return "euler";
    case TimeStepper::rk3:
      return "rk3";
  }
  KONO_THROW(internal, "kono::stencil::to_string: unknown TimeStepper " << static_cast<int>(stepper));
}

TimeStepper time_stepper_from_string(std::string const& name, std::string const& what) {
  if (name == "euler") return TimeStepper::euler;
  if (name == "rk3") return TimeStepper::rk3;
  KONO_THROW(invalid_argument,
             "kono::stencil::CoarseSolverOptions: unknown " << what << " \"" << name << "\"; known: euler, rk3");
}

void CoarseSolverOptions::validate() const {
  char const* const where = "kono::stencil::CoarseSolverOptions: ";
  KONO_USER_REQUIRE(std::isfinite(domain_length) && domain_length > 0, invalid_argument,
                    where << "domain_length must be positive and finite, got " << domain_length);
  KONO_USER_REQUIRE(std::isfinite(dt) && dt > 0, invalid_argument,
                    where << "dt must be positive and finite, got " << dt);
  KONO_USER_REQUIRE(std::isfinite(drag) && drag >= 0, invalid_argument,
                    where << "drag must be >= 0 and finite, got " << drag);
  KONO_USER_REQUIRE(forcing_wavenumber >= 0, invalid_argument,
                    where << "forcing_wavenumber must be >= 0, got " << forcing_wavenumber);
  KONO_USER_REQUIRE(time_stepper == TimeStepper::euler || time_stepper == TimeStepper::rk3, invalid_argument,
                    where << "time_stepper must be euler or rk3, got " << static_cast<int>(time_stepper));
  KONO_USER_REQUIRE(stencil_size >= 2 && stencil_size % 2 == 0, invalid_argument,
                    where << "stencil_size must be even and >= 2, got " << stencil_size);
}

}  // namespace stencil
}  // namespace kono
