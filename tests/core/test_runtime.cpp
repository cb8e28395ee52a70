#include <kono/core/config.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/runtime.hpp>

#include "support/kono_test.hpp"

namespace {

TEST(Runtime, IsAliveWithKokkosAndMpiAndADuplicatedComm) {
  ASSERT_TRUE(kono::Runtime::exists());
  auto& rt = kono::Runtime::current();
  EXPECT_TRUE(Kokkos::is_initialized());
  int result = MPI_UNEQUAL;
  MPI_Comm_compare(rt.comm(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);  // a duplicate: kono's messages never match the host's
  EXPECT_TRUE(rt.started_kokkos());
}

TEST(Runtime, SecondRuntimeIsRefused) {
  int argc = 0;
  char** argv = nullptr;
  EXPECT_KONO_ERROR(kono::Runtime second(argc, argv), wrong_state, "already alive");
}

TEST(Runtime, VersionMacros) {
  EXPECT_TRUE(KONO_VERSION_GE(0, 0, 0));
  EXPECT_FALSE(KONO_VERSION_GE(KONO_VERSION_MAJOR + 1, 0, 0));
  EXPECT_TRUE(KONO_KOKKOS_VERSION_GTE(3, 4, 0));
}

}  // namespace
