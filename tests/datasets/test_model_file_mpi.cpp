// Model files on 1 and 2 ranks: rank 0's contents are what gets written, a collective write
// reads back identically on MPI_COMM_SELF, and errors reach every rank. EXPECT_* only (no
// ASSERT_*): a rank leaving a test early would leave the others waiting in a collective.
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/model_file.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "datasets/model_file_fixture.hpp"
#include "support/kono_test.hpp"

namespace {

using kono::ModelFileContents;
using kono::read_model_file;
using kono::write_model_file;

MPI_Comm const world = MPI_COMM_WORLD;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(world, &r);
  return r;
}

std::vector<char> file_bytes(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What a rank other than 0 might hold: a later timestamp, different values, even a NaN. None of
// it may reach the file.
ModelFileContents other_rank_view(ModelFileContents c) {
  c.provenance.emplace_back("rank", std::to_string(world_rank()));
  for (auto& p : c.parameters)
    for (auto& v : p.values) v = std::numeric_limits<double>::quiet_NaN();
  c.normalizers.clear();
  c.checkpoint.reset();
  return c;
}

TEST(ModelFileMpi, CollectiveWriteReadsBackOnSelfAndWorld) {
  kono::test::TempDir dir("model_mpi", world);
  for (std::string const scalar_type : {"float32", "float64"}) {
    std::string const path = dir.file("model_" + scalar_type + ".h5");
    ModelFileContents const want = kono::test::sample_contents(scalar_type, true);
    ModelFileContents const mine = world_rank() == 0 ? want : other_rank_view(want);
    write_model_file(path, mine, world);
    EXPECT_TRUE(kono::is_checkpoint_file(path, world));
    kono::test::expect_contents_equal(read_model_file(path, world), want);
    // Each rank alone, concurrently: the same file, the same contents.
    kono::test::expect_contents_equal(read_model_file(path, MPI_COMM_SELF), want);
    MPI_Barrier(world);
  }
}

TEST(ModelFileMpi, ErrorsAreThrownOnEveryRank) {
  kono::test::TempDir dir("model_mpi_err", world);
  std::string const path = dir.file("model.h5");
  ModelFileContents const good = kono::test::sample_contents("float64", false);
  write_model_file(path, good, world);
  std::vector<char> const before = file_bytes(path);

  // Rank 0's NaN fails the write everywhere, although the other ranks pass clean contents.
  ModelFileContents bad = good;
  if (world_rank() == 0) bad.parameters.front().values.back() = std::numeric_limits<double>::quiet_NaN();
  EXPECT_KONO_ERROR(write_model_file(path, bad, world), non_finite, "parameter \"10.proj.weight\"");
  MPI_Barrier(world);
  EXPECT_EQ(file_bytes(path), before);

  // Rank 0's NaN statistics: refused before anything is broadcast or created.
  bad = good;
  if (world_rank() == 0) bad.normalizers.emplace_back("nan_stats", kono::test::nan_fitted_normalizer());
  EXPECT_KONO_ERROR(write_model_file(path, bad, world), non_finite, "normalizer \"nan_stats\"");
  MPI_Barrier(world);
  EXPECT_EQ(file_bytes(path), before);

  // A file that is not a model: every rank learns it, nobody hangs in the collective close.
  std::string const darcy = kono::test::shared_data("darcy_16.h5");
  EXPECT_KONO_ERROR((void)read_model_file(darcy, world), corrupt_file, "is not a kono model file");
  std::string const missing = dir.file("missing.h5");
  EXPECT_KONO_ERROR((void)read_model_file(missing, world), file_io, missing);
  kono::test::expect_contents_equal(read_model_file(path, world), good);
}

}  // namespace
