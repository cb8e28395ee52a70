#include <kono/core/error.hpp>
#include <kono/core/runtime.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace kono {
namespace {
bool g_started_petsc = false;
}

void ensure_petsc_initialized(Runtime& runtime, int* argc, char*** argv) {
  KONO_USER_REQUIRE(!PetscFinalizeCalled, wrong_state,
                    "kono::ensure_petsc_initialized: PETSc was already finalized and cannot restart");
  if (PetscInitializeCalled) return;  // the host (or an earlier call) owns PETSc
  // PETSc shares kono's communicator: PETSC_COMM_WORLD must be set before PetscInitialize.
  PETSC_COMM_WORLD = runtime.comm();
  PetscErrorCode const rc = PetscInitialize(argc, argv, nullptr, nullptr);
  KONO_USER_REQUIRE(rc == 0, internal, "kono::ensure_petsc_initialized: PetscInitialize returned " << rc);
  g_started_petsc = true;
  runtime.at_finalize("PetscFinalize", [] {
    if (PetscInitializeCalled && !PetscFinalizeCalled) PetscFinalize();
    g_started_petsc = false;
  });
}

bool kono_started_petsc() noexcept { return g_started_petsc; }
}  // namespace kono
