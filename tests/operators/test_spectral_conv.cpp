// SpectralConv: forward against a direct DFT sum, gradient checks, resolution invariance,
// parameter layout and count, initialisation, configuration and errors.
#include <cmath>
#include <complex>
#include <vector>

#include <kono/operators/layers/spectral_conv.hpp>

#include "operators/spectral_reference.hpp"
#include "support/gradcheck.hpp"

namespace {
using kono::index_t;
using kono::Shape;
using kono::test::bind_for_test;
using kono::test::gradcheck;
using kono::test::GradSpace;
using kono::test::GradTensor;
using kono::test::random_tensor;
using Exec = GradSpace::execution_space;
using Spectral = kono::SpectralConv<GradSpace, double>;
using kono::test::reference;
constexpr double two_pi = kono::test::two_pi;

GradTensor run(Spectral const& l, GradTensor const& x) {
  GradTensor y("y", l.output_shape(x.shape()));
  l.forward(Exec{}, x, y);
  return y;
}

template <class View>
std::vector<double> to_vector(View const& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

struct Case {
  Shape in;
  std::vector<int> modes;
};

std::vector<Case> forward_cases() {
  return {{Shape{2, 2, 7}, {5}},           {Shape{2, 2, 16}, {8}},          {Shape{2, 2, 8}, {8}},
          {Shape{2, 2, 9, 5}, {4, 4}},     {Shape{2, 2, 16, 16}, {8, 8}},   {Shape{2, 2, 8, 8}, {8, 8}},
          {Shape{2, 2, 7, 6}, {5, 6}},     {Shape{2, 2, 5, 4, 6}, {4, 3, 6}}, {Shape{1, 2, 4, 3, 2}, {3, 3, 2}}};
}

TEST(SpectralConv, ForwardMatchesDirectDft) {
  for (auto const& c : forward_cases()) {
    Spectral layer(2, 3, c.modes);
    auto b = bind_for_test(layer, 13);
    auto x = random_tensor(c.in, 5);
    auto y = to_vector(run(layer, x).data());
    auto ref = reference(c.in, 3, c.modes, to_vector(b.params), to_vector(x.data()));
    ASSERT_EQ(y.size(), ref.size());
    double scale = 0;
    for (double v : ref) scale = std::max(scale, std::abs(v));
    EXPECT_GT(scale, 0.1);
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 1e-12 * (1 + scale)) << c.in.to_string() << " at " << i;
    // Repeat: plans and spectra are cached per shape and must give the same result.
    auto y2 = to_vector(run(layer, x).data());
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], y2[i]);
  }
}

TEST(SpectralConv, FloatMatchesDouble) {
  kono::SpectralConv<GradSpace, float> lf(2, 3, {4, 4});
  Spectral ld(2, 3, {4, 4});
  auto bd = bind_for_test(ld, 3);
  Kokkos::View<float*, Kokkos::LayoutRight, GradSpace> pf("pf", lf.num_parameters()), gf("gf", lf.num_parameters());
  using FView = kono::Layer<GradSpace, float>::param_view;
  lf.bind_parameters(FView(pf.data(), pf.extent(0)), FView(gf.data(), gf.extent(0)));
  lf.initialize_parameters(3);
  auto hf = to_vector(pf);
  auto hd = to_vector(bd.params);
  for (std::size_t i = 0; i < hf.size(); ++i) EXPECT_NEAR(hf[i], hd[i], 1e-6);
  auto xd = random_tensor(Shape{2, 2, 9, 6}, 8);
  kono::Tensor<GradSpace, float> xf("xf", xd.shape()), yf("yf", Shape{2, 3, 9, 6});
  auto xdh = to_vector(xd.data());
  auto xfh = Kokkos::create_mirror_view(xf.data());
  for (std::size_t i = 0; i < xdh.size(); ++i) xfh(i) = float(xdh[i]);
  Kokkos::deep_copy(xf.data(), xfh);
  lf.forward(Exec{}, xf, yf);
  auto yd = to_vector(run(ld, xd).data());
  auto yfh = to_vector(yf.data());
  for (std::size_t i = 0; i < yd.size(); ++i) EXPECT_NEAR(yfh[i], yd[i], 1e-4);
}

TEST(SpectralConv, Gradients) {
  std::vector<Case> cases{{Shape{2, 2, 7}, {5}},          {Shape{2, 2, 8}, {8}},
                          {Shape{2, 2, 9, 5}, {4, 4}},    {Shape{1, 2, 8, 6}, {8, 6}},
                          {Shape{2, 2, 5, 4, 6}, {4, 3, 6}}, {Shape{1, 2, 3, 4, 5}, {3, 4, 5}}};
  for (bool bias : {true, false})
    for (auto const& c : cases) {
      SCOPED_TRACE(c.in.to_string());
      Spectral layer(2, 3, c.modes, bias);
      auto b = bind_for_test(layer);
      gradcheck(layer, random_tensor(c.in, 9));
    }
}

TEST(SpectralConv, ResolutionInvariantOnALowMode) {
  // x[s, i, :] = amp_i cos(2 pi (a u + b v)) sampled on [0, 1)^2: only rfft mode (a, b) and its
  // conjugate are non-zero, so y[o] = bias_o + sum_i amp_i Re(W[i, o, (a, b)] e^{2 pi i (a u + b v)})
  // at every resolution that resolves the modes.
  Spectral layer(2, 3, {8, 8});
  auto bp = bind_for_test(layer, 21);
  auto p = to_vector(bp.params);
  int const a = -3, bfreq = 2;
  double const amp[2] = {0.7, -1.3};
  index_t const m = (a + 4) * 5 + bfreq;  // weight index: axis 0 frequency a at a + 8/2, axis 1 at b
  std::vector<std::vector<double>> results;
  for (index_t n : {16, 32}) {
    GradTensor x("x", Shape{1, 2, n, n});
    auto xh = Kokkos::create_mirror_view(x.data());
    for (int i = 0; i < 2; ++i)
      for (index_t u = 0; u < n; ++u)
        for (index_t v = 0; v < n; ++v)
          xh((i * n + u) * n + v) = amp[i] * std::cos(two_pi * (a * double(u) + bfreq * double(v)) / double(n));
    Kokkos::deep_copy(x.data(), xh);
    auto y = to_vector(run(layer, x).data());
    for (int o = 0; o < 3; ++o)
      for (index_t u = 0; u < n; ++u)
        for (index_t v = 0; v < n; ++v) {
          double const t = two_pi * (a * double(u) + bfreq * double(v)) / double(n);
          double expected = p[2 * 2 * 3 * 40 + o];
          for (int i = 0; i < 2; ++i) {
            index_t const w = (i * 3 + o) * 40 + m;
            expected += amp[i] * (p[2 * w] * std::cos(t) - p[2 * w + 1] * std::sin(t));
          }
          ASSERT_NEAR(y[(o * n + u) * n + v], expected, 1e-12) << n << " " << o << " " << u << " " << v;
        }
    results.push_back(y);
  }
  // Same physical points agree between the grids.
  for (int o = 0; o < 3; ++o)
    for (index_t u = 0; u < 16; ++u)
      for (index_t v = 0; v < 16; ++v)
        EXPECT_NEAR(results[0][(o * 16 + u) * 16 + v], results[1][(o * 32 + 2 * u) * 32 + 2 * v], 1e-12);
}

TEST(SpectralConv, ParameterLayoutAndCount) {
  kono::SpectralConv<GradSpace, float> fno(24, 24, {8, 8});
  EXPECT_EQ(fno.num_parameters(), 46104u);  // neuralop: weight [24, 24, 8, 5] complex + bias [24]
  auto s = fno.parameter_slices();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "weight");
  EXPECT_EQ(s[0].offset, 0u);
  EXPECT_EQ(s[0].shape, (Shape{24, 24, 8, 5, 2}));
  EXPECT_EQ(s[1].name, "bias");
  EXPECT_EQ(s[1].offset, 46080u);
  EXPECT_EQ(s[1].shape, Shape{24});
  EXPECT_EQ(Spectral(2, 3, {7}, false).num_parameters(), 2u * 2 * 3 * 4);
  EXPECT_EQ(Spectral(1, 1, {4, 3, 6}).weight_modes(), (std::vector<int>{4, 3, 4}));
}

TEST(SpectralConv, InitialisationIsNeuralopsAutoStd) {
  Spectral a(24, 24, {8, 8}), c(24, 24, {8, 8});
  auto pa = to_vector(bind_for_test(a, 5).params);
  auto pc = to_vector(bind_for_test(c, 5).params);
  EXPECT_EQ(pa, pc);
  double const std_complex = std::sqrt(2.0 / 48);
  double s2 = 0, mean = 0;
  std::size_t const nw = 46080;
  for (std::size_t i = 0; i < nw; ++i) {
    s2 += pa[i] * pa[i];
    mean += pa[i];
  }
  EXPECT_NEAR(mean / nw, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(s2 / nw), std_complex / std::sqrt(2.0), 0.02 * std_complex);
  double b2 = 0;
  for (std::size_t i = nw; i < pa.size(); ++i) b2 += pa[i] * pa[i];
  EXPECT_GT(b2, 0.0);  // neuralop draws the bias from N(0, std^2) too
  auto pd = to_vector(bind_for_test(a, 6).params);
  EXPECT_NE(pa, pd);
}

TEST(SpectralConv, ConfigRoundTrip) {
  Spectral layer(2, 3, {8, 6}, false);
  auto cfg = layer.config();
  EXPECT_EQ(cfg.at("type"), "spectral_conv");
  auto copy = Spectral::from_config(cfg);
  EXPECT_EQ(copy->config(), cfg);
  EXPECT_EQ(copy->num_parameters(), layer.num_parameters());
  EXPECT_EQ(copy->type_name(), "spectral_conv");
  auto with_default = Spectral::from_config({{"in_channels", 1}, {"out_channels", 1}, {"modes", {4}}});
  EXPECT_EQ(with_default->config().at("bias"), true);
  EXPECT_KONO_ERROR((Spectral::from_config({{"in_channels", 1}, {"out_channels", 1}})), invalid_argument, "modes");
}

TEST(SpectralConv, Errors) {
  Spectral layer(2, 3, {8, 8});
  EXPECT_KONO_ERROR((layer.output_shape(Shape{1, 2, 6, 16})), size_mismatch, "spatial axis 0");
  EXPECT_KONO_ERROR((layer.output_shape(Shape{1, 2, 16, 7})), size_mismatch, "7 points, fewer than its 8 modes");
  EXPECT_KONO_ERROR((layer.output_shape(Shape{1, 3, 16, 16})), size_mismatch, "in_channels=2");
  EXPECT_KONO_ERROR((layer.output_shape(Shape{1, 2, 16})), size_mismatch, "2 spatial axes");
  EXPECT_KONO_ERROR((layer.output_shape(Shape{1, 2, 16, 16, 16})), size_mismatch, "2 spatial axes");
  EXPECT_KONO_ERROR((Spectral(2, 3, {})), invalid_argument, "1 to 3 spatial axes");
  EXPECT_KONO_ERROR((Spectral(2, 3, {4, 4, 4, 4})), invalid_argument, "1 to 3 spatial axes");
  EXPECT_KONO_ERROR((Spectral(2, 3, {4, 0})), invalid_argument, "modes must be positive");
  EXPECT_KONO_ERROR((Spectral(0, 3, {4})), invalid_argument, "channels must be positive");
  // Unbound parameters and wrong output shapes are caught by the base class.
  GradTensor x = random_tensor(Shape{1, 2, 16, 16}, 1);
  GradTensor y("y", Shape{1, 3, 16, 16});
  EXPECT_KONO_ERROR((layer.forward(Exec{}, x, y)), wrong_state, "not bound");
  auto b = bind_for_test(layer);
  GradTensor bad("bad", Shape{1, 2, 16, 16});
  EXPECT_KONO_ERROR((layer.forward(Exec{}, x, bad)), size_mismatch, "expected");
}
}  // namespace
