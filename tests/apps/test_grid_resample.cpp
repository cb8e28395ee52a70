// Coarser copies for kono train --data.resolutions: exact subsampling when the coarse nodes are
// fine nodes, multilinear interpolation at the coarse nodes otherwise (nodes and half-open points).
#include <cmath>

#include <kono/operators/initialization.hpp>

#include "../../apps/kono/grid_resample.hpp"
#include "support/kono_test.hpp"

namespace {
using kono::index_t;
using kono::Shape;
using kono::app::RealTensor;

RealTensor random_field(Shape const& shape, std::uint64_t seed) {
  kono::Tensor<Kokkos::HostSpace, float> h("r", shape);
  for (index_t k = 0; k < h.size(); ++k) h.data()(k) = float(kono::hashed_uniform(seed, std::uint64_t(k)));
  return h.clone_to<kono::app::Space>("r");
}

// f(x, y) = 1 + 2x + 3y + 4xy on [0, 1]^2 at x_i = i / (n - 1): bilinear interpolation is exact.
RealTensor bilinear_field(index_t n, index_t samples = 2) {
  kono::Tensor<Kokkos::HostSpace, float> h("f", Shape{samples, 1, n, n});
  for (index_t s = 0; s < samples; ++s)
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < n; ++j) {
        double const x = double(i) / double(n - 1), y = double(j) / double(n - 1);
        h.data()((s * n + i) * n + j) = float(double(s + 1) * (1 + 2 * x + 3 * y + 4 * x * y));
      }
  return h.clone_to<kono::app::Space>("f");
}

TEST(GridResample, ExactSubsamplingKeepsTheCoarseNodesValues) {
  RealTensor const fine = random_field(Shape{3, 2, 9, 9}, 7);
  EXPECT_TRUE(kono::app::exact_subsampling(Shape{9, 9}, {5, 5}));
  EXPECT_TRUE(kono::app::exact_subsampling(Shape{9, 9}, {3, 9}));
  EXPECT_FALSE(kono::app::exact_subsampling(Shape{16, 16}, {8, 8}));
  RealTensor const coarse = kono::app::downsample_grid(fine, {5, 3});
  ASSERT_EQ(coarse.shape(), (Shape{3, 2, 5, 3}));
  auto const f = fine.to_host(), c = coarse.to_host();
  for (index_t field = 0; field < 6; ++field)
    for (index_t i = 0; i < 5; ++i)
      for (index_t j = 0; j < 3; ++j)
        EXPECT_EQ(c.data()((field * 5 + i) * 3 + j), f.data()((field * 9 + 2 * i) * 9 + 4 * j));  // bitwise
}

TEST(GridResample, InterpolatesAtTheCoarseNodesOtherwise) {
  RealTensor const coarse = kono::app::downsample_grid(bilinear_field(16), {8, 8});  // 15/7: not integer
  RealTensor const want = bilinear_field(8);
  ASSERT_EQ(coarse.shape(), want.shape());
  auto const c = coarse.to_host(), w = want.to_host();
  for (index_t k = 0; k < c.size(); ++k) EXPECT_NEAR(c.data()(k), w.data()(k), 2e-5) << k;
  // Same grid: a copy.
  RealTensor const same = kono::app::downsample_grid(bilinear_field(5), {5, 5});
  auto const s = same.to_host(), o = bilinear_field(5).to_host();
  for (index_t k = 0; k < s.size(); ++k) EXPECT_EQ(s.data()(k), o.data()(k));
}

TEST(GridResample, OneAndThreeDimensions) {
  kono::Tensor<Kokkos::HostSpace, float> line("line", Shape{1, 1, 7});
  for (index_t i = 0; i < 7; ++i) line.data()(i) = float(i * i);
  auto const l = kono::app::downsample_grid(line.clone_to<kono::app::Space>("l"), {4}).to_host();  // nodes 0, 2, 4, 6
  EXPECT_EQ(l.data()(1), 4.0f);
  EXPECT_EQ(l.data()(3), 36.0f);
  auto const m = kono::app::downsample_grid(line.clone_to<kono::app::Space>("l"), {5}).to_host();  // at 0, 1.5, 3, 4.5, 6
  EXPECT_NEAR(m.data()(1), 0.5 * (1 + 4), 1e-6);
  EXPECT_NEAR(m.data()(3), 0.5 * (16 + 25), 1e-6);
  RealTensor const cube = random_field(Shape{1, 1, 5, 5, 5}, 3);
  auto const c = kono::app::downsample_grid(cube, {3, 3, 3}).to_host();
  auto const f = cube.to_host();
  EXPECT_EQ(c.data()(((1 * 3) + 2) * 3 + 1), f.data()(((2 * 5) + 4) * 5 + 2));
}

TEST(GridResample, HalfOpenPointsSitAtIOverN) {
  using kono::app::GridNodes;
  EXPECT_TRUE(kono::app::exact_subsampling(Shape{8}, {4}, GridNodes::half_open));  // 8/4: nodes 0, 2, 4, 6
  EXPECT_FALSE(kono::app::exact_subsampling(Shape{8}, {4}, GridNodes::nodes));   // 7/3
  EXPECT_TRUE(kono::app::exact_subsampling(Shape{7}, {4}, GridNodes::nodes));     // 6/3: nodes 0, 2, 4, 6
  kono::Tensor<Kokkos::HostSpace, float> line("line", Shape{1, 1, 8});
  for (index_t i = 0; i < 8; ++i) line.data()(i) = float(i * i);
  auto const exact = kono::app::downsample_grid(line.clone_to<kono::app::Space>("l"), {4}, GridNodes::half_open).to_host();
  for (index_t j = 0; j < 4; ++j) EXPECT_EQ(exact.data()(j), float(4 * j * j));  // bitwise: nodes 0, 2, 4, 6
  // 8 -> 3: positions 0, 8/3, 16/3 (never past the last node, so no wrap-around).
  auto const lin = kono::app::downsample_grid(line.clone_to<kono::app::Space>("l"), {3}, GridNodes::half_open).to_host();
  EXPECT_EQ(lin.data()(0), 0.0f);
  EXPECT_NEAR(lin.data()(1), 4.0 + (9.0 - 4.0) * 2.0 / 3.0, 1e-5);
  EXPECT_NEAR(lin.data()(2), 25.0 + (36.0 - 25.0) * 1.0 / 3.0, 1e-5);
}

TEST(GridResample, RefusesFinerOrDegenerateGrids) {
  RealTensor const x = bilinear_field(8, 1);
  EXPECT_KONO_ERROR((kono::app::downsample_grid(x, {16, 16})), invalid_argument, "(2 to 8)");
  EXPECT_KONO_ERROR((kono::app::downsample_grid(x, {1, 1})), invalid_argument, "to 1 nodes on axis 0");
  EXPECT_KONO_ERROR((kono::app::downsample_grid(x, {4})), invalid_argument, "1 spatial axes");
}
}  // namespace
