// Collective HDF5 I/O and normalisation at 1 and 2 ranks, each checked within the run against
// the same computation on MPI_COMM_SELF. EXPECT_* only before collectives: a failing rank must
// not leave the others waiting.
#include <kono/datasets.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "support/kono_test.hpp"

namespace {

using kono::Hdf5SampleStore;
using kono::Hdf5Writer;
using kono::index_t;
using kono::Normalizer;
using kono::NormalizerKind;
using kono::SampleLayout;
using kono::Shape;
using Space = kono::DefaultMemorySpace;

MPI_Comm const world = MPI_COMM_WORLD;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(world, &r);
  return r;
}

std::string const darcy = kono::test::shared_data("darcy_16.h5");
std::string const burgers = kono::test::shared_data("burgers_16.h5");

double value_at(index_t flat) { return std::sin(0.37 * static_cast<double>(flat)) * 10.0 + 0.001 * flat; }

template <class Scalar>
void expect_equal(kono::Tensor<Space, Scalar> const& a, kono::Tensor<Space, Scalar> const& b, char const* what) {
  EXPECT_EQ(a.shape(), b.shape()) << what;
  if (a.shape() != b.shape()) return;
  auto const ha = a.to_host();
  auto const hb = b.to_host();
  index_t mismatches = 0;
  for (index_t i = 0; i < ha.size(); ++i)
    if (!(ha.data()(i) == hb.data()(i)) && mismatches++ < 5)
      ADD_FAILURE() << what << ": flat index " << i << ": " << ha.data()(i) << " != " << hb.data()(i);
}

TEST(DatasetsMpi, ReadShardGivesEachRankItsSlice) {
  struct Case {
    std::string file, dataset;
    SampleLayout layout;
  };
  std::vector<Case> const cases = {{darcy, "/train/x", {}},
                                   {darcy, "/test/y", {}},
                                   {burgers, "/train/y", SampleLayout{true}},
                                   {burgers, "/test/x", {}}};
  for (auto const& c : cases) {
    SCOPED_TRACE(c.file + ":" + c.dataset);
    kono::Tensor<Space, double> shard;
    kono::SampleShard expected_range;
    {
      Hdf5SampleStore const store(c.file, world);
      shard = store.read_shard<Space, double>(c.dataset, c.layout);
      expected_range = kono::shard_samples(store.num_samples(c.dataset), world);
    }  // closed before the MPI_COMM_SELF open of the same file
    Hdf5SampleStore const self(c.file, MPI_COMM_SELF);
    EXPECT_EQ(shard.extent(0), expected_range.count);
    auto const reference = self.read<Space, double>(c.dataset, expected_range.first, expected_range.count, c.layout);
    expect_equal(shard, reference, c.dataset.c_str());
  }
}

TEST(DatasetsMpi, CollectiveWriteThenReadBackOnSelf) {
  kono::test::TempDir dir("mpi_write", world);
  std::string const path = dir.file("written.h5");
  Shape const global_f{7, 2, 5, 3};  // 7 samples: 4 + 3 at np 2
  Shape const global_d{7, 11};
  Shape const global_tiny{1, 3};     // fewer samples than ranks: rank 1 writes nothing
  auto local_part = [](Shape const& global, kono::SampleShard s, auto scalar_tag) {
    using Scalar = decltype(scalar_tag);
    index_t const per = global.size() / global[0];
    kono::Tensor<kono::HostSpace, Scalar> h("kono::test::local", global.with_extent(0, s.count));
    for (index_t i = 0; i < h.size(); ++i) h.data()(i) = static_cast<Scalar>(value_at(s.first * per + i));
    return h.template clone_to<Space>("kono::test::local");
  };
  auto const sf = kono::shard_samples(global_f[0], world);
  auto const sd = kono::shard_samples(global_d[0], world);
  auto const st = kono::shard_samples(global_tiny[0], world);
  {
    Hdf5Writer w(path, world);
    w.write_samples("/fields/f", global_f, local_part(global_f, sf, float{}), sf.first);
    w.write_samples("/fields/d", global_d, local_part(global_d, sd, double{}), sd.first);
    w.write_samples("/tiny", global_tiny, local_part(global_tiny, st, double{}), st.first);
    w.write_array("/coords", Shape{3}, std::vector<double>{0.0, 0.5, 1.0});
    w.write_attribute("/fields", "pde", "test");
    w.write_attribute("/fields/d", "scale", std::vector<double>{1.0, 2.0});
    w.commit();
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  Hdf5SampleStore const self(path, MPI_COMM_SELF);
  auto const f = self.read<Space, float>("/fields/f", 0, 7, SampleLayout{true});
  auto const d = self.read<Space, double>("/fields/d", 0, 7);
  auto const tiny = self.read<Space, double>("/tiny", 0, 1);
  expect_equal(f, local_part(global_f, {0, 7}, float{}), "/fields/f");
  expect_equal(d, local_part(global_d, {0, 7}, double{}).reshape(Shape{7, 1, 11}), "/fields/d");
  expect_equal(tiny, local_part(global_tiny, {0, 1}, double{}).reshape(Shape{1, 1, 3}), "/tiny");
  EXPECT_EQ(self.file().read_array<double>("/coords"), (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(self.file().read_attribute<std::string>("/fields", "pde"), "test");
  EXPECT_EQ(self.file().read_attribute<std::vector<double>>("/fields/d", "scale"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(self.file().read_attribute<std::string>("/", "format_version"), "1");
}

TEST(DatasetsMpi, ReadShardWithFewerSamplesThanRanks) {
  kono::test::TempDir dir("mpi_tiny", world);
  std::string const path = dir.file("tiny.h5");
  {
    Hdf5Writer w(path, world);
    kono::Tensor<Space, double> local("kono::test::one", Shape{world_rank() == 0 ? 1 : 0, 4});
    local.fill(2.5);
    w.write_samples("/u", Shape{1, 4}, local, 0);
    w.commit();
  }
  Hdf5SampleStore const store(path, world);
  auto const shard = store.read_shard<Space, float>("/u");
  EXPECT_EQ(shard.shape(), (Shape{world_rank() == 0 ? 1 : 0, 1, 4}));
  auto const h = shard.to_host();
  for (index_t i = 0; i < h.size(); ++i) EXPECT_EQ(h.data()(i), 2.5f);
}

TEST(DatasetsMpi, NonFiniteInOneShardFailsOnEveryRank) {
  kono::test::TempDir dir("mpi_nan", world);
  std::string const path = dir.file("nan.h5");
  Shape const global{8, 3};
  auto const s = kono::shard_samples(8, world);
  {
    kono::Tensor<kono::HostSpace, double> h("kono::test::nan", global.with_extent(0, s.count));
    for (index_t i = 0; i < h.size(); ++i) h.data()(i) = value_at(s.first * 3 + i);
    if (s.first <= 5 && 5 < s.first + s.count) h.data()((5 - s.first) * 3 + 1) = std::numeric_limits<double>::quiet_NaN();
    Hdf5Writer w(path, world);
    w.write_samples("/train/y", global, h, s.first);
    w.commit();
  }
  Hdf5SampleStore const store(path, world);
  // At np 2 only rank 1 reads sample 5; both ranks must throw the same error.
  EXPECT_KONO_ERROR((void)(store.read_shard<Space, double>("/train/y")), non_finite,
                    "dataset \"/train/y\" of \"" + path + "\", first in sample 5 (value 1");
}

TEST(DatasetsMpi, CollectiveErrorsReachEveryRank) {
  kono::test::TempDir dir("mpi_errors", world);
  EXPECT_KONO_ERROR((void)Hdf5SampleStore(dir.file("missing.h5"), world), file_io, "does not exist");
  EXPECT_KONO_ERROR((void)Hdf5Writer(dir.file("no/dir/x.h5"), world), file_io, "does not exist or is not a directory");
  Hdf5SampleStore const store(darcy, world);
  EXPECT_KONO_ERROR((void)(store.read_shard<Space, double>("/train/nothing")), invalid_argument, "/train/nothing");
  EXPECT_KONO_ERROR((void)(store.read_shard<Space, double>("/train/coords", SampleLayout{true})), size_mismatch,
                    "has shape [16] (rank 1)");
}

TEST(DatasetsMpi, AbandonedWriterLeavesNothingAndKeepsOldFile) {
  kono::test::TempDir dir("mpi_atomic", world);
  std::string const path = dir.file("keep.h5");
  {
    Hdf5Writer w(path, world);
    w.write_attribute("/", "generation", std::int64_t{1});
    w.commit();
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<char> const before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  MPI_Barrier(world);  // every rank has read the old bytes before anyone rewrites
  {
    Hdf5Writer w(path, world);
    w.write_attribute("/", "generation", std::int64_t{2});
    kono::Tensor<Space, double> local("kono::test::x", Shape{1, 2});
    w.write_samples("/x", Shape{2, 2}, local, world_rank() == 0 ? 0 : 1);
  }  // no commit
  std::ifstream again(path, std::ios::binary);
  std::vector<char> const after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before);
  MPI_Barrier(world);
  int entries = static_cast<int>(std::distance(std::filesystem::directory_iterator(dir.path()),
                                               std::filesystem::directory_iterator()));
  EXPECT_EQ(entries, 1);
  kono::Hdf5File const f(path, world);
  EXPECT_EQ(f.read_attribute<std::int64_t>("/", "generation"), 1);
}

TEST(DatasetsMpi, ShardedFitEqualsSelfFit) {
  for (NormalizerKind kind : {NormalizerKind::scalar, NormalizerKind::per_channel, NormalizerKind::pointwise}) {
    for (std::string const dataset : {"/train/y", "/test/x"}) {
      SCOPED_TRACE(std::string(kono::to_string(kind)) + " " + dataset);
      Normalizer sharded(kind);
      {
        Hdf5SampleStore const store(darcy, world);
        sharded.fit(store.read_shard<Space, double>(dataset), world);
      }
      Hdf5SampleStore const self(darcy, MPI_COMM_SELF);
      Normalizer whole(kind);
      whole.fit(self.read<Space, double>(dataset, 0, self.num_samples(dataset)), MPI_COMM_SELF);
      EXPECT_EQ(sharded.count(), whole.count());
      EXPECT_EQ(sharded.stats_shape(), whole.stats_shape());
      auto const m1 = sharded.mean(), m2 = whole.mean(), s1 = sharded.stddev(), s2 = whole.stddev();
      EXPECT_EQ(m1.size(), m2.size());  // not ASSERT: a returning rank would hang the next fit
      for (std::size_t k = 0; k < std::min(m1.size(), m2.size()); ++k) {
        EXPECT_NEAR(m1[k], m2[k], 1e-12 * std::max(1e-3, std::abs(m2[k]))) << k;
        EXPECT_NEAR(s1[k], s2[k], 1e-12 * std::max(1e-3, std::abs(s2[k]))) << k;
      }
    }
  }
  // Shards of different sample shapes are refused on every rank.
  Normalizer norm(NormalizerKind::pointwise);
  kono::Tensor<Space, double> odd("kono::test::odd", Shape{3, 1, world_rank() == 0 ? 4 : 5});
  int size = 1;
  MPI_Comm_size(world, &size);
  if (size > 1)
    EXPECT_KONO_ERROR(norm.fit(odd, world), size_mismatch, "ranks hold samples of different shapes");
}

TEST(DatasetsMpi, NormalizerSavedCollectivelyLoadsOnSelf) {
  kono::test::TempDir dir("mpi_norm_save", world);
  std::string const path = dir.file("stats.h5");
  Normalizer norm(NormalizerKind::per_channel);
  {
    Hdf5SampleStore const store(burgers, world);
    norm.fit(store.read_shard<Space, double>("/train/y", SampleLayout{true}), world);
  }
  {
    Hdf5Writer w(path, world);
    norm.save(w, "/normalizers/y");
    w.commit();
  }
  kono::Hdf5File const f(path, MPI_COMM_SELF);
  Normalizer const back = Normalizer::load(f, "/normalizers/y");
  EXPECT_EQ(back.stats_shape(), (Shape{17}));
  EXPECT_EQ(back.count(), 800);
  EXPECT_EQ(back.mean(), norm.mean());
  EXPECT_EQ(back.stddev(), norm.stddev());
}

}  // namespace
