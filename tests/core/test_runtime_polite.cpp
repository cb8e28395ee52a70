// A host code that owns MPI and Kokkos: kono::Runtime must neither re-initialize nor finalize
// them, and must run its own finalizers before returning control.
#include <gtest/gtest.h>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/runtime.hpp>

namespace {
int g_argc = 0;
char** g_argv = nullptr;

TEST(RuntimePolite, LeavesHostOwnedMpiAndKokkosAlone) {
  bool hook_ran = false;
  {
    kono::Runtime rt(g_argc, g_argv);
    EXPECT_FALSE(rt.started_mpi());
    EXPECT_FALSE(rt.started_kokkos());
    rt.at_finalize("test hook", [&] { hook_ran = Kokkos::is_initialized(); });
  }
  EXPECT_TRUE(hook_ran) << "finalizers must run while Kokkos is still up";
  EXPECT_TRUE(Kokkos::is_initialized());
  int finalized = 1;
  MPI_Finalized(&finalized);
  EXPECT_FALSE(finalized);
  EXPECT_FALSE(kono::Runtime::exists());
  // A second runtime after the first is gone is fine.
  kono::Runtime again(g_argc, g_argv);
  EXPECT_TRUE(kono::Runtime::exists());
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  g_argc = argc;
  g_argv = argv;
  int const rc = RUN_ALL_TESTS();
  Kokkos::finalize();
  MPI_Finalize();
  return rc;
}
