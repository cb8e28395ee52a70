// kono::Surrogate against the model it wraps, and the C API inside a C++ host that owns the
// runtime (KonoInitialize must reuse it and KonoFinalize must leave it alive).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <kono.h>

#include <cmath>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/operators/inference.hpp>
#include <kono/operators/model_io.hpp>

namespace {
using Space = kono::DefaultMemorySpace;
std::string const dir = KONO_CAPI_MODEL_DIR;

std::vector<float> input(kono::index_t n) {
  std::vector<float> x(static_cast<std::size_t>(n));
  for (kono::index_t i = 0; i < n; ++i) x[std::size_t(i)] = ((i * 37 + 11) % 17 > 8) ? 1.0f : 0.0f;
  return x;
}

TEST(Surrogate, MatchesLoadModelEncodePredictDecode) {
  auto const s = kono::Surrogate::load(dir + "/fno2d_f32.h5", MPI_COMM_WORLD);
  EXPECT_EQ(s.dimension(), 2);
  EXPECT_EQ(s.in_channels(), 1);
  EXPECT_EQ(s.out_channels(), 1);
  EXPECT_TRUE(s.accepts_any_resolution());
  EXPECT_TRUE(s.stores_float());
  EXPECT_EQ(s.provenance("train_resolution"), "[16, 16]");

  kono::index_t const ext[2] = {20, 16};
  auto const x = input(2 * 20 * 16);
  std::vector<float> y(x.size());
  s.apply<float>(2, 1, ext, x.data(), y.data());

  // The same computation spelled out with the library pieces (apps/kono/workflow.cpp's predict).
  auto lm = kono::load_model<Space, float>(dir + "/fno2d_f32.h5", MPI_COMM_WORLD);
  kono::Tensor<Space, float> xt("x", kono::Shape{2, 1, 20, 16});
  auto h = Kokkos::create_mirror_view(xt.data());
  for (std::size_t i = 0; i < x.size(); ++i) h(i) = x[i];
  Kokkos::deep_copy(xt.data(), h);
  auto yt = lm.model.predict(xt);
  lm.meta.normalizer("target")->decode(yt);
  auto const yh = yt.to_host();
  for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], yh.data()(i)) << i;

  // Tensor form gives the same values.
  auto const yt2 = s.apply(xt).to_host();
  for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], yt2.data()(i)) << i;
}

TEST(Surrogate, ErrorsNameTheProblem) {
  kono::Surrogate empty;
  EXPECT_FALSE(empty.is_loaded());
  try {
    (void)empty.dimension();
    FAIL() << "no throw";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::wrong_state);
  }
  try {
    (void)kono::Surrogate::load(dir + "/fno2d_v2.h5", MPI_COMM_WORLD);
    FAIL() << "no throw";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::unsupported);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("format_version"));
  }
  auto const s = kono::Surrogate::load(dir + "/fno2d_f32.h5", MPI_COMM_WORLD);
  try {
    (void)s.output_shape(kono::Shape{1, 3, 16, 16});
    FAIL() << "no throw";
  } catch (kono::Error const& e) {
    EXPECT_EQ(e.code(), kono::ErrorCode::size_mismatch);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("3 channels"));
  }
}

TEST(CApi, ReusesTheHostRuntimeAndMatchesCxx) {
  ASSERT_EQ(KonoInitialize(nullptr, nullptr), KONO_SUCCESS) << KonoGetLastErrorMessage();
  KonoModel m = nullptr;
  ASSERT_EQ(KonoModelLoad(MPI_COMM_WORLD, (dir + "/fno2d_f32.h5").c_str(), &m), KONO_SUCCESS) << KonoGetLastErrorMessage();
  int64_t const ext[2] = {16, 16};
  auto const x = input(16 * 16);
  std::vector<float> yc(x.size()), ycxx(x.size());
  EXPECT_EQ(KonoModelApplyFloat(m, 1, 1, ext, x.data(), yc.data()), KONO_SUCCESS);
  auto const s = kono::Surrogate::load(dir + "/fno2d_f32.h5", MPI_COMM_WORLD);
  kono::index_t const e2[2] = {16, 16};
  s.apply<float>(1, 1, e2, x.data(), ycxx.data());
  EXPECT_EQ(yc, ycxx);
  EXPECT_EQ(KonoModelDestroy(&m), KONO_SUCCESS);
  EXPECT_EQ(KonoFinalize(), KONO_SUCCESS);
  EXPECT_TRUE(Kokkos::is_initialized());  // the host's runtime is untouched
  int finalized = 1;
  MPI_Finalized(&finalized);
  EXPECT_EQ(finalized, 0);
}
}  // namespace
