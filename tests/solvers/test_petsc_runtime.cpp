#include <petscvec.h>

#include <kono/core/runtime.hpp>
#include <kono/solvers/petsc_runtime.hpp>

#include "support/kono_test.hpp"

namespace {

TEST(PetscRuntime, StartsOnKonosCommunicatorOnceAndComputes) {
  auto& rt = kono::Runtime::current();
  kono::ensure_petsc_initialized(rt);
  kono::ensure_petsc_initialized(rt);  // idempotent
  EXPECT_TRUE(PetscInitializeCalled);
  EXPECT_TRUE(kono::kono_started_petsc());
  int cmp = MPI_UNEQUAL;
  MPI_Comm_compare(PETSC_COMM_WORLD, rt.comm(), &cmp);
  EXPECT_EQ(cmp, MPI_IDENT);
  // A distributed PETSc computation on that communicator: sum of 0..n-1.
  Vec v;
  PetscInt const n = 101;
  KONO_PETSC_CHECK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, n, &v));
  PetscInt lo = 0, hi = 0;
  KONO_PETSC_CHECK(VecGetOwnershipRange(v, &lo, &hi));
  for (PetscInt i = lo; i < hi; ++i) KONO_PETSC_CHECK(VecSetValue(v, i, PetscScalar(i), INSERT_VALUES));
  KONO_PETSC_CHECK(VecAssemblyBegin(v));
  KONO_PETSC_CHECK(VecAssemblyEnd(v));
  PetscScalar sum = 0;
  KONO_PETSC_CHECK(VecSum(v, &sum));
  EXPECT_DOUBLE_EQ(PetscRealPart(sum), 0.5 * n * (n - 1));
  KONO_PETSC_CHECK(VecDestroy(&v));
}

TEST(PetscRuntime, PetscErrorsBecomeKonoErrors) {
  kono::ensure_petsc_initialized(kono::Runtime::current());
  KONO_PETSC_CHECK(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  // A required options file that does not exist fails inside PETSc (error 83). On
  // PETSC_COMM_SELF: on a larger communicator rank 0 fails alone and the others would hang.
  EXPECT_KONO_ERROR(KONO_PETSC_CHECK(PetscOptionsInsertFile(PETSC_COMM_SELF, nullptr, "/nonexistent-dir/opts",
                                                            PETSC_TRUE)),
                    internal, "PetscOptionsInsertFile");
  KONO_PETSC_CHECK(PetscPopErrorHandler());
}

}  // namespace
