// Basic layers: forward against direct reference computations, gradient checks in double,
// registry and configuration round trips, errors.
#include <algorithm>
#include <cmath>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/activation.hpp>
#include <kono/operators/layers/grid_embedding.hpp>
#include <kono/operators/layers/linear.hpp>
#include <kono/operators/layers/sequential.hpp>
#include <kono/operators/layers/soft_gating.hpp>

#include "support/gradcheck.hpp"

namespace {
using kono::Shape;
using kono::test::bind_for_test;
using kono::test::gradcheck;
using kono::test::GradLayer;
using kono::test::GradSpace;
using kono::test::GradTensor;
using kono::test::random_tensor;
using Exec = GradSpace::execution_space;

GradTensor run(GradLayer const& l, GradTensor const& x) {
  GradTensor y("y", l.output_shape(x.shape()));
  l.forward(Exec{}, x, y);
  return y;
}

TEST(Linear, ForwardMatchesDirectSum) {
  for (auto in : {Shape{2, 3, 5}, Shape{3, 3}, Shape{1, 3, 4, 3}}) {
    kono::Linear<GradSpace, double> lin(3, 4);
    auto b = bind_for_test(lin, 11);
    auto x = random_tensor(in, 3);
    auto y = run(lin, x).to_host();
    auto xh = x.to_host();
    auto p = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b.params);
    kono::index_t const n = in[0], pts = in.size() / (in[0] * 3);
    for (kono::index_t s = 0; s < n; ++s)
      for (int o = 0; o < 4; ++o)
        for (kono::index_t q = 0; q < pts; ++q) {
          double ref = p(12 + o);
          for (int i = 0; i < 3; ++i) ref += p(o * 3 + i) * xh.data()((s * 3 + i) * pts + q);
          EXPECT_NEAR(y.data()((s * 4 + o) * pts + q), ref, 1e-13) << in.to_string();
        }
  }
}

TEST(Linear, InitialisationIsPyTorchsBoundAndDeterministic) {
  kono::Linear<GradSpace, double> a(16, 8), c(16, 8);
  auto pa = bind_for_test(a, 5);
  auto pc = bind_for_test(c, 5);
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, pa.params);
  auto hc = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, pc.params);
  double maxabs = 0;
  for (std::size_t i = 0; i < ha.extent(0); ++i) {
    EXPECT_EQ(ha(i), hc(i));
    maxabs = std::max(maxabs, std::abs(ha(i)));
  }
  EXPECT_LE(maxabs, 0.25);  // 1/sqrt(16)
  EXPECT_GT(maxabs, 0.2);   // and actually spread over the range
}

TEST(Linear, Gradients) {
  for (bool bias : {true, false})
    for (auto in : {Shape{2, 3, 5}, Shape{3, 3}, Shape{2, 3, 3, 4}}) {
      kono::Linear<GradSpace, double> lin(3, 2, bias);
      auto b = bind_for_test(lin);
      gradcheck(lin, random_tensor(in, 9));
    }
}

TEST(Activation, ValuesAndGradients) {
  auto x = random_tensor(Shape{2, 3, 7}, 21, -3.0, 3.0);
  auto xh = x.to_host();
  for (auto kind : {kono::ActivationKind::gelu, kono::ActivationKind::relu, kono::ActivationKind::tanh,
                    kono::ActivationKind::silu}) {
    kono::Activation<GradSpace, double> act(kind);
    auto y = run(act, x).to_host();
    for (kono::index_t i = 0; i < x.size(); ++i) {
      double const v = xh.data()(i);
      double ref = 0;
      switch (kind) {
        case kono::ActivationKind::gelu: ref = 0.5 * v * std::erfc(-v / std::sqrt(2.0)); break;
        case kono::ActivationKind::relu: ref = v > 0 ? v : 0; break;
        case kono::ActivationKind::tanh: ref = std::tanh(v); break;
        case kono::ActivationKind::silu: ref = v / (1 + std::exp(-v)); break;
      }
      EXPECT_NEAR(y.data()(i), ref, 1e-14) << kono::to_string(kind) << " at " << v;
    }
    gradcheck(act, x);
  }
  EXPECT_KONO_ERROR((kono::activation_from_string("gleu")), invalid_argument, "did you mean \"gelu\"");
}

// Float GELU has its own erf (a rational approximation, no libm): its value and derivative
// must match the exact double GELU everywhere, tails and 0 included, to 2e-6 (1 + |y|): the
// approximation's absolute error of 5e-7 in erf is what remains of 1 + erf in the negative tail.
TEST(Activation, FloatGeluMatchesDoubleOverTheRealLine) {
  kono::index_t const n = 4001;
  kono::Tensor<GradSpace, float> xf("xf", Shape{1, 1, n}), yf("yf", Shape{1, 1, n}), dyf("dyf", Shape{1, 1, n}),
      dxf("dxf", Shape{1, 1, n});
  auto xh = xf.to_host();
  auto dyh = dyf.to_host();
  for (kono::index_t i = 0; i < n; ++i) {
    xh.data()(i) = -10.0f + 20.0f * float(i) / float(n - 1);
    dyh.data()(i) = 1.0f;
  }
  xf.copy_from(xh);
  dyf.copy_from(dyh);
  kono::Activation<GradSpace, float> act(kono::ActivationKind::gelu);
  auto ctx = act.forward(Exec{}, xf, yf);
  act.backward(Exec{}, *ctx, dyf, &dxf, kono::GradientMode::ignore);
  auto yh = yf.to_host();
  auto dxh = dxf.to_host();
  double worst_value = 0, worst_derivative = 0;
  for (kono::index_t i = 0; i < n; ++i) {
    double const v = double(xh.data()(i));
    double const ref = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
    double const dref = 0.5 * std::erfc(-v / std::sqrt(2.0)) + v * std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI);
    worst_value = std::max(worst_value, std::abs(yh.data()(i) - ref) / (1 + std::abs(ref)));
    worst_derivative = std::max(worst_derivative, std::abs(dxh.data()(i) - dref));
  }
  EXPECT_LT(worst_value, 2e-6);
  EXPECT_LT(worst_derivative, 2e-6);
}

TEST(SoftGating, StartsAsIdentityAndHasGradients) {
  kono::SoftGating<GradSpace, double> g(3, true);
  auto b = bind_for_test(g);
  auto x = random_tensor(Shape{2, 3, 4, 5}, 1);
  auto y = run(g, x).to_host();
  auto xh = x.to_host();
  for (kono::index_t i = 0; i < x.size(); ++i) EXPECT_EQ(y.data()(i), xh.data()(i));
  kono::fill_uniform(b.params, 0.5, 1.5, 3);  // move away from the identity before checking
  gradcheck(g, x);
}

TEST(GridEmbedding, AppendsCoordinatesAtAnyResolution) {
  kono::GridEmbedding<GradSpace, double> emb(1, 2);
  for (kono::index_t n : {16, 7}) {
    auto x = random_tensor(Shape{2, 1, n, n + 1}, 2);
    auto y = run(emb, x);
    ASSERT_EQ(y.shape(), (Shape{2, 3, n, n + 1}));
    auto v = y.to_host().view<4>();
    for (kono::index_t i = 0; i < n; ++i)
      for (kono::index_t j = 0; j <= n; ++j) {
        EXPECT_DOUBLE_EQ(v(1, 1, i, j), double(i) / n);
        EXPECT_DOUBLE_EQ(v(1, 2, i, j), double(j) / (n + 1));
        EXPECT_EQ(v(1, 0, i, j), x.to_host().view<4>()(1, 0, i, j));
      }
  }
  gradcheck(emb, random_tensor(Shape{2, 1, 5, 3}, 4));
  EXPECT_KONO_ERROR((emb.output_shape(Shape{2, 1, 5})), size_mismatch, "2 spatial axes");
}

TEST(Containers, SequentialResidualAndChannelMlpGradients) {
  auto mlp = kono::make_channel_mlp<GradSpace, double>(3, 5, 2);
  auto bm = bind_for_test(*mlp);
  EXPECT_EQ(mlp->num_parameters(), std::size_t(3 * 5 + 5 + 5 * 2 + 2));
  gradcheck(*mlp, random_tensor(Shape{2, 3, 6}, 8));

  std::vector<std::unique_ptr<GradLayer>> body;
  body.push_back(std::make_unique<kono::Linear<GradSpace, double>>(3, 3));
  body.push_back(std::make_unique<kono::Activation<GradSpace, double>>(kono::ActivationKind::tanh));
  kono::Residual<GradSpace, double> identity_skip(std::make_unique<kono::Sequential<GradSpace, double>>(std::move(body)));
  auto bi = bind_for_test(identity_skip);
  gradcheck(identity_skip, random_tensor(Shape{2, 3, 4}, 6));

  kono::Residual<GradSpace, double> linear_skip(std::make_unique<kono::Linear<GradSpace, double>>(3, 2),
                                                std::make_unique<kono::Linear<GradSpace, double>>(3, 2, false));
  auto bl = bind_for_test(linear_skip);
  gradcheck(linear_skip, random_tensor(Shape{2, 3, 4}, 7));
  auto const slices = linear_skip.parameter_slices();
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(slices[0].name, "body.weight");
  EXPECT_EQ(slices[2].name, "skip.weight");
  EXPECT_EQ(slices[2].offset, 8u);
  EXPECT_KONO_ERROR((kono::Residual<GradSpace, double>(std::make_unique<kono::Linear<GradSpace, double>>(3, 2)).output_shape(
                        Shape{1, 3, 4})),
                    size_mismatch, "skip path gives [1, 3, 4]");
}

TEST(Registry, ConfigRoundTripRebuildsTheSameFunction) {
  kono::LayerConfig const cfg = {
      {"type", "sequential"},
      {"layers",
       {{{"type", "grid_embedding"}, {"in_channels", 1}, {"dim", 1}},
        {{"type", "channel_mlp"}, {"in_channels", 2}, {"hidden_channels", 4}, {"out_channels", 3}},
        {{"type", "gelu"}},
        {{"type", "residual"}, {"body", {{"type", "linear"}, {"in_channels", 3}, {"out_channels", 3}}}},
        {{"type", "soft_gating"}, {"channels", 3}}}}};
  auto a = kono::create_layer<GradSpace, double>(cfg);
  auto b = kono::create_layer<GradSpace, double>(a->config());
  EXPECT_EQ(a->config(), b->config());
  auto pa = bind_for_test(*a, 99);
  auto pb = bind_for_test(*b, 99);
  auto x = random_tensor(Shape{2, 1, 9}, 1);
  auto ya = run(*a, x).to_host();
  auto yb = run(*b, x).to_host();
  ASSERT_EQ(ya.shape(), (Shape{2, 3, 9}));
  for (kono::index_t i = 0; i < ya.size(); ++i) EXPECT_EQ(ya.data()(i), yb.data()(i));
  gradcheck(*a, x);
}

TEST(Registry, UnknownTypesAndBadConfigsNameTheProblem) {
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"type", "lnear"}}, "model.h5")), invalid_argument,
                    "(model.h5): unknown layer type \"lnear\"");
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"type", "lnear"}})), invalid_argument, "did you mean \"linear\"");
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"in_channels", 3}})), invalid_argument, "needs a string \"type\"");
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"type", "linear"}, {"in_channels", 3}})), invalid_argument,
                    "missing key \"out_channels\"");
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"type", "linear"}, {"in_channels", "x"}, {"out_channels", 2}})),
                    invalid_argument, "key \"in_channels\" has the wrong type");
  EXPECT_KONO_ERROR((kono::Linear<GradSpace, double>(0, 2)), invalid_argument, "in_channels=0");
}

TEST(Layer, ValidatesShapesAndBinding) {
  kono::Linear<GradSpace, double> lin(3, 2);
  GradTensor x("x", Shape{2, 3, 4}), y("y", Shape{2, 2, 4}), bad("bad", Shape{2, 3, 4});
  EXPECT_KONO_ERROR((lin.forward(Exec{}, x, y)), wrong_state, "parameters are not bound");
  auto b = bind_for_test(lin);
  EXPECT_KONO_ERROR((lin.forward(Exec{}, x, bad)), size_mismatch, "output \"bad\" has shape [2, 3, 4], expected [2, 2, 4]");
  EXPECT_KONO_ERROR((lin.forward(Exec{}, GradTensor("x4", Shape{2, 4, 4}), y)), size_mismatch,
                    "input shape [2, 4, 4] does not match [N, 3");
  Kokkos::View<double*, GradSpace> small("small", 3);
  EXPECT_KONO_ERROR((lin.bind_parameters(GradLayer::param_view(small.data(), 3), GradLayer::param_view(small.data(), 3))),
                    size_mismatch, "has 8 parameters");
}

TEST(Layer, FloatMatchesDoubleToSinglePrecision) {
  auto lf = kono::make_channel_mlp<GradSpace, float>(2, 8, 1);
  auto ld = kono::make_channel_mlp<GradSpace, double>(2, 8, 1);
  Kokkos::View<float*, GradSpace> pf("pf", lf->num_parameters()), gf("gf", lf->num_parameters());
  using PF = kono::Layer<GradSpace, float>::param_view;
  lf->bind_parameters(PF(pf.data(), pf.extent(0)), PF(gf.data(), gf.extent(0)));
  lf->initialize_parameters(3);
  auto bd = bind_for_test(*ld, 3);
  auto xd = random_tensor(Shape{2, 2, 5}, 1);
  kono::Tensor<GradSpace, float> xf("xf", xd.shape());
  auto xdh = xd.to_host();
  auto xfh = xf.to_host();
  for (kono::index_t i = 0; i < xd.size(); ++i) xfh.data()(i) = float(xdh.data()(i));
  xf.copy_from(xfh);
  kono::Tensor<GradSpace, float> yf("yf", Shape{2, 1, 5});
  lf->forward(Exec{}, xf, yf);
  auto yd = run(*ld, xd).to_host();
  auto yfh = yf.to_host();
  for (kono::index_t i = 0; i < yd.size(); ++i) EXPECT_NEAR(yfh.data()(i), yd.data()(i), 1e-5);
}
}  // namespace

namespace {
TEST(Linear, PortableKernelsMatchBlasAndHaveGradients) {
  for (bool bias : {true, false})
    for (auto in : {Shape{2, 3, 5}, Shape{3, 3}, Shape{2, 3, 3, 4}}) {
      kono::Linear<GradSpace, double> blas(3, 2, bias), portable(3, 2, bias);
      portable.use_portable_kernels(true);
      auto b1 = bind_for_test(blas, 4);
      auto b2 = bind_for_test(portable, 4);
      auto x = random_tensor(in, 6);
      auto y1 = run(blas, x).to_host();
      auto y2 = run(portable, x).to_host();
      for (kono::index_t i = 0; i < y1.size(); ++i) EXPECT_NEAR(y1.data()(i), y2.data()(i), 1e-14);
      gradcheck(portable, x);
    }
}
}  // namespace

#include <kono/operators/model_registry.hpp>

namespace {
TEST(ModelRegistry, BuildsRegisteredModelsAndNamesBadOptions) {
  auto m = kono::create_model<GradSpace, double>("mlp", {{"in_channels", 1}, {"dim", 2}, {"hidden_channels", 8}}, 5);
  EXPECT_EQ(m.model_type(), "mlp");
  EXPECT_EQ(m.output_shape(Shape{3, 1, 16, 16}), (Shape{3, 1, 16, 16}));
  EXPECT_EQ(m.num_parameters(), std::size_t(3 * 8 + 8 + 8 * 8 + 8 + 8 * 1 + 1));
  auto again = kono::create_model<GradSpace, double>("mlp", {{"in_channels", 1}, {"dim", 2}, {"hidden_channels", 8}}, 5);
  auto a = kono::test::snapshot(m.parameters());
  auto b = kono::test::snapshot(again.parameters());
  for (std::size_t i = 0; i < a.extent(0); ++i) EXPECT_EQ(a(i), b(i));  // seed alone decides
  EXPECT_THAT(kono::registered_model_types(), ::testing::Contains("mlp"));
  EXPECT_KONO_ERROR((kono::create_model<GradSpace, double>("mpl", {}, 1)), invalid_argument,
                    "unknown model type \"mpl\" (--model.type); known: fno, learned_stencil, mgno, mlp, tsm; did you mean \"mlp\"?");
  EXPECT_KONO_ERROR((kono::create_model<GradSpace, double>("mlp", {{"hiden_channels", 4}}, 1)), invalid_argument,
                    "unknown option \"model.hiden_channels\"; known: ");
}
}  // namespace
