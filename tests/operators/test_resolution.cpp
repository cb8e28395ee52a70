// Resolution-consistent operators: fixed grid transfers (exactness, adjoints), discretized
// convolutions (equal to Conv on the reference grid, the continuous operator they keep on other
// grids, gradients), and MgNO layers off their training grid (gradients, consistency, old configs).
#include <cmath>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/discretized_conv.hpp>
#include <kono/operators/layers/mgno.hpp>
#include <kono/operators/resolution/grid_transfer.hpp>

#include "support/gradcheck.hpp"
#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::GridPoints;
using kono::index_t;
using kono::LayerConfig;
using kono::Shape;
using TensorD = kono::Tensor<Space, double>;
auto const exec = Space::execution_space{};
auto make_float(LayerConfig const& cfg) { return kono::create_layer<Space, float>(cfg); }

double dot(TensorD const& a, TensorD const& b) {
  auto const ah = a.to_host(), bh = b.to_host();
  double s = 0;
  for (index_t i = 0; i < ah.size(); ++i) s += ah.data()(i) * bh.data()(i);
  return s;
}

// A smooth field sampled on a node grid of n0 x n1 points (x_i = i/(n-1)).
TensorD smooth_field(index_t channels, index_t n0, index_t n1) {
  TensorD t("smooth", Shape{1, channels, n0, n1});
  auto h = t.to_host();
  for (index_t c = 0; c < channels; ++c)
    for (index_t i = 0; i < n0; ++i)
      for (index_t j = 0; j < n1; ++j) {
        double const x = double(i) / double(n0 - 1), y = double(j) / double(n1 - 1);
        h.data()((c * n0 + i) * n1 + j) = std::sin(3 * x + c) * std::cos(2 * y) + 0.5 * x * y;
      }
  return h.clone_to<Space>("smooth");
}

TEST(GridTransfer, InterpolationIsExactOnLinearFunctionsAndRestrictionIsFullWeighting) {
  auto const p = kono::resampling_matrix(9, 17, GridPoints::nodes);  // nested refinement
  for (index_t i = 0; i < 17; ++i) {
    double v = 0;
    for (int k = 0; k < p.taps; ++k)
      v += p.weight[std::size_t(i * p.taps + k)] * (2.0 * double(p.index[std::size_t(i * p.taps + k)]) / 8.0 - 1);
    EXPECT_NEAR(v, 2.0 * double(i) / 16.0 - 1, 1e-14) << "node " << i;
  }
  auto const r = kono::resampling_matrix(17, 9, GridPoints::nodes);
  ASSERT_EQ(r.taps, 3);
  for (int k = 0; k < 3; ++k) {  // interior coarse node 4 sits on fine node 8: [1/4, 1/2, 1/4]
    index_t const j = r.index[std::size_t(4 * 3 + k)];
    double const expected = j == 8 ? 0.5 : (j == 7 || j == 9 ? 0.25 : 0.0);
    EXPECT_NEAR(r.weight[std::size_t(4 * 3 + k)], expected, 1e-14) << "tap " << k << " at fine node " << j;
  }
  // Every row sums to 1 (constants stay constant), for non-nested and periodic grids too.
  for (auto const& m : {kono::resampling_matrix(32, 64, GridPoints::nodes), kono::resampling_matrix(64, 32, GridPoints::nodes),
                        kono::resampling_matrix(16, 40, GridPoints::periodic), kono::resampling_matrix(40, 16, GridPoints::periodic)})
    for (index_t i = 0; i < m.rows; ++i) {
      double s = 0;
      for (int k = 0; k < m.taps; ++k) s += m.weight[std::size_t(i * m.taps + k)];
      ASSERT_NEAR(s, 1.0, 1e-13) << m.cols << " -> " << m.rows << " row " << i;
    }
  EXPECT_KONO_ERROR(kono::resampling_matrix(1, 4, GridPoints::nodes), invalid_argument, "at least 2");
}

// Nearest coarsening undoes the matching refinement exactly, on nested and non-nested grids.
TEST(GridTransfer, NearestCoarseningUndoesItsRefinement) {
  struct Case {
    index_t coarse, fine;
    GridPoints points;
  };
  for (Case const& c : {Case{32, 63, GridPoints::nodes}, Case{32, 64, GridPoints::nodes}, Case{32, 256, GridPoints::nodes},
                        Case{16, 40, GridPoints::half_open}, Case{12, 31, GridPoints::periodic}}) {
    SCOPED_TRACE(std::to_string(c.coarse) + " -> " + std::to_string(c.fine) + " " + kono::to_string(c.points));
    auto const p = kono::resampling_matrix(c.coarse, c.fine, c.points, kono::Coarsening::nearest);
    auto const r = kono::resampling_matrix(c.fine, c.coarse, c.points, kono::Coarsening::nearest);
    for (index_t i = 0; i < c.coarse; ++i) {  // (R P)(i, :) = e_i
      std::vector<double> row(std::size_t(c.coarse), 0.0);
      for (int a = 0; a < r.taps; ++a) {
        index_t const j = r.index[std::size_t(i * r.taps + a)];
        for (int b = 0; b < p.taps; ++b)
          row[std::size_t(p.index[std::size_t(j * p.taps + b)])] +=
              r.weight[std::size_t(i * r.taps + a)] * p.weight[std::size_t(j * p.taps + b)];
      }
      for (index_t k = 0; k < c.coarse; ++k) ASSERT_NEAR(row[std::size_t(k)], i == k ? 1.0 : 0.0, 1e-14) << i << "," << k;
    }
    if (c.fine == 2 * c.coarse - 1) {  // nested: the plain linear interpolation
      auto const lin = kono::resampling_matrix(c.coarse, c.fine, c.points);
      for (std::size_t e = 0; e < lin.weight.size(); ++e) EXPECT_NEAR(lin.weight[e], p.weight[e], 1e-14);
    }
  }
}

TEST(GridTransfer, AdjointMatchesTheTransposeIn1D2D3D) {
  struct Case {
    std::vector<index_t> from, to;
    std::vector<GridPoints> points;
  };
  for (Case const& c : {Case{{17}, {9}, {GridPoints::nodes}}, Case{{9, 12}, {17, 7}, {GridPoints::nodes, GridPoints::periodic}},
                        Case{{5, 6, 7}, {9, 3, 7}, {GridPoints::nodes, GridPoints::periodic, GridPoints::nodes}}}) {
    kono::GridTransfer<Space, double> const g(c.from, c.to, c.points);
    std::vector<index_t> sf{2, 3}, st{2, 3};
    for (index_t e : c.from) sf.push_back(e);
    for (index_t e : c.to) st.push_back(e);
    TensorD const x = kono::test::random_tensor(Shape(sf), 1), w = kono::test::random_tensor(Shape(st), 2);
    TensorD y("y", Shape(st)), z("z", Shape(sf));
    g.apply(exec, x, y);
    g.apply_adjoint(exec, w, z);
    EXPECT_NEAR(dot(y, w), dot(x, z), 1e-12 * (1 + std::abs(dot(y, w)))) << Shape(sf).to_string();
  }
  kono::GridTransfer<Space, double> const g({9, 9}, {17, 17}, {GridPoints::nodes, GridPoints::nodes});
  TensorD wrong("wrong", Shape{1, 1, 9, 8}), out("out", Shape{1, 1, 17, 17});
  EXPECT_KONO_ERROR(g.apply(exec, wrong, out), size_mismatch, "[1, 1, 9, 8]");
}

TEST(DiscretizedConv, KernelMapsKeepTheKernelSum) {
  for (auto d : {kono::KernelDiscretization::interpolated, kono::KernelDiscretization::integral})
    for (int k : {1, 3, 5})
      for (double r : {1.0, 0.5, 0.25, 1.0 / 3.0}) {
        int taps = 0;
        auto const m = kono::Impl::kernel_map_1d(d, k, r, taps);
        for (int t = 0; t < k; ++t) {
          double col = 0;
          for (int j = 0; j < taps; ++j) col += m[std::size_t(j * k + t)];
          EXPECT_NEAR(col, 1.0, 1e-12) << kono::to_string(d) << " k " << k << " r " << r << " tap " << t;
        }
        if (r == 1.0) {
          EXPECT_EQ(taps, k);
        }
      }
  // The box quadrature keeps the sum at any ratio, coarser and non-integer included.
  for (double r : {0.37, 2.0, 3.0}) {
    int taps = 0;
    auto const m = kono::Impl::kernel_map_1d(kono::KernelDiscretization::integral, 3, r, taps);
    for (int t = 0; t < 3; ++t) {
      double col = 0;
      for (int j = 0; j < taps; ++j) col += m[std::size_t(j * 3 + t)];
      EXPECT_NEAR(col, 1.0, 1e-12) << "r " << r;
    }
  }
}

LayerConfig dconv_config(std::string const& disc, int dim, LayerConfig padding, LayerConfig reference, int k = 3) {
  return {{"type", "discretized_conv"}, {"dim", dim},         {"in_channels", 2},   {"out_channels", 3},
          {"kernel", k},                {"padding_mode", padding}, {"discretization", disc},
          {"reference_extents", reference}};
}

TEST(DiscretizedConv, EqualsConvOnTheReferenceGrid) {
  for (std::string disc : {"differential", "interpolated", "integral"}) {
    auto d = kono::create_layer<Space, double>(dconv_config(disc, 2, "reflect", {9, 7}));
    auto c = kono::create_layer<Space, double>(
        {{"type", "conv"}, {"dim", 2}, {"in_channels", 2}, {"out_channels", 3}, {"kernel", 3}, {"padding_mode", "reflect"}});
    auto const bd = kono::test::bind_for_test(*d, 3), bc = kono::test::bind_for_test(*c, 3);
    TensorD const x = kono::test::random_tensor(Shape{2, 2, 9, 7}, 5);
    TensorD yd("yd", Shape{2, 3, 9, 7}), yc("yc", Shape{2, 3, 9, 7});
    d->forward(exec, x, yd);
    c->forward(exec, x, yc);
    auto const a = yd.to_host(), b = yc.to_host();
    for (index_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()(i), b.data()(i)) << disc << " entry " << i;
  }
}

// The stencil [0, -2, 2] on x^2 gives 2h (2x) + h^2 (2) on a grid of spacing h; the differential kernel
// gives 2h0 (2x) + h0^2 (2) on every grid (first and second derivative scaled apart), and an integral
// kernel keeps a constant's image on every grid.
TEST(DiscretizedConv, KeepsTheContinuousOperatorOnFinerGrids) {
  for (index_t n : {17, 33, 65}) {
    kono::DiscretizedConvParams p;
    p.dim = 1;
    p.in_channels = p.out_channels = 1;
    p.kernel = {3};
    p.bias = false;
    p.discretization = kono::KernelDiscretization::differential;
    p.reference_extents = {9};
    kono::DiscretizedConv<Space, double> layer(p);
    auto const b = kono::test::bind_for_test(layer);
    auto w = Kokkos::create_mirror_view(b.params);
    w(0) = 0;  // [-1, 0, 1] (odd: 2h d/dx) + [1, -2, 1] (even: h^2 d2/dx2)
    w(1) = -2;
    w(2) = 2;
    Kokkos::deep_copy(b.params, w);
    TensorD x("x", Shape{1, 1, n});
    auto xh = x.to_host();
    for (index_t i = 0; i < n; ++i) xh.data()(i) = std::pow(double(i) / double(n - 1), 2);
    x = xh.clone_to<Space>("x");
    TensorD y("y", Shape{1, 1, n});
    layer.forward(exec, x, y);
    auto const yh = y.to_host();
    double const h0 = 1.0 / 8;
    for (index_t i = 1; i + 1 < n; ++i) {
      double const xi = double(i) / double(n - 1);
      ASSERT_NEAR(yh.data()(i), 2 * h0 * 2 * xi + h0 * h0 * 2, 1e-12) << "n " << n << " node " << i;
    }
  }
  for (std::string disc : {"integral", "interpolated"}) {
    auto layer = kono::create_layer<Space, double>(dconv_config(disc, 2, "periodic", {8, 8}));
    auto const b = kono::test::bind_for_test(*layer, 4);
    TensorD y8("y8", Shape{1, 3, 8, 8}), y32("y32", Shape{1, 3, 32, 32});
    TensorD x8("x8", Shape{1, 2, 8, 8}), x32("x32", Shape{1, 2, 32, 32});
    x8.fill(1.5);
    x32.fill(1.5);
    layer->forward(exec, x8, y8);
    layer->forward(exec, x32, y32);
    auto const a = y8.to_host(), c = y32.to_host();
    for (index_t o = 0; o < 3; ++o)
      EXPECT_NEAR(a.data()(o * 64), c.data()(o * 1024 + 5 * 32 + 7), 1e-12) << disc << " channel " << o;
    int const taps = disc == "integral" ? 13 : 15;
    std::vector<int> const mapped = dynamic_cast<kono::DiscretizedConv<Space, double> const&>(*layer).mapped_kernel({32, 32});
    EXPECT_EQ(mapped, (std::vector<int>{taps, taps}));
  }
}

TEST(DiscretizedConv, GradientsOffTheReferenceGrid) {
  struct Case {
    std::string disc;
    int dim;
    LayerConfig padding, reference;
    Shape in;
  };
  for (Case const& c : {Case{"differential", 2, "zero", {5, 5}, Shape{2, 2, 9, 9}},
                        Case{"differential", 1, "reflect", {5}, Shape{1, 2, 17}},
                        Case{"interpolated", 2, {"periodic", "zero"}, {4, 5}, Shape{1, 2, 8, 9}},
                        Case{"integral", 2, "reflect", {5, 5}, Shape{1, 2, 9, 9}},
                        Case{"integral", 3, "periodic", {3, 3, 3}, Shape{1, 2, 6, 6, 5}},
                        Case{"integral", 2, "zero", {9, 9}, Shape{1, 2, 5, 5}}}) {
    SCOPED_TRACE(c.disc + " " + c.in.to_string());
    auto layer = kono::create_layer<Space, double>(dconv_config(c.disc, c.dim, c.padding, c.reference));
    auto const b = kono::test::bind_for_test(*layer, 8);
    kono::test::gradcheck(*layer, kono::test::random_tensor(c.in, 3), {1e-6, 1e-6, 1e-9, 150});
  }
}

TEST(DiscretizedConv, ConfigRoundTripAndClearErrors) {
  auto layer = kono::create_layer<Space, float>(dconv_config("differential", 2, "reflect", {16, 8}));
  LayerConfig const again = kono::create_layer<Space, float>(layer->config())->config();
  EXPECT_EQ(again, layer->config());
  LayerConfig const even = dconv_config("integral", 2, "zero", {16, 16}, 4);
  EXPECT_KONO_ERROR(make_float(even), invalid_argument, "must be odd");
  LayerConfig const spline = dconv_config("spline", 2, "zero", {16, 16});
  EXPECT_KONO_ERROR(make_float(spline), invalid_argument, "spline");
  LayerConfig no_ref = dconv_config("integral", 2, "zero", {16, 16});
  no_ref.erase("reference_extents");
  EXPECT_KONO_ERROR(make_float(no_ref), invalid_argument, "reference_extents");
  Shape const wrong_channels{1, 3, 64, 64};
  EXPECT_KONO_ERROR(layer->output_shape(wrong_channels), size_mismatch, "in_channels = 2");
}

LayerConfig mgno_config(int dim, LayerConfig padding, LayerConfig reference, LayerConfig post = 1,
                        bool fine_smoothing = false) {
  LayerConfig cfg = {{"type", "mgno_layer"}, {"dim", dim},         {"in_channels", 2},  {"out_channels", 3},
                     {"levels", 3},          {"iterations", 1},     {"post_iterations", post},
                     {"padding_mode", padding}, {"activation", "gelu"}, {"equalized_lr", true}};
  if (!reference.is_null()) cfg["reference_extents"] = reference;
  if (fine_smoothing) cfg["fine_smoothing"] = true;
  return cfg;
}

TEST(MgnoResolution, GradientsOnFinerAndCoarserGrids) {
  struct Case {
    LayerConfig padding, reference;
    Shape in;
    bool fine_smoothing;
  };
  for (Case const& c : {Case{"zero", {9, 9}, Shape{1, 2, 17, 17}, false},      // one grid above the V-cycle
                        Case{"reflect", {5, 5}, Shape{1, 2, 17, 17}, true},    // two grids above, smoothed
                        Case{"zero", {9, 9}, Shape{2, 2, 20, 18}, true},       // non-nested finer grid
                        Case{"periodic", {8, 8}, Shape{1, 2, 16, 16}, false},  // periodic
                        Case{"zero", {9, 9}, Shape{1, 2, 5, 5}, false}}) {     // coarser than training
    for (std::string pointwise : {"input", "training"}) {
      if (c.fine_smoothing && pointwise == "training") continue;  // smoothing acts on the input's grid
      SCOPED_TRACE(c.in.to_string() + " reference " + c.reference.dump() + " pointwise_grid " + pointwise);
      LayerConfig cfg = mgno_config(2, c.padding, c.reference, 1, c.fine_smoothing);
      cfg["pointwise_grid"] = pointwise;
      cfg["restriction"] = pointwise == "input" ? "average" : "sample";
      if (c.fine_smoothing) cfg["refinement"] = "linear";
      auto layer = kono::create_layer<Space, double>(cfg);
      auto const b = kono::test::bind_for_test(*layer, 12);
      kono::test::gradcheck(*layer, kono::test::random_tensor(c.in, 3), {1e-6, 1e-5, 1e-8, 120});
    }
  }
}

TEST(MgnoResolution, EqualsTheGridUnitLayerOnItsTrainingGrid) {
  auto grid = kono::create_layer<Space, double>(mgno_config(2, "zero", nullptr));
  auto consistent = kono::create_layer<Space, double>(mgno_config(2, "zero", {9, 11}));
  ASSERT_EQ(grid->num_parameters(), consistent->num_parameters());
  auto const bg = kono::test::bind_for_test(*grid, 5), bc = kono::test::bind_for_test(*consistent, 5);
  TensorD const x = kono::test::random_tensor(Shape{2, 2, 9, 11}, 6);
  TensorD yg("yg", Shape{2, 3, 9, 11}), yc("yc", Shape{2, 3, 9, 11});
  grid->forward(exec, x, yg);
  consistent->forward(exec, x, yc);
  auto const a = yg.to_host(), c = yc.to_host();
  for (index_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a.data()(i), c.data()(i), 1e-14) << "entry " << i;
}

// The same smooth input on the training grid and on grids 2x and 4x finer: the consistent layer's
// outputs agree at the shared nodes; the grid-unit layer's do not.
TEST(MgnoResolution, SmoothInputGivesTheSameOutputOnFinerGrids) {
  auto consistent = kono::create_layer<Space, double>(mgno_config(2, "zero", {17, 17}));
  auto grid = kono::create_layer<Space, double>(mgno_config(2, "zero", nullptr));
  auto const bc = kono::test::bind_for_test(*consistent, 21), bg = kono::test::bind_for_test(*grid, 21);
  auto relative_gap = [&](kono::Layer<Space, double> const& layer, index_t fine) {
    TensorD y0("y0", Shape{1, 3, 17, 17}), y1("y1", Shape{1, 3, fine, fine});
    layer.forward(exec, smooth_field(2, 17, 17), y0);
    layer.forward(exec, smooth_field(2, fine, fine), y1);
    auto const a = y0.to_host(), b = y1.to_host();
    index_t const step = (fine - 1) / 16;
    double num = 0, den = 0;
    for (index_t c = 0; c < 3; ++c)
      for (index_t i = 0; i < 17; ++i)
        for (index_t j = 0; j < 17; ++j) {
          double const u = a.data()((c * 17 + i) * 17 + j), v = b.data()((c * fine + i * step) * fine + j * step);
          num += (u - v) * (u - v);
          den += u * u;
        }
    return std::sqrt(num / den);
  };
  double const c2 = relative_gap(*consistent, 33), c4 = relative_gap(*consistent, 65);
  double const g2 = relative_gap(*grid, 33);

  EXPECT_LT(c2, 0.01);
  EXPECT_LT(c4, 0.01);
  EXPECT_GT(g2, 4 * c2) << "the grid-unit layer should change much more across grids";
}

TEST(MgnoResolution, ConfigKeepsTheReferenceAndOldConfigsLoadAsGridUnits) {
  auto layer = kono::create_layer<Space, float>(mgno_config(2, "zero", {32, 32}));
  EXPECT_EQ(layer->config().at("reference_extents"), LayerConfig({32, 32}));
  auto old = kono::create_layer<Space, float>(mgno_config(2, "zero", nullptr));
  EXPECT_FALSE(old->config().contains("reference_extents"));
  Shape const uneven{1, 2, 64, 32}, mixed{1, 2, 64, 16};
  EXPECT_KONO_ERROR(layer->output_shape(uneven), size_mismatch, "unevenly");
  for (auto const& [key, bad] : std::vector<std::pair<std::string, std::string>>{
           {"grid", "cells"}, {"restriction", "bilinear"}, {"pointwise_grid", "fine"}, {"refinement", "cubic"}}) {
    LayerConfig cfg = mgno_config(2, "zero", {32, 32});
    cfg[key] = bad;
    EXPECT_KONO_ERROR(make_float(cfg), invalid_argument, bad);
  }
  LayerConfig no_reference = mgno_config(2, "zero", nullptr, 1, true);
  EXPECT_KONO_ERROR(make_float(no_reference), invalid_argument, "fine_smoothing needs reference_extents");
  LayerConfig smoothing = mgno_config(2, "zero", {32, 32}, 1, true);
  smoothing["pointwise_grid"] = "training";
  EXPECT_KONO_ERROR(make_float(smoothing), invalid_argument, "needs pointwise_grid = input");
  EXPECT_KONO_ERROR(layer->output_shape(mixed), size_mismatch, "finer than the training grid");
}
}  // namespace
