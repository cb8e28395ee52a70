#pragma once
/// kono's one exception type and its check macros (user input vs internal invariants).
#include <sstream>
#include <stdexcept>
#include <string>

namespace kono {

/// What went wrong; mirrors PETSc's error classes so the C API can return them as ints.
enum class ErrorCode : int {
  invalid_argument = 1,  ///< a value or option is not allowed
  size_mismatch = 2,     ///< shapes, extents or channel counts disagree
  file_io = 3,           ///< a file cannot be opened, created, read or written
  corrupt_file = 4,      ///< a file opens but its content is not what kono expects
  non_finite = 5,        ///< NaN or Inf in data
  wrong_state = 6,       ///< a call in the wrong order (e.g. before initialisation)
  unsupported = 7,       ///< valid request this build or backend cannot serve
  mpi = 8,               ///< an MPI call failed
  internal = 9           ///< a kono bug: an invariant did not hold
};

/// Stable lower-case name of a code ("file_io"), used in messages and the C API.
char const* to_string(ErrorCode code) noexcept;

/// The exception every kono function throws; what() names the offending file, dataset,
/// option or shape. A throwing call leaves the objects it was given unchanged.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string const& message);
  ErrorCode code() const noexcept { return m_code; }

 private:
  ErrorCode m_code;
};

namespace Impl {
/// Throws Error; internal errors get the source location and a "please report" hint.
[[noreturn]] void throw_error(ErrorCode code, char const* file, int line, std::string const& message);
}  // namespace Impl
}  // namespace kono

// The message argument is streamed, so `"extent " << n << " of " << name` works.
#define KONO_THROW(code, msg)                                                               \
  do {                                                                                      \
    std::ostringstream kono_msg_;                                                           \
    kono_msg_ << msg;                                                                       \
    ::kono::Impl::throw_error(::kono::ErrorCode::code, __FILE__, __LINE__, kono_msg_.str()); \
  } while (false)

/// Anything a user, a file or an option controls: always checked, throws Error{code}.
#define KONO_USER_REQUIRE(cond, code, msg) \
  do {                                     \
    if (!(cond)) KONO_THROW(code, msg);    \
  } while (false)

/// Cheap internal invariant, checked in every build: throws Error{internal}.
#define KONO_REQUIRE(cond, msg)                                              \
  do {                                                                       \
    if (!(cond)) KONO_THROW(internal, "invariant `" #cond "` failed: " << msg); \
  } while (false)

/// Internal invariant on a hot path: checked only in debug builds.
#ifdef NDEBUG
#define KONO_ASSERT(cond, msg) \
  do {                         \
  } while (false)
#else
#define KONO_ASSERT(cond, msg) KONO_REQUIRE(cond, msg)
#endif

/// Impossible state inside a Kokkos kernel: exceptions cannot leave device code, so abort.
#define KONO_KERNEL_REQUIRE(cond, text)                   \
  do {                                                    \
    if (!(cond)) Kokkos::abort("kono: " text " (" #cond ")"); \
  } while (false)
