// kono::Hdf5SampleStore: write/read round trips over dtypes, ranks and layouts; the real
// shared data; and every bad input a user can hand it.
#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/datasets/hdf5_writer.hpp>

#include <cmath>
#include <limits>

#include "support/kono_test.hpp"

namespace {

using kono::Hdf5SampleStore;
using kono::Hdf5Writer;
using kono::index_t;
using kono::SampleLayout;
using kono::Shape;
using Space = kono::DefaultMemorySpace;

std::string const darcy = kono::test::shared_data("darcy_16.h5");
std::string const burgers = kono::test::shared_data("burgers_16.h5");

// Deterministic values that are not exactly representable in float, so a double -> float
// conversion is really exercised.
double value_at(index_t flat) { return 0.1 * static_cast<double>((flat * 7919) % 2003) - 100.0; }

template <class Scalar>
kono::Tensor<Space, Scalar> make_samples(Shape const& shape) {
  kono::Tensor<kono::HostSpace, Scalar> h("kono::test::samples", shape);
  for (index_t i = 0; i < h.size(); ++i) h.data()(i) = static_cast<Scalar>(value_at(i));
  return h.template clone_to<Space>("kono::test::samples");
}

template <class Pair>
class SampleRoundTrip : public ::testing::Test {};
// (scalar written to the file, scalar read back)
using ScalarPairs = ::testing::Types<std::pair<float, float>, std::pair<float, double>, std::pair<double, double>,
                                     std::pair<double, float>>;
TYPED_TEST_SUITE(SampleRoundTrip, ScalarPairs);

TYPED_TEST(SampleRoundTrip, OneTwoThreeSpatialAxesWithAndWithoutChannels) {
  using FileScalar = typename TypeParam::first_type;
  using ReadScalar = typename TypeParam::second_type;
  struct Case {
    Shape stored;
    bool channel_axis;
  };
  std::vector<Case> const cases = {
      {Shape{5, 13}, false},         {Shape{3, 7, 5}, false},    {Shape{2, 3, 5, 7}, false},
      {Shape{5, 2, 13}, true},       {Shape{3, 1, 7, 5}, true},  {Shape{2, 3, 3, 5, 7}, true},
      {Shape{1, 1}, false},          {Shape{0, 4}, false},       {Shape{0, 2, 3, 3}, true},
  };
  kono::test::TempDir dir("store_roundtrip");
  std::string const path = dir.file("samples.h5");
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    for (std::size_t c = 0; c < cases.size(); ++c)
      w.write_samples("/case" + std::to_string(c) + "/u", cases[c].stored, make_samples<FileScalar>(cases[c].stored),
                      0);
    w.commit();
  }
  Hdf5SampleStore const store(path, MPI_COMM_SELF);
  for (std::size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE("case " + std::to_string(c) + " stored " + cases[c].stored.to_string());
    std::string const ds = "/case" + std::to_string(c) + "/u";
    SampleLayout const layout{cases[c].channel_axis};
    Shape const stored = cases[c].stored;
    index_t const n = stored[0];
    std::vector<index_t> expected_sample = stored.tail(1).to_vector();
    if (!layout.has_channel_axis) expected_sample.insert(expected_sample.begin(), 1);
    EXPECT_EQ(store.num_samples(ds), n);
    EXPECT_EQ(store.sample_shape(ds, layout), Shape(expected_sample));

    auto const all = store.read<Space, ReadScalar>(ds, 0, n, layout);
    std::vector<index_t> expected_shape = expected_sample;
    expected_shape.insert(expected_shape.begin(), n);
    EXPECT_EQ(all.shape(), Shape(expected_shape));
    auto const h = all.to_host();
    for (index_t i = 0; i < h.size(); ++i) {
      // The file holds FileScalar(v); reading converts that to ReadScalar.
      ReadScalar const want = static_cast<ReadScalar>(static_cast<FileScalar>(value_at(i)));
      ASSERT_EQ(h.data()(i), want) << "flat index " << i;
    }
    if (n >= 2) {  // a range that starts mid-file
      auto const part = store.read<Space, ReadScalar>(ds, 1, n - 1, layout).to_host();
      index_t const per = Shape(expected_sample).size();
      for (index_t i = 0; i < part.size(); ++i)
        ASSERT_EQ(part.data()(i), static_cast<ReadScalar>(static_cast<FileScalar>(value_at(per + i)))) << i;
    }
    auto const none = store.read<Space, ReadScalar>(ds, n, 0, layout);
    EXPECT_EQ(none.extent(0), 0);
    EXPECT_EQ(none.size(), 0);
  }
}

TEST(Hdf5SampleStore, DarcyTrainAndTest) {
  Hdf5SampleStore const store(darcy, MPI_COMM_SELF);
  EXPECT_EQ(store.num_samples("/train/x"), 1000);
  EXPECT_EQ(store.sample_shape("/train/x"), (Shape{1, 16, 16}));
  auto const x = store.read<Space, double>("/train/x", 0, 1000).to_host();
  EXPECT_EQ(x.shape(), (Shape{1000, 1, 16, 16}));
  index_t ones = 0;
  for (index_t i = 0; i < x.size(); ++i) {
    ASSERT_TRUE(x.data()(i) == 0.0 || x.data()(i) == 1.0) << i;
    ones += x.data()(i) == 1.0 ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(ones) / static_cast<double>(x.size()), 0.4994, 5e-5);

  auto const ytest = store.read<Space, float>("/test/y", 0, 50);
  EXPECT_EQ(ytest.shape(), (Shape{50, 1, 16, 16}));

  // The documented boundary spike: y[767, 0, 2] = -0.428.
  auto const y = store.read<Space, float>("/train/y", 767, 1).to_host();
  EXPECT_EQ(y.shape(), (Shape{1, 1, 16, 16}));
  EXPECT_NEAR(y.view<4>()(0, 0, 0, 2), -0.428, 5e-4);
  auto const y_all = store.read<Space, double>("/train/y", 0, 1000).to_host();
  EXPECT_EQ(static_cast<float>(y_all.view<4>()(767, 0, 0, 2)), y.view<4>()(0, 0, 0, 2));
}

TEST(Hdf5SampleStore, BurgersTimeAxisAsChannelsOrAsSpace) {
  Hdf5SampleStore const store(burgers, MPI_COMM_SELF);
  auto const as_channels = store.read<Space, double>("/train/y", 0, 800, SampleLayout{true});
  EXPECT_EQ(as_channels.shape(), (Shape{800, 17, 16}));
  auto const as_space = store.read<Space, double>("/train/y", 0, 800);
  EXPECT_EQ(as_space.shape(), (Shape{800, 1, 17, 16}));
  // Same bytes either way; and y[:, 0, :] == x exactly (README).
  auto const a = as_channels.to_host();
  auto const b = as_space.to_host();
  for (index_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()(i), b.data()(i)) << i;
  auto const x = store.read<Space, double>("/train/x", 0, 800).to_host();
  auto const av = a.view<3>();
  auto const xv = x.view<3>();
  for (int n = 0; n < 800; n += 97)
    for (int j = 0; j < 16; ++j) ASSERT_EQ(av(n, 0, j), xv(n, 0, j)) << n << "," << j;
  EXPECT_EQ(store.sample_shape("/train/x"), (Shape{1, 16}));
}

TEST(Hdf5SampleStore, WrongRankIsSizeMismatchWithShapes) {
  Hdf5SampleStore const store(burgers, MPI_COMM_SELF);
  // [800, 16] has no room for a channel axis plus a spatial axis.
  EXPECT_KONO_ERROR((void)(store.read<Space>("/train/x", 0, 1, SampleLayout{true})), size_mismatch,
                    "dataset \"/train/x\" in \"" + burgers + "\" has shape [800, 16] (rank 2); expected [N, C, spatial...]");
  EXPECT_KONO_ERROR(store.sample_shape("/train/x", SampleLayout{true}), size_mismatch, "has_channel_axis = true");
  // A rank-1 dataset [17] is not samples of anything.
  EXPECT_KONO_ERROR((void)(store.read<Space>("/grid/t", 0, 1)), size_mismatch, "has shape [17] (rank 1); expected [N, spatial...]");

  kono::test::TempDir dir("store_rank");
  std::string const path = dir.file("rank5.h5");
  {
    Hdf5Writer w(path, MPI_COMM_SELF);
    w.write_samples("/u", Shape{2, 2, 2, 2, 2}, make_samples<double>(Shape{2, 2, 2, 2, 2}), 0);
    w.commit();
  }
  Hdf5SampleStore const s5(path, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(s5.read<Space>("/u", 0, 2)), size_mismatch, "with 1 to 3 spatial axes");
  EXPECT_EQ(s5.read<Space>("/u", 0, 2, SampleLayout{true}).shape(), (Shape{2, 2, 2, 2, 2}));
}

TEST(Hdf5SampleStore, RangeAndNameErrors) {
  Hdf5SampleStore const store(darcy, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(store.read<Space>("/train/x", 990, 20)), invalid_argument,
                    "samples [990, 1010) out of range for dataset \"/train/x\"");
  EXPECT_KONO_ERROR((void)(store.read<Space>("/train/x", -1, 2)), invalid_argument, "out of range");
  EXPECT_KONO_ERROR((void)(store.read<Space>("/train/x", 0, -2)), invalid_argument, "out of range");
  try {
    (void)store.read<Space>("/train/u", 0, 1);
    ADD_FAILURE() << "no exception";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::invalid_argument);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("dataset \"/train/u\" missing in \"" + darcy + "\""));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/train/x"));
  }
  EXPECT_KONO_ERROR(store.num_samples("/nope"), invalid_argument, "(found: /test/coords");

  Hdf5SampleStore const car(kono::test::shared_data("car_surface_mini.h5"), MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(car.read<Space>("/train/sample_id", 0, 1)), invalid_argument, "is not numeric");
}

template <class Scalar>
void write_with_bad_value(std::string const& path, Shape const& shape, index_t flat, Scalar bad) {
  kono::Tensor<kono::HostSpace, Scalar> h("kono::test::bad", shape);
  for (index_t i = 0; i < h.size(); ++i) h.data()(i) = static_cast<Scalar>(value_at(i));
  h.data()(flat) = bad;  // stored into memory: no arithmetic, so the FE_INVALID trap stays quiet
  Hdf5Writer w(path, MPI_COMM_SELF);
  w.write_samples("/train/y", shape, h, 0);
  w.commit();
}

TEST(Hdf5SampleStore, NanAndInfNameTheGlobalSample) {
  kono::test::TempDir dir("store_nonfinite");
  Shape const shape{6, 4, 5};
  std::string const nan_file = dir.file("nan.h5");
  write_with_bad_value<double>(nan_file, shape, 3 * 20 + 2 * 5 + 1, std::numeric_limits<double>::quiet_NaN());
  Hdf5SampleStore const nan_store(nan_file, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(nan_store.read<Space, double>("/train/y", 0, 6)), non_finite,
                    "1 NaN/Inf value in dataset \"/train/y\" of \"" + nan_file + "\", first in sample 3 (value 11");
  // Index is global, not relative to the first sample read.
  EXPECT_KONO_ERROR((void)(nan_store.read<Space, double>("/train/y", 2, 3)), non_finite, "sample 3");
  EXPECT_NO_THROW((void)(nan_store.read<Space, double>("/train/y", 0, 3)));
  EXPECT_NO_THROW((void)(nan_store.read<Space, double>("/train/y", 4, 2)));

  std::string const inf_file = dir.file("inf.h5");
  write_with_bad_value<float>(inf_file, shape, 4 * 20, -std::numeric_limits<float>::infinity());
  Hdf5SampleStore const inf_store(inf_file, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(inf_store.read<Space, float>("/train/y", 0, 6)), non_finite, "first in sample 4 (value 0");
  // float32 -> float64 widening keeps the Inf.
  EXPECT_KONO_ERROR((void)(inf_store.read<Space, double>("/train/y", 1, 5)), non_finite, "sample 4");

  std::string const snan_file = dir.file("snan.h5");
  write_with_bad_value<float>(snan_file, shape, 5 * 20 + 19, std::numeric_limits<float>::signaling_NaN());
  Hdf5SampleStore const snan_store(snan_file, MPI_COMM_SELF);
  EXPECT_KONO_ERROR((void)(snan_store.read<Space, float>("/train/y", 0, 6)), non_finite, "sample 5 (value 19");
}

}  // namespace
