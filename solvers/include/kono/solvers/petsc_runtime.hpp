#pragma once
/// PETSc start-up tied to kono::Runtime: PETSc starts after MPI and Kokkos and ends first.
#include <petscsys.h>

#include <kono/core/error.hpp>

namespace kono {
class Runtime;

/// Initialises PETSc on runtime.comm() unless the host already did (PetscInitializeCalled),
/// and registers PetscFinalize with the runtime only when kono started PETSc. Idempotent.
/// Collective on runtime.comm(); throws Error{wrong_state} if PETSc was already finalized.
void ensure_petsc_initialized(Runtime& runtime, int* argc = nullptr, char*** argv = nullptr);

/// True when kono (not the host code) started PETSc and will finalize it.
bool kono_started_petsc() noexcept;
}  // namespace kono

/// Turns a non-zero PetscErrorCode into kono::Error{internal} naming the call.
#define KONO_PETSC_CHECK(call)                                                        \
  do {                                                                                \
    PetscErrorCode const kono_petsc_rc_ = (call);                                     \
    if (kono_petsc_rc_) KONO_THROW(internal, #call << " returned PETSc error " << kono_petsc_rc_); \
  } while (false)
