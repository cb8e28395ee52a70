// kono::Runtime chooses OpenBLAS' thread count when the user set none (core/src/runtime.cpp):
// one per rank with a Serial host space, else an unbound rank's share of the node's cores.
// Run on 1 and 2 ranks, bound (Open MPI's default) and unbound.
#include <cblas.h>
#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <type_traits>

#include <kono/core/kokkos_compat.hpp>
#include <kono/core/runtime.hpp>

#include "support/kono_test.hpp"

namespace {
constexpr bool serial_host() {
#if defined(KOKKOS_ENABLE_SERIAL)
  return std::is_same_v<Kokkos::DefaultHostExecutionSpace, Kokkos::Serial>;
#else
  return false;
#endif
}

TEST(Runtime, SharesBlasThreadsAmongTheRanksOfANode) {
  // Referencing a CBLAS function keeps the BLAS loaded, as kono_operators does in real programs.
  float one = 1.f;
  ASSERT_EQ(cblas_sdot(1, &one, 1, &one, 1), 1.f);
  using get_fn = int (*)();
  auto const get = reinterpret_cast<get_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (!get) GTEST_SKIP() << "the CBLAS kono links is not OpenBLAS: kono leaves its threads alone";
  MPI_Comm node = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Comm_split_type(kono::Runtime::current().comm(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            MPI_SUCCESS);
  int local = 0;
  MPI_Comm_size(node, &local);
  MPI_Comm_free(&node);
  int const cores = int(std::thread::hardware_concurrency());
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  int const available = CPU_COUNT(&mask);
  char const* env = std::getenv("OPENBLAS_NUM_THREADS");
  if (env || std::getenv("OMP_NUM_THREADS") || std::getenv("GOTO_NUM_THREADS")) {
    if (env) {
      // OpenBLAS itself caps the variable at the cores in the affinity mask.
      EXPECT_EQ(get(), std::min(std::atoi(env), available)) << "kono must not override OPENBLAS_NUM_THREADS";
    }
  } else if (kono::Runtime::current().started_mpi() && serial_host()) {
    EXPECT_EQ(get(), 1) << "kono's kernels run one thread per rank (Serial): one BLAS thread per rank";
  } else if (available < cores) {
    EXPECT_EQ(get(), available) << "a bound rank keeps OpenBLAS's own count (its affinity mask)";
  } else if (local > 1) {
    EXPECT_EQ(get(), cores > local ? cores / local : 1) << local << " ranks on a node with " << cores << " cores";
  } else {
    EXPECT_EQ(get(), cores) << "a single rank keeps OpenBLAS's default: every core";
  }
}

}  // namespace
