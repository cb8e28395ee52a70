// kono::Normalizer: statistics against a naive reference for each kind, neuralop's numbers on
// the real Darcy data, encode/decode, and save/load through HDF5 with its error cases.
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/datasets/hdf5_writer.hpp>
#include <kono/datasets/normalizer.hpp>

#include <cmath>
#include <random>

#include "support/kono_test.hpp"

namespace {

using kono::index_t;
using kono::Normalizer;
using kono::NormalizerKind;
using kono::Shape;
using Space = kono::DefaultMemorySpace;

template <class Scalar>
kono::Tensor<Space, Scalar> random_tensor(Shape const& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist(3.0, 2.0);
  kono::Tensor<kono::HostSpace, Scalar> h("kono::test::random", shape);
  for (index_t i = 0; i < h.size(); ++i) h.data()(i) = static_cast<Scalar>(dist(gen) + 0.01 * static_cast<double>(i % 7));
  return h.template clone_to<Space>("kono::test::random");
}

// Naive two-pass reference: statistic k collects every element whose (channel, point) maps to k.
struct Reference {
  std::vector<double> mean, stddev;
};
template <class Scalar>
Reference reference_stats(kono::Tensor<Space, Scalar> const& t, NormalizerKind kind) {
  auto const h = t.to_host();
  index_t const n = t.extent(0), c = t.extent(1), s = t.size() / (n * c);
  auto stat_of = [&](index_t ch, index_t p) -> index_t {
    return kind == NormalizerKind::scalar ? 0 : kind == NormalizerKind::per_channel ? ch : ch * s + p;
  };
  index_t const k_count = kind == NormalizerKind::scalar ? 1 : kind == NormalizerKind::per_channel ? c : c * s;
  std::vector<double> sum(static_cast<std::size_t>(k_count)), ss(sum.size()), cnt(sum.size());
  for (index_t i = 0; i < n; ++i)
    for (index_t ch = 0; ch < c; ++ch)
      for (index_t p = 0; p < s; ++p) {
        auto const k = static_cast<std::size_t>(stat_of(ch, p));
        sum[k] += static_cast<double>(h.data()((i * c + ch) * s + p));
        cnt[k] += 1;
      }
  Reference r;
  for (std::size_t k = 0; k < sum.size(); ++k) r.mean.push_back(sum[k] / cnt[k]);
  for (index_t i = 0; i < n; ++i)
    for (index_t ch = 0; ch < c; ++ch)
      for (index_t p = 0; p < s; ++p) {
        auto const k = static_cast<std::size_t>(stat_of(ch, p));
        double const d = static_cast<double>(h.data()((i * c + ch) * s + p)) - r.mean[k];
        ss[k] += d * d;
      }
  for (std::size_t k = 0; k < sum.size(); ++k) r.stddev.push_back(std::sqrt(ss[k] / (cnt[k] - 1)));
  return r;
}

void expect_rel_near(std::vector<double> const& a, std::vector<double> const& b, double tol, char const* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::abs(b[i]))) << what << "[" << i << "]";
}

class NormalizerKinds : public ::testing::TestWithParam<NormalizerKind> {};

TEST_P(NormalizerKinds, FitMatchesNaiveReferenceAndEncodeDecodeInvert) {
  NormalizerKind const kind = GetParam();
  Shape const shape{7, 3, 5, 4};  // odd sizes
  auto const x = random_tensor<double>(shape, 1234u);
  Normalizer norm(kind);
  norm.fit(x, MPI_COMM_SELF);
  Reference const ref = reference_stats(x, kind);
  expect_rel_near(norm.mean(), ref.mean, 1e-13, "mean");
  expect_rel_near(norm.stddev(), ref.stddev, 1e-13, "std");
  EXPECT_EQ(norm.count(), 7);
  Shape const expected_stats = kind == NormalizerKind::scalar        ? Shape{1}
                               : kind == NormalizerKind::per_channel ? Shape{3}
                                                                     : Shape{3, 5, 4};
  EXPECT_EQ(norm.stats_shape(), expected_stats);

  // Encoded data has mean ~0 and std ~std/(std + eps) under the same statistics.
  auto const y = x.clone_to<Space>("kono::test::encoded");
  norm.encode(y);
  Normalizer check(kind);
  check.fit(y, MPI_COMM_SELF);
  for (double m : check.mean()) EXPECT_NEAR(m, 0.0, 1e-12);
  for (double s : check.stddev()) EXPECT_NEAR(s, 1.0, 1e-6);
  // Element (1, 2, 3, 1) by hand.
  auto const xv = x.to_host().view<4>();
  auto const yv = y.to_host().view<4>();
  std::size_t const k = kind == NormalizerKind::scalar ? 0 : kind == NormalizerKind::per_channel ? 2 : (2 * 5 + 3) * 4 + 1;
  EXPECT_DOUBLE_EQ(yv(1, 2, 3, 1), (xv(1, 2, 3, 1) - norm.mean()[k]) / (norm.stddev()[k] + 1e-7));

  norm.decode(y);
  auto const back = y.to_host();
  auto const orig = x.to_host();
  for (index_t i = 0; i < back.size(); ++i) ASSERT_NEAR(back.data()(i), orig.data()(i), 1e-12) << i;
}

TEST_P(NormalizerKinds, FloatTensorsAccumulateInDouble) {
  NormalizerKind const kind = GetParam();
  auto const xf = random_tensor<float>(Shape{9, 2, 11}, 99u);
  Normalizer norm(kind);
  norm.fit(xf, MPI_COMM_SELF);
  Reference const ref = reference_stats(xf, kind);
  expect_rel_near(norm.mean(), ref.mean, 1e-12, "mean");
  expect_rel_near(norm.stddev(), ref.stddev, 1e-12, "std");
  auto const y = xf.clone_to<Space>("kono::test::yf");
  norm.encode(y);
  norm.decode(y);
  auto const a = y.to_host();
  auto const b = xf.to_host();
  for (index_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a.data()(i), b.data()(i), 1e-5) << i;
}

TEST_P(NormalizerKinds, SaveLoadRoundTrip) {
  NormalizerKind const kind = GetParam();
  auto const x = random_tensor<double>(Shape{4, 2, 3, 3}, 7u);
  Normalizer norm(kind, 1e-5);
  norm.fit(x, MPI_COMM_SELF);
  kono::test::TempDir dir("normalizer_saveload");
  std::string const path = dir.file("stats.h5");
  {
    kono::Hdf5Writer w(path, MPI_COMM_SELF);
    norm.save(w, "/normalizers/y");
    w.commit();
  }
  kono::Hdf5File const f(path, MPI_COMM_SELF);
  EXPECT_EQ(f.read_attribute<std::string>("/normalizers/y", "kind"), kono::to_string(kind));
  EXPECT_EQ(f.dataset_info("/normalizers/y/mean").element_type, kono::Hdf5ElementType::float64);
  Normalizer const back = Normalizer::load(f, "/normalizers/y");
  EXPECT_EQ(back.kind(), kind);
  EXPECT_EQ(back.eps(), 1e-5);
  EXPECT_EQ(back.count(), 4);
  EXPECT_EQ(back.stats_shape(), norm.stats_shape());
  EXPECT_EQ(back.mean(), norm.mean());
  EXPECT_EQ(back.stddev(), norm.stddev());
}

INSTANTIATE_TEST_SUITE_P(AllKinds, NormalizerKinds,
                         ::testing::Values(NormalizerKind::scalar, NormalizerKind::per_channel,
                                           NormalizerKind::pointwise),
                         [](auto const& info) { return std::string(kono::to_string(info.param)); });

TEST(Normalizer, DarcyTrainYMatchesNeuralopStatistics) {
  kono::Hdf5SampleStore const store(kono::test::shared_data("darcy_16.h5"), MPI_COMM_SELF);
  auto const y = store.read<Space, double>("/train/y", 0, 1000);
  Normalizer norm(NormalizerKind::scalar);
  norm.fit(y, MPI_COMM_SELF);
  EXPECT_NEAR(norm.mean()[0], 0.386316, 0.386316 * 1e-5);
  EXPECT_NEAR(norm.stddev()[0], 0.339972, 0.339972 * 1e-5);
  EXPECT_EQ(norm.count(), 1000);
  // Same statistics from float tensors: accumulation is in double either way.
  auto const yf = store.read<Space, float>("/train/y", 0, 1000);
  Normalizer normf(NormalizerKind::scalar);
  normf.fit(yf, MPI_COMM_SELF);
  EXPECT_NEAR(normf.mean()[0], norm.mean()[0], 1e-12);
  EXPECT_NEAR(normf.stddev()[0], norm.stddev()[0], 1e-12);
}

TEST(Normalizer, EncodeUsesTheDocumentedFormula) {
  Normalizer const norm(NormalizerKind::per_channel, Shape{2}, {1.0, -2.0}, {2.0, 0.5}, 10);
  kono::Tensor<kono::HostSpace, double> h("kono::test::h", Shape{1, 2, 1});
  h.data()(0) = 3.0;
  h.data()(1) = 4.0;
  auto const t = h.clone_to<Space>("kono::test::t");
  norm.encode(t);
  auto const r = t.to_host();
  EXPECT_DOUBLE_EQ(r.data()(0), (3.0 - 1.0) / (2.0 + 1e-7));
  EXPECT_DOUBLE_EQ(r.data()(1), (4.0 + 2.0) / (0.5 + 1e-7));
}

TEST(Normalizer, MisuseIsReported) {
  auto const x = random_tensor<double>(Shape{5, 3, 4}, 1u);
  Normalizer unfitted(NormalizerKind::pointwise);
  EXPECT_KONO_ERROR(unfitted.encode(x), wrong_state, "call fit() or load() first");

  Normalizer per_channel(NormalizerKind::per_channel);
  per_channel.fit(x, MPI_COMM_SELF);
  auto const two_channels = random_tensor<double>(Shape{5, 2, 4}, 2u);
  EXPECT_KONO_ERROR(per_channel.encode(two_channels), size_mismatch,
                    "has shape [5, 2, 4], the per_channel statistics have shape [3]");
  Normalizer pointwise(NormalizerKind::pointwise);
  pointwise.fit(x, MPI_COMM_SELF);
  auto const finer = random_tensor<double>(Shape{5, 3, 8}, 3u);
  EXPECT_KONO_ERROR(pointwise.decode(finer), size_mismatch, "pointwise statistics have shape [3, 4]");
  // Any sample shape works for a scalar normalizer.
  Normalizer scalar(NormalizerKind::scalar);
  scalar.fit(x, MPI_COMM_SELF);
  EXPECT_NO_THROW(scalar.encode(finer));

  auto const one_sample = random_tensor<double>(Shape{1, 3, 4}, 4u);
  EXPECT_KONO_ERROR(Normalizer(NormalizerKind::pointwise).fit(one_sample, MPI_COMM_SELF), invalid_argument,
                    "the unbiased std needs at least 2");
  auto const flat = random_tensor<double>(Shape{12}, 5u);
  EXPECT_KONO_ERROR(Normalizer(NormalizerKind::scalar).fit(flat, MPI_COMM_SELF), size_mismatch,
                    "expected [n, C, spatial...]");
  EXPECT_KONO_ERROR((void)Normalizer(NormalizerKind::scalar, -1.0), invalid_argument, "eps = -1");
  EXPECT_KONO_ERROR((void)Normalizer(NormalizerKind::per_channel, Shape{2}, {0.0}, {1.0, 1.0}, 1), size_mismatch,
                    "needs 2 values, got 1 means");
  EXPECT_KONO_ERROR((void)Normalizer(NormalizerKind::scalar, Shape{2}, {0.0, 0.0}, {1.0, 1.0}, 1), size_mismatch,
                    "does not fit kind scalar");
  EXPECT_KONO_ERROR((void)Normalizer(NormalizerKind::scalar, Shape{1}, {0.0}, {-1.0}, 1), invalid_argument, "std >= 0");

  kono::test::TempDir dir("normalizer_unfitted");
  kono::Hdf5Writer w(dir.file("x.h5"), MPI_COMM_SELF);
  EXPECT_KONO_ERROR(unfitted.save(w, "/n"), wrong_state, "call fit() first");
}

TEST(Normalizer, LoadErrorsNameGroupAndFile) {
  kono::test::TempDir dir("normalizer_load");
  std::string const path = dir.file("bad_stats.h5");
  {
    kono::Hdf5Writer w(path, MPI_COMM_SELF);
    // Mismatched mean/std shapes.
    w.write_array("/mismatch/mean", Shape{3}, std::vector<double>{0, 0, 0});
    w.write_array("/mismatch/std", Shape{4}, std::vector<double>{1, 1, 1, 1});
    w.write_attribute("/mismatch", "kind", "per_channel");
    w.write_attribute("/mismatch", "eps", 1e-7);
    w.write_attribute("/mismatch", "count", std::int64_t{3});
    // Unknown kind.
    w.write_array("/odd/mean", Shape{1}, std::vector<double>{0});
    w.write_array("/odd/std", Shape{1}, std::vector<double>{1});
    w.write_attribute("/odd", "kind", "minmax");
    w.write_attribute("/odd", "eps", 1e-7);
    w.write_attribute("/odd", "count", std::int64_t{3});
    // Shape that does not fit the kind.
    w.write_array("/wrong_rank/mean", Shape{2, 2}, std::vector<double>{0, 0, 0, 0});
    w.write_array("/wrong_rank/std", Shape{2, 2}, std::vector<double>{1, 1, 1, 1});
    w.write_attribute("/wrong_rank", "kind", "per_channel");
    w.write_attribute("/wrong_rank", "eps", 1e-7);
    w.write_attribute("/wrong_rank", "count", std::int64_t{3});
    // No attributes.
    w.create_group("/bare");
    w.commit();
  }
  kono::Hdf5File const f(path, MPI_COMM_SELF);
  EXPECT_KONO_ERROR(Normalizer::load(f, "/normalizers/y"), invalid_argument,
                    "group \"/normalizers/y\" missing in \"" + path + "\"");
  EXPECT_KONO_ERROR(Normalizer::load(f, "/mismatch"), size_mismatch,
                    "\"/mismatch/mean\" has shape [3] but \"/mismatch/std\" has [4]");
  EXPECT_KONO_ERROR(Normalizer::load(f, "/odd"), invalid_argument, "kind \"minmax\"; known: scalar, per_channel");
  EXPECT_KONO_ERROR(Normalizer::load(f, "/wrong_rank"), size_mismatch, "loading group \"/wrong_rank\" of \"" + path);
  EXPECT_KONO_ERROR(Normalizer::load(f, "/bare"), invalid_argument, "has no attribute \"kind\"");
}

}  // namespace
