// Test main for serial unit tests: MPI and Kokkos through kono::Runtime (so the polite
// start-up path is exercised by every test binary), NaN trap, then GoogleTest.
#include <gtest/gtest.h>

#ifdef __GLIBC__
#include <fenv.h>
#endif

#include <kono/core/runtime.hpp>

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
#ifdef __GLIBC__
  // A NaN should fail the test where it is produced, not three layers later.
  feenableexcept(FE_INVALID);
#endif
  return RUN_ALL_TESTS();
}
