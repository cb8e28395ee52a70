// A host code that owns MPI and PETSc: kono must not re-initialize or finalize PETSc.
#include <gtest/gtest.h>

#include <kono/core/runtime.hpp>
#include <kono/solvers/petsc_runtime.hpp>

namespace {
int g_argc = 0;
char** g_argv = nullptr;

TEST(PetscRuntimeHostOwned, LeavesHostPetscAlone) {
  {
    kono::Runtime rt(g_argc, g_argv);
    kono::ensure_petsc_initialized(rt);
    EXPECT_FALSE(kono::kono_started_petsc());
    EXPECT_TRUE(rt.started_kokkos());  // the host did not start Kokkos, so kono does
  }
  EXPECT_TRUE(PetscInitializeCalled);
  EXPECT_FALSE(PetscFinalizeCalled);
}
}  // namespace

int main(int argc, char** argv) {
  PetscInitialize(&argc, &argv, nullptr, nullptr);
  ::testing::InitGoogleTest(&argc, argv);
  g_argc = argc;
  g_argv = argv;
  int const rc = RUN_ALL_TESTS();
  PetscFinalize();
  return rc;
}
