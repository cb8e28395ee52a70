// Test main for MPI tests: MPI -> Kokkos -> GoogleTest. Rank 0 prints everything, other ranks
// only failures; the pass/fail flag is reduced so every rank exits alike.
#include <gtest/gtest.h>
#include <mpi.h>

#ifdef __GLIBC__
#include <fenv.h>
#endif

#include <kono/core/runtime.hpp>

namespace {
// Prefixes failures on ranks > 0 so interleaved output stays readable.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : m_rank(rank) {}
  void OnTestPartResult(::testing::TestPartResult const& r) override {
    if (r.failed())
      fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", m_rank, r.file_name() ? r.file_name() : "?",
              r.line_number(), r.summary());
  }

 private:
  int m_rank;
};
}  // namespace

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
#ifdef __GLIBC__
  feenableexcept(FE_INVALID);
#endif
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }
  int const local = RUN_ALL_TESTS();
  int global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return global;
}
