#pragma once
/// Turns a failed MPI call into kono::Error{mpi} carrying MPI's own error string.
#include <mpi.h>

#include <string>

#include <kono/core/error.hpp>

namespace kono::Impl {
/// Text of an MPI error code (MPI_Error_string).
std::string mpi_error_string(int code);
}  // namespace kono::Impl

/// Wraps an MPI call; communicators must use MPI_ERRORS_RETURN for this to see errors.
#define KONO_MPI_CHECK(call)                                                             \
  do {                                                                                   \
    int const kono_mpi_rc_ = (call);                                                     \
    if (kono_mpi_rc_ != MPI_SUCCESS)                                                     \
      KONO_THROW(mpi, #call << " failed: " << ::kono::Impl::mpi_error_string(kono_mpi_rc_)); \
  } while (false)
