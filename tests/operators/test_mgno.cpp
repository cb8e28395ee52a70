// MgNO: the V-cycle layer (gradients for every padding mode on odd / 2^k+1 / non-square grids,
// 1D and 3D), its reduction to act(b(x)) when the V-cycle weights vanish, the model family
// (parameter count formula, options, gradients, save/load) and steady-state allocations.
#include <cmath>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/mgno.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/model_registry.hpp>

#include "support/gradcheck.hpp"
#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::LayerConfig;
using kono::Shape;
using MgnoD = kono::MgnoLayer<Space, double>;

LayerConfig layer_config(int dim, int cf, int cu, int levels, LayerConfig iterations, LayerConfig post,
                         LayerConfig padding, std::string const& act = "gelu") {
  return {{"type", "mgno_layer"}, {"dim", dim},          {"in_channels", cf},       {"out_channels", cu},
          {"levels", levels},     {"iterations", iterations}, {"post_iterations", post}, {"padding_mode", padding},
          {"activation", act}};
}

// Every padding mode (and a mixed one) on odd, 2^k+1 and non-square grids, with several
// smoothing steps (A_l used repeatedly) and post-smoothing.
TEST(Mgno, LayerGradientsForEveryPaddingModeAndOddSizes) {
  struct Case {
    LayerConfig padding;
    Shape in;
  };
  for (Case const& c : {Case{"zero", Shape{2, 2, 7, 5}}, Case{"periodic", Shape{1, 2, 9, 9}},
                        Case{"reflect", Shape{1, 2, 6, 9}}, Case{LayerConfig{"zero", "reflect"}, Shape{1, 2, 5, 8}},
                        Case{LayerConfig{"periodic", "zero"}, Shape{1, 2, 8, 8}}}) {
    SCOPED_TRACE("padding " + c.padding.dump() + " input " + c.in.to_string());
    auto layer = kono::create_layer<Space, double>(layer_config(2, 2, 3, 3, {2, 1, 2}, {1, 1, 0}, c.padding));
    auto const bound = kono::test::bind_for_test(*layer, 5);
    kono::test::gradcheck(*layer, kono::test::random_tensor(c.in, 3), {1e-6, 1e-5, 1e-8, 150});
  }
}

TEST(Mgno, LayerGradients1DAnd3DAndResidualOff) {
  {
    auto layer = kono::create_layer<Space, double>(layer_config(1, 2, 2, 3, 1, 1, "reflect"));
    auto const bound = kono::test::bind_for_test(*layer, 6);
    kono::test::gradcheck(*layer, kono::test::random_tensor(Shape{2, 2, 11}, 4), {1e-6, 1e-5, 1e-8, 150});
  }
  {
    auto layer = kono::create_layer<Space, double>(layer_config(3, 1, 2, 2, {1, 1}, 0, "periodic", "tanh"));
    auto const bound = kono::test::bind_for_test(*layer, 7);
    kono::test::gradcheck(*layer, kono::test::random_tensor(Shape{1, 1, 3, 4, 5}, 5), {1e-6, 1e-5, 1e-8, 100});
  }
  {
    LayerConfig cfg = layer_config(2, 1, 2, 3, {1, 0, 2}, 0, "zero", "none");
    cfg["restrict_residual"] = false;
    auto layer = kono::create_layer<Space, double>(cfg);
    auto const bound = kono::test::bind_for_test(*layer, 8);
    kono::test::gradcheck(*layer, kono::test::random_tensor(Shape{2, 1, 6, 7}, 6), {1e-6, 1e-5, 1e-8, 150});
  }
}

// With every V-cycle weight zero (A, S, Pi, R, RT) the layer is act(b(x)).
TEST(Mgno, ZeroVcycleReducesToActivatedPointwiseConv) {
  auto layer = kono::create_layer<Space, double>(layer_config(2, 2, 3, 3, {2, 1, 1}, {1, 0, 0}, "reflect"));
  auto const bound = kono::test::bind_for_test(*layer, 9);
  auto params = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, bound.params);
  std::size_t b_end = 0;
  for (auto const& s : layer->parameter_slices())
    if (s.name.rfind("b.", 0) == 0) b_end = std::max(b_end, s.offset + std::size_t(s.shape.size()));
  for (std::size_t i = b_end; i < params.extent(0); ++i) params(i) = 0;
  Kokkos::deep_copy(bound.params, params);
  Shape const in{2, 2, 7, 6};
  auto const x = kono::test::random_tensor(in, 1);
  kono::Tensor<Space, double> y("y", layer->output_shape(in));
  layer->forward(Space::execution_space{}, x, y);
  auto const xh = x.to_host(), yh = y.to_host();
  // b: weight [3, 2, 1, 1] then bias [3], the first parameters.
  for (int n = 0; n < 2; ++n)
    for (int a = 0; a < 3; ++a)
      for (int p = 0; p < 42; ++p) {
        double v = params(std::size_t(6 + a));
        for (int c = 0; c < 2; ++c) v += params(std::size_t(a * 2 + c)) * xh.data()((n * 2 + c) * 42 + p);
        double const expected = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
        ASSERT_NEAR(yh.data()((n * 3 + a) * 42 + p), expected, 1e-12) << "n " << n << " channel " << a << " point " << p;
      }
}

// One level, one step, no activation: y = S x + b x, i.e. two convolutions summed.
TEST(Mgno, SingleLevelIsOneSmoothingConvPlusPointwise) {
  auto layer = kono::create_layer<Space, double>(layer_config(2, 2, 3, 1, 1, 0, "periodic", "none"));
  auto const bound = kono::test::bind_for_test(*layer, 10);
  auto const& mg = dynamic_cast<MgnoD const&>(*layer);
  ASSERT_EQ(mg.roles().S.at(0).size(), 1u);
  EXPECT_EQ(mg.roles().A.at(0), -1);  // the first step on level 0 needs no A
  Shape const in{1, 2, 5, 7};
  auto const x = kono::test::random_tensor(in, 2);
  kono::Tensor<Space, double> y("y", layer->output_shape(in)), s("s", y.shape()), b("b", y.shape());
  layer->forward(Space::execution_space{}, x, y);
  mg.child(mg.roles().S[0][0]).forward(Space::execution_space{}, x, s);
  mg.child(mg.roles().b).forward(Space::execution_space{}, x, b);
  auto const yh = y.to_host(), sh = s.to_host(), bh = b.to_host();
  for (kono::index_t i = 0; i < yh.size(); ++i) ASSERT_NEAR(yh.data()(i), sh.data()(i) + bh.data()(i), 1e-13);
}

// Parameters of one layer with f input and c hidden channels, L levels, nu pre-smoothing steps
// per level and `post` post-smoothing steps on every level but the coarsest.
std::size_t layer_parameters(std::size_t f, std::size_t c, std::size_t L, std::size_t nu, std::size_t post) {
  std::size_t const b = f * c + c;
  std::size_t const A = L * 9 * c * f;  // one per level (used by the residual restriction)
  std::size_t const S = (L * nu + (L - 1) * post) * 9 * f * c;
  std::size_t const transfer = (L - 1) * (9 * c * c + 9 * f * f + 16 * c * c);  // Pi, R, RT
  return b + A + S + transfer;
}

TEST(Mgno, DefaultParameterCountFollowsTheFormulaAndFitsTheFnoBudget) {
  auto model = kono::create_model<Space, float>("mgno", {{"reference_resolution", 16}}, 1);
  // Defaults: 1 -> 1 channel plus 2 grid coordinates (positional embedding, no parameters) into
  // the first layer, hidden 13, 6 layers, 4 levels, 1 pre- and 1 post-smoothing step per level,
  // 3x3 projection.
  std::size_t const expected = layer_parameters(3, 13, 4, 1, 1) + 5 * layer_parameters(13, 13, 4, 1, 1) + (9 * 13 + 1);
  EXPECT_EQ(model.num_parameters(), expected);
  EXPECT_EQ(expected, 187704u);
  EXPECT_LE(model.num_parameters(), 191881u);  // the FNO Darcy tutorial configuration
  auto other = kono::create_model<Space, float>(
      "mgno",
      {{"hidden_channels", 5}, {"layers", 2}, {"levels", 3}, {"iterations", 2}, {"post_iterations", 0}, {"in_channels", 2},
       {"positional_embedding", false}, {"discretization", "grid"}},
      1);
  EXPECT_EQ(other.num_parameters(), layer_parameters(2, 5, 3, 2, 0) + layer_parameters(5, 5, 3, 2, 0) + (9 * 5 + 1));
  // With the embedding the first layer sees in_channels + dim channels.
  auto embedded = kono::create_model<Space, float>(
      "mgno", {{"hidden_channels", 5}, {"layers", 2}, {"levels", 3}, {"iterations", 2}, {"post_iterations", 0}, {"in_channels", 2},
               {"reference_resolution", {32, 24}}},
      1);
  EXPECT_EQ(embedded.num_parameters(), layer_parameters(4, 5, 3, 2, 0) + layer_parameters(5, 5, 3, 2, 0) + (9 * 5 + 1));
}

TEST(Mgno, OptionsAreCheckedWithClearErrors) {
  EXPECT_KONO_ERROR(kono::model_architecture("mgno", {{"level", 3}}), invalid_argument, "did you mean \"levels\"");
  EXPECT_KONO_ERROR(kono::model_architecture("mgno", {{"levels", 3}, {"iterations", {1, 1}}}), invalid_argument,
                    "--model.iterations has 2 values for --model.levels=3");
  EXPECT_KONO_ERROR(kono::model_architecture("mgno", {{"padding", "dirichlet"}}), invalid_argument, "padding");
  EXPECT_KONO_ERROR(kono::model_architecture("mgno", {{"padding", {"zero", "zero", "zero"}}}), invalid_argument,
                    "3 values for a 2D problem");
  EXPECT_KONO_ERROR((kono::create_layer<Space, double>(layer_config(2, 1, 2, 2, {0, 1}, 0, "zero"))), invalid_argument,
                    "iterations[0] must be >= 1");
  EXPECT_KONO_ERROR(kono::model_architecture("mgno", LayerConfig::object()), invalid_argument,
                    "--model.discretization=consistent needs --model.reference_resolution");
  EXPECT_KONO_ERROR(kono::model_architecture("mgno", {{"discretization", "fine"}}), invalid_argument,
                    "--model.discretization must be consistent or grid");
  auto reflect =
      kono::create_model<Space, float>("mgno", {{"padding", "reflect"}, {"levels", 4}, {"discretization", "grid"}}, 1);
  EXPECT_NO_THROW(reflect.output_shape(Shape{1, 1, 16, 16}));  // 16, 8, 4, 2
  EXPECT_KONO_ERROR(reflect.output_shape(Shape{1, 1, 16, 7}), size_mismatch, "reflect padding needs extent >= 2");
}

// Grid-unit models on their grid; resolution-consistent ones (projection a discretized_conv) on a
// grid twice as fine as their training grid.
TEST(Mgno, WholeModelGradients) {
  for (LayerConfig const& padding : {LayerConfig("zero"), LayerConfig("periodic"), LayerConfig("reflect")})
    for (bool consistent : {false, true}) {
      SCOPED_TRACE("padding " + padding.dump() + (consistent ? " consistent" : " grid"));
      LayerConfig opt{{"in_channels", 2},     {"out_channels", 1}, {"hidden_channels", 3}, {"layers", 2},
                      {"levels", 3},          {"iterations", {1, 2, 1}}, {"post_iterations", {1, 0, 0}},
                      {"padding", padding}, {"discretization", consistent ? "consistent" : "grid"}};
      if (consistent) opt["reference_resolution"] = {7, 6};
      auto model = kono::create_model<Space, double>("mgno", opt, 11);
      Shape const in = consistent ? Shape{1, 2, 13, 11} : Shape{2, 2, 7, 6};
      kono::test::gradcheck(model.root(), kono::test::random_tensor(in, 5), {1e-6, 1e-5, 1e-8, 150});
    }
}

TEST(Mgno, SaveLoadGivesIdenticalPredictions) {
  kono::test::TempDir dir("mgno_io");
  auto model = kono::create_model<Space, float>(
      "mgno",
      {{"hidden_channels", 4}, {"layers", 2}, {"levels", 3}, {"padding", {"zero", "periodic"}}, {"reference_resolution", {6, 5}}},
      9);
  kono::save_model(dir.file("m.h5"), model, {}, MPI_COMM_SELF);
  auto loaded = kono::load_model<Space, float>(dir.file("m.h5"), MPI_COMM_SELF);
  EXPECT_EQ(loaded.model.model_type(), "mgno");
  EXPECT_EQ(loaded.model.architecture(), model.architecture());
  // Between MgNO layers the refinement goes through the knots; the last layer's is linear.
  LayerConfig const arch = model.architecture();
  LayerConfig const& net = arch.at("layers");
  EXPECT_EQ(net.at(1).at("refinement"), "knots");
  EXPECT_EQ(net.at(2).at("refinement"), "linear");
  EXPECT_EQ(loaded.model.num_parameters(), model.num_parameters());
  auto const xd = kono::test::random_tensor(Shape{3, 1, 11, 10}, 2).to_host();
  kono::Tensor<kono::HostSpace, float> xh("x", xd.shape());
  for (kono::index_t i = 0; i < xd.size(); ++i) xh.data()(i) = float(xd.data()(i));
  auto const x = xh.clone_to<Space>("x");
  auto const a = model.predict(x).to_host(), b = loaded.model.predict(x).to_host();
  for (kono::index_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()(i), b.data()(i)) << "at " << i;
}

int g_allocations = 0;
void count_allocation(Kokkos::Profiling::SpaceHandle, char const*, void const*, std::uint64_t) { ++g_allocations; }

// After the first forward/backward of a shape, a step reuses every buffer.
TEST(Mgno, SteadyStateForwardBackwardAllocatesNothing) {
  for (bool consistent : {false, true}) {  // consistent: on a grid twice as fine as its training grid
  SCOPED_TRACE(consistent ? "consistent" : "grid");
  LayerConfig opt{{"hidden_channels", 4}, {"layers", 2}, {"levels", 3}, {"discretization", "grid"}};
  if (consistent) opt = {{"hidden_channels", 4}, {"layers", 2}, {"levels", 3}, {"reference_resolution", {5, 8}}};
  auto model = kono::create_model<Space, float>("mgno", opt, 3);
  using T = kono::Tensor<Space, float>;
  Shape const in = consistent ? Shape{2, 1, 9, 16} : Shape{2, 1, 9, 8};
  T x("x", in), y("y", model.root().output_shape(in)), dy("dy", y.shape()), dx("dx", in);
  x.fill(0.5f);
  dy.fill(1.0f);
  auto const space = Space::execution_space{};
  auto step = [&] {
    auto ctx = model.root().forward(space, x, y);
    model.root().backward(space, *ctx, dy, &dx, kono::GradientMode::overwrite);
  };
  step();
  g_allocations = 0;
  Kokkos::Tools::Experimental::set_allocate_data_callback(count_allocation);
  step();
  step();
  Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
  EXPECT_EQ(g_allocations, 0) << "Kokkos allocations in steady-state MgNO forward/backward";
  Kokkos::Tools::Experimental::set_allocate_data_callback(count_allocation);
  { T probe("probe", Shape{4}); }
  Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
  EXPECT_EQ(g_allocations, 1) << "allocation callback not called";
  }
}

// A model file written before resolution-consistent MgNO (tests/data/mgno_grid_units_v1.h5: kono at
// a61ec15, darcy_16, 1 layer, hidden 2, 2 levels) loads as a grid-unit model with its old architecture.
TEST(Mgno, ModelFilesFromBeforeResolutionConsistencyLoad) {
  auto loaded = kono::load_model<Space, float>(KONO_TEST_DATA_DIR "/mgno_grid_units_v1.h5", MPI_COMM_SELF);
  EXPECT_EQ(loaded.model.model_type(), "mgno");
  std::string const arch = loaded.model.architecture().dump();
  EXPECT_EQ(arch.find("reference_extents"), std::string::npos) << arch;
  EXPECT_EQ(arch.find("discretized_conv"), std::string::npos) << arch;
  EXPECT_EQ(loaded.model.num_parameters(), 478u);
  EXPECT_NO_THROW(loaded.model.output_shape(Shape{1, 1, 16, 16}));
}
}  // namespace
namespace {
// Small V-cycles one feature at a time: one level, repeated A, an empty coarse level, f vs residual restriction.
TEST(Mgno, SmallConfigurationGradients) {
  struct C { int levels; LayerConfig it; bool res; };
  for (C c : {C{1, 1, true}, C{1, 2, true}, C{2, {1, 0}, false}, C{2, {1, 0}, true}, C{2, {1, 1}, false}}) {
    SCOPED_TRACE(std::to_string(c.levels) + " " + c.it.dump() + " " + std::to_string(c.res));
    LayerConfig cfg = layer_config(2, 1, 2, c.levels, c.it, 0, "zero", "none");
    cfg["restrict_residual"] = c.res;
    auto layer = kono::create_layer<Space, double>(cfg);
    auto const bound = kono::test::bind_for_test(*layer, 8);
    kono::test::gradcheck(*layer, kono::test::random_tensor(Shape{1, 1, 4, 4}, 6), {1e-6, 1e-5, 1e-8, 40});
  }
}
}  // namespace
