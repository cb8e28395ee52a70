// Learned-stencil building blocks: the constrained interpolation layer (Kochkov et al.), the
// HiPPO-LegT temporal features (Sun et al.) and parameter-guided channel attention (CAPE).
#include <cmath>
#include <vector>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/stencil/channel_attention.hpp>
#include <kono/operators/stencil/hippo.hpp>
#include <kono/operators/stencil/stencil_constraint.hpp>

#include "support/gradcheck.hpp"

namespace {
using kono::Shape;
using kono::index_t;
using kono::test::bind_for_test;
using kono::test::gradcheck;
using kono::test::GradLayer;
using kono::test::GradSpace;
using kono::test::GradTensor;
using kono::test::random_tensor;
using Exec = GradSpace::execution_space;
namespace st = kono::stencil;

GradTensor run(GradLayer const& l, GradTensor const& x) {
  GradTensor y("y", l.output_shape(x.shape()));
  l.forward(Exec{}, x, y);
  return y;
}

double dot(GradTensor const& a, GradTensor const& b) {
  auto ah = a.to_host();
  auto bh = b.to_host();
  double s = 0;
  for (index_t i = 0; i < ah.size(); ++i) s += ah.data()(i) * bh.data()(i);
  return s;
}

// ---------------------------------------------------------------------------------------------
// StencilConstraint

TEST(StencilConstraint, OutputsSatisfyTheConstraintsForRandomInputs) {
  for (int S : {2, 4, 6})
    for (int order : {1, 2}) {
      if (S == 2 && order == 2) continue;
      kono::StencilConstraint<GradSpace, double> layer(S, order);
      int const T = st::taps_per_target(S), R = layer.free_parameters();
      EXPECT_EQ(T, S * (S - 1));
      EXPECT_EQ(R, T - (order == 1 ? 1 : 3));
      index_t const pts = 3 * 5;
      double mag = 0;
      auto x = random_tensor(Shape{2, 4 * R, 3, 5}, 17 + S, -3.0, 3.0);
      auto y = run(layer, x).to_host();
      ASSERT_EQ(y.shape(), (Shape{2, 4 * T, 3, 5}));
      for (index_t s = 0; s < 2; ++s)
        for (int target = 0; target < 4; ++target)
          for (index_t q = 0; q < pts; ++q) {
            double sum = 0, mx = 0, my = 0;
            for (int t = 0; t < T; ++t) {
              double ry = 0, rx = 0;
              st::tap_position(target, S, t, ry, rx);
              double const a = y.data()(((s * 4 + target) * T + t) * pts + q);
              sum += a;
              mx += a * rx;
              my += a * ry;
              mag = std::max(mag, std::abs(a));
            }
            EXPECT_NEAR(sum, 1.0, 1e-12) << "S=" << S << " order=" << order << " target=" << target;
            if (order == 2) {
              EXPECT_NEAR(mx, 0.0, 1e-12) << "S=" << S << " target=" << target;
              EXPECT_NEAR(my, 0.0, 1e-12) << "S=" << S << " target=" << target;
            }
          }
      EXPECT_GT(mag, 1.0) << "the learned part should move the coefficients away from the linear stencil";
    }
}

TEST(StencilConstraint, LinearStencilSatisfiesBothConstraintsAndBasisIsOrthonormal) {
  for (int S : {4, 6}) {
    kono::StencilConstraint<GradSpace, double> layer(S, 2);
    auto N = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, layer.null_space_basis());
    int const T = layer.taps(), R = layer.free_parameters();
    for (int target = 0; target < 4; ++target) {
      double sum = 0, mx = 0, my = 0;
      for (int t = 0; t < T; ++t) {
        double ry = 0, rx = 0;
        st::tap_position(target, S, t, ry, rx);
        double const a = st::linear_coefficient(target, S, t);
        sum += a;
        mx += a * rx;
        my += a * ry;
      }
      EXPECT_EQ(sum, 1.0);
      EXPECT_EQ(mx, 0.0);
      EXPECT_EQ(my, 0.0);
      for (int r = 0; r < R; ++r)
        for (int r2 = 0; r2 < R; ++r2) {
          double g = 0;
          for (int t = 0; t < T; ++t) g += N(target, t, r) * N(target, t, r2);
          EXPECT_NEAR(g, r == r2 ? 1.0 : 0.0, 1e-13);
        }
    }
  }
}

TEST(StencilConstraint, ZeroInputGivesExactlyTheLinearStencil) {
  for (int order : {1, 2}) {
    kono::StencilConstraint<GradSpace, double> layer(4, order);
    int const T = layer.taps();
    GradTensor x("x", Shape{1, 4 * layer.free_parameters(), 2, 3});
    auto y = run(layer, x).to_host();
    for (int target = 0; target < 4; ++target)
      for (int t = 0; t < T; ++t)
        for (index_t q = 0; q < 6; ++q)
          EXPECT_EQ(y.data()((target * T + t) * 6 + q), st::linear_coefficient(target, 4, t));
  }
}

TEST(StencilConstraint, Gradients) {
  for (int order : {1, 2}) {
    kono::StencilConstraint<GradSpace, double> layer(4, order);
    EXPECT_EQ(layer.num_parameters(), 0u);
    gradcheck(layer, random_tensor(Shape{2, 4 * layer.free_parameters(), 3, 2}, 5));
  }
}

TEST(StencilConstraint, ConfigRoundTripThroughTheRegistry) {
  auto layer = kono::create_layer<GradSpace, double>({{"type", "stencil_constraint"}});
  EXPECT_EQ(layer->type_name(), "stencil_constraint");
  EXPECT_EQ(layer->config(), (kono::LayerConfig{{"type", "stencil_constraint"}, {"stencil_size", 4}, {"accuracy_order", 1}}));
  EXPECT_EQ(layer->output_shape(Shape{3, 4 * 11, 8, 8}), (Shape{3, 4 * 12, 8, 8}));
  kono::StencilConstraint<GradSpace, double> six(6, 2);
  auto again = kono::create_layer<GradSpace, double>(six.config());
  EXPECT_EQ(again->config(), six.config());
  EXPECT_EQ(again->output_shape(Shape{1, 4 * 27, 4, 4}), (Shape{1, 4 * 30, 4, 4}));
  auto f = kono::create_layer<GradSpace, float>(six.config());
  EXPECT_EQ(f->type_name(), "stencil_constraint");
}

TEST(StencilConstraint, Errors) {
  using L = kono::StencilConstraint<GradSpace, double>;
  EXPECT_KONO_ERROR(L(3, 1), invalid_argument, "stencil_size=3");
  EXPECT_KONO_ERROR(L(0, 1), invalid_argument, "stencil_size=0");
  EXPECT_KONO_ERROR(L(4, 3), invalid_argument, "accuracy_order=3");
  EXPECT_KONO_ERROR(L(2, 2), invalid_argument, "stencil_size >= 4");
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"type", "stencil_constraint"}, {"stencil_size", 5}})),
                    invalid_argument, "stencil_size=5");
  L layer(4, 2);
  EXPECT_KONO_ERROR(layer.output_shape(Shape{1, 4 * 11, 4, 4}), size_mismatch, "stencil_constraint");
  GradTensor x("x", Shape{1, 4 * 9, 4, 4}), y("y", Shape{1, 4 * 11, 4, 4});
  EXPECT_KONO_ERROR(layer.forward(Exec{}, x, y), size_mismatch, "stencil_constraint");
}

// ---------------------------------------------------------------------------------------------
// HippoLegT

using Hippo = kono::HippoLegT<GradSpace, double>;

double signal(double t) { return std::sin(2.0 * 3.14159265358979323846 * t) + 0.5 * std::cos(3.0 * t); }

TEST(HippoLegT, ReconstructsTheLastWindowOfASmoothSignal) {
  double const theta = 1.0, dt = 1e-3;
  int const steps = 2500;
  for (int M : {8, 16}) {
    Hippo h(M, theta, dt);
    GradTensor f("f", Shape{1, 1, 1, 1});
    GradTensor c("c", h.state_shape(f.shape()));
    auto fh = Kokkos::create_mirror_view(f.data());
    for (int k = 0; k < steps; ++k) {
      fh(0) = signal((k + 1) * dt);
      Kokkos::deep_copy(f.data(), fh);
      h.update(Exec{}, c, f, c);  // in place
    }
    // f_{k+1} enters both ends of the trapezoid, so the state describes the window ending half
    // a step after t_{k+1} (documented in hippo.hpp): O(dt) from the true window, and within
    // the Legendre truncation error of the half-step-shifted one.
    double const tend = steps * dt;
    double worst = 0, worst_shifted = 0;
    for (double s : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0}) {
      GradTensor r("r", f.shape());
      h.reconstruct(Exec{}, c, r, s);
      double const v = r.to_host().data()(0);
      worst = std::max(worst, std::abs(v - signal(tend - s * theta)));
      worst_shifted = std::max(worst_shifted, std::abs(v - signal(tend + 0.5 * dt - s * theta)));
    }
    EXPECT_LT(worst, 5e-3) << "M=" << M;
    EXPECT_LT(worst_shifted, M == 8 ? 3e-3 : 5e-5) << "M=" << M;
  }
}

TEST(HippoLegT, ConstantInputConvergesToTheFirstCoefficient) {
  Hippo h(6, 0.5, 0.01);
  GradTensor f("f", Shape{1, 2, 1, 1});
  f.fill(2.0);
  GradTensor c("c", h.state_shape(f.shape()));
  for (int k = 0; k < 2000; ++k) h.update(Exec{}, c, f, c);
  auto ch = c.to_host();
  for (int ch_i = 0; ch_i < 2; ++ch_i)
    for (int m = 0; m < 6; ++m) EXPECT_NEAR(ch.data()(ch_i * 6 + m), m == 0 ? 2.0 : 0.0, 1e-9) << m;
  GradTensor r("r", f.shape());
  h.reconstruct(Exec{}, c, r, 0.3);
  EXPECT_NEAR(r.to_host().data()(0), 2.0, 1e-9);
}

TEST(HippoLegT, UpdateBackwardIsTheExactAdjoint) {
  Hippo h(7, 20.0, 1.0);  // a window of 20 steps
  Shape const fs{2, 3, 4, 5};
  auto c = random_tensor(h.state_shape(fs), 1);
  auto f = random_tensor(fs, 2);
  auto g = random_tensor(h.state_shape(fs), 3);
  GradTensor cout("cout", h.state_shape(fs)), dc("dc", h.state_shape(fs)), df("df", fs);
  h.update(Exec{}, c, f, cout);
  h.update_backward(Exec{}, g, dc, df);
  double const lhs = dot(cout, g), rhs = dot(c, dc) + dot(f, df);
  EXPECT_NEAR(lhs, rhs, 1e-12 * std::abs(lhs) + 1e-12);
  // In place (dc == dc_out) gives the same values.
  GradTensor g2 = g.clone_to<GradSpace>("g2"), df2("df2", fs);
  h.update_backward(Exec{}, g2, g2, df2);
  auto a = dc.to_host(), b = g2.to_host();
  for (index_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.data()(i), b.data()(i));
  auto d1 = df.to_host(), d2 = df2.to_host();
  for (index_t i = 0; i < d1.size(); ++i) EXPECT_EQ(d1.data()(i), d2.data()(i));
}

TEST(HippoLegT, UpdateMatchesAHostReferenceAndIsDeterministic) {
  Hippo h(5, 3.0, 0.25), h2(5, 3.0, 0.25);
  EXPECT_EQ(h.transition_matrix(), h2.transition_matrix());
  EXPECT_EQ(h.input_vector(), h2.input_vector());
  // Bilinear rule: (I - dt/2 A) Abar = I + dt/2 A, with A from the LegT definition.
  auto const A = h.transition_matrix();
  int const M = 5;
  for (int n = 0; n < M; ++n)
    for (int k = 0; k < M; ++k) {
      double lhs = 0, rhs = (n == k);
      for (int j = 0; j < M; ++j) {
        double const sign = (j <= n || (n - j) % 2 == 0) ? 1.0 : -1.0;
        double const a = -std::sqrt(2.0 * n + 1) * std::sqrt(2.0 * j + 1) / 3.0 * sign;
        lhs += ((n == j) - 0.125 * a) * A[std::size_t(j * M + k)];
        if (j == k) rhs += 0.125 * a;
      }
      EXPECT_NEAR(lhs, rhs, 1e-13) << n << "," << k;
    }
  Shape const fs{2, 2, 3};
  auto c = random_tensor(h.state_shape(fs), 8);
  auto f = random_tensor(fs, 9);
  GradTensor out("out", h.state_shape(fs));
  h.update(Exec{}, c, f, out);
  auto ch = c.to_host(), fh = f.to_host(), oh = out.to_host();
  auto const B = h.input_vector();
  for (index_t s = 0; s < 2; ++s)
    for (index_t ch_i = 0; ch_i < 2; ++ch_i)
      for (index_t q = 0; q < 3; ++q)
        for (int n = 0; n < M; ++n) {
          double ref = B[std::size_t(n)] * fh.data()((s * 2 + ch_i) * 3 + q);
          for (int k = 0; k < M; ++k)
            ref += A[std::size_t(n * M + k)] * ch.data()(((s * 2 + ch_i) * M + k) * 3 + q);
          EXPECT_NEAR(oh.data()(((s * 2 + ch_i) * M + n) * 3 + q), ref, 1e-14);
        }
}

TEST(HippoLegT, FeaturesFromHistoryMatchStepping) {
  Hippo h(4, 5.0, 1.0);
  Shape const hist{9, 2, 3, 2};
  auto history = random_tensor(hist, 21).to_host();
  auto feats = h.features_from_history(history);
  ASSERT_EQ(feats.shape(), (Shape{1, 8, 3, 2}));
  GradTensor c("c", Shape{1, 8, 3, 2});
  auto hd = history.clone_to<GradSpace>("hd");
  for (index_t k = 0; k < 9; ++k) h.update(Exec{}, c, hd.slice_batch(k, 1), c);
  auto ch = c.to_host();
  for (index_t i = 0; i < ch.size(); ++i) EXPECT_EQ(feats.data()(i), ch.data()(i));
}

TEST(HippoLegT, Errors) {
  EXPECT_KONO_ERROR(Hippo(0, 1.0, 0.1), invalid_argument, "order=0");
  EXPECT_KONO_ERROR(Hippo(65, 1.0, 0.1), invalid_argument, "order=65");
  EXPECT_KONO_ERROR(Hippo(4, -1.0, 0.1), invalid_argument, "theta=-1");
  EXPECT_KONO_ERROR(Hippo(4, 1.0, 0.0), invalid_argument, "dt=0");
  Hippo h(4, 1.0, 0.1);
  GradTensor f("f", Shape{1, 2, 3, 3}), c("c", Shape{1, 6, 3, 3}), good("g", Shape{1, 8, 3, 3});
  EXPECT_KONO_ERROR(h.update(Exec{}, c, f, good), size_mismatch, "HippoLegT::update");
  EXPECT_KONO_ERROR(h.update_backward(Exec{}, good, c, f), size_mismatch, "HippoLegT::update_backward");
  EXPECT_KONO_ERROR(h.reconstruct(Exec{}, good, f, 1.5), invalid_argument, "s=1.5");
}

// ---------------------------------------------------------------------------------------------
// ChannelAttention

using Attention = kono::ChannelAttention<GradSpace, double>;

TEST(ChannelAttention, IsTheIdentityOnTheFeaturesAtInitialisation) {
  Attention layer(3, 2, 8);
  auto b = bind_for_test(layer, 3);
  auto x = random_tensor(Shape{2, 5, 4, 4}, 6);
  auto y = run(layer, x).to_host();
  auto xh = x.to_host();
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4, 4}));
  for (index_t s = 0; s < 2; ++s)
    for (index_t i = 0; i < 3 * 16; ++i) EXPECT_EQ(y.data()(s * 48 + i), xh.data()(s * 80 + i));
  // Deterministic from the seed; W1 within PyTorch's fan-in bound.
  Attention other(3, 2, 8);
  auto b2 = bind_for_test(other, 3);
  auto p1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b.params);
  auto p2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b2.params);
  for (std::size_t i = 0; i < p1.extent(0); ++i) EXPECT_EQ(p1(i), p2(i));
  for (std::size_t i = 0; i < 16; ++i) EXPECT_LE(std::abs(p1(i)), 1.0 / std::sqrt(2.0));
}

TEST(ChannelAttention, ForwardMatchesAReferenceLoop) {
  int const C = 3, P = 2, H = 4;
  Attention layer(C, P, H);
  auto b = bind_for_test(layer, 1);
  kono::fill_uniform(b.params, -0.8, 0.8, 99);
  Shape const in{2, C + P, 3, 5};
  index_t const pts = 15;
  auto x = random_tensor(in, 12);
  auto y = run(layer, x).to_host();
  auto xh = x.to_host();
  auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b.params);
  for (index_t s = 0; s < 2; ++s) {
    double pm[P] = {0, 0};
    for (int j = 0; j < P; ++j) {
      for (index_t q = 0; q < pts; ++q) pm[j] += xh.data()((s * (C + P) + C + j) * pts + q);
      pm[j] /= double(pts);
    }
    double g[H];
    for (int k = 0; k < H; ++k) {
      double h = w(H * P + k);
      for (int j = 0; j < P; ++j) h += w(k * P + j) * pm[j];
      g[k] = 0.5 * h * (1 + std::erf(h / std::sqrt(2.0)));
    }
    for (int c = 0; c < C; ++c) {
      double z = w(H * P + H + C * H + c);
      for (int k = 0; k < H; ++k) z += w(H * P + H + c * H + k) * g[k];
      double const sc = 2.0 / (1.0 + std::exp(-z));
      for (index_t q = 0; q < pts; ++q)
        EXPECT_NEAR(y.data()((s * C + c) * pts + q), xh.data()((s * (C + P) + c) * pts + q) * sc, 1e-14);
    }
  }
}

TEST(ChannelAttention, Gradients) {
  for (Shape in : {Shape{2, 5, 3, 4}, Shape{3, 5}, Shape{1, 5, 2, 2, 3}}) {
    Attention layer(3, 2, 5);
    auto b = bind_for_test(layer, 4);
    kono::fill_uniform(b.params, -0.7, 0.7, 31);  // W2 = 0 at init would hide the W1/b1 gradients
    gradcheck(layer, random_tensor(in, 8));
  }
}

TEST(ChannelAttention, ConfigSlicesAndRegistry) {
  auto layer = kono::create_layer<GradSpace, double>({{"type", "channel_attention"}, {"channels", 4}, {"parameters", 2}});
  EXPECT_EQ(layer->config(),
            (kono::LayerConfig{{"type", "channel_attention"}, {"channels", 4}, {"parameters", 2}, {"hidden", 32}}));
  EXPECT_EQ(layer->num_parameters(), std::size_t(32 * 2 + 32 + 4 * 32 + 4));
  auto const sl = layer->parameter_slices();
  ASSERT_EQ(sl.size(), 4u);
  EXPECT_EQ(sl[0].name, "hidden_weight");
  EXPECT_EQ(sl[0].shape, (Shape{32, 2}));
  EXPECT_EQ(sl[2].name, "output_weight");
  EXPECT_EQ(sl[2].offset, std::size_t(96));
  EXPECT_EQ(sl[3].offset, std::size_t(96 + 128));
  EXPECT_EQ(layer->output_shape(Shape{2, 6, 8, 8}), (Shape{2, 4, 8, 8}));
  auto f = kono::create_layer<GradSpace, float>(layer->config());
  EXPECT_EQ(f->config(), layer->config());
}

TEST(ChannelAttention, Errors) {
  EXPECT_KONO_ERROR(Attention(0, 2), invalid_argument, "channel_attention");
  EXPECT_KONO_ERROR(Attention(3, 2, 0), invalid_argument, "hidden=0");
  EXPECT_KONO_ERROR((kono::create_layer<GradSpace, double>({{"type", "channel_attention"}, {"channels", 4}})),
                    invalid_argument, "parameters");
  Attention layer(3, 2, 4);
  auto b = bind_for_test(layer);
  EXPECT_KONO_ERROR(layer.output_shape(Shape{1, 3, 4, 4}), size_mismatch, "channel_attention");
  GradTensor x("x", Shape{1, 5, 4, 4}), y("y", Shape{1, 5, 4, 4});
  EXPECT_KONO_ERROR(layer.forward(Exec{}, x, y), size_mismatch, "channel_attention");
  Attention unbound(3, 2, 4);
  GradTensor y3("y3", Shape{1, 3, 4, 4});
  EXPECT_KONO_ERROR(unbound.forward(Exec{}, x, y3), wrong_state, "channel_attention");
}

// ---------------------------------------------------------------------------------------------
// Float (the training precision) agrees with double.

template <class Scalar>
kono::Tensor<GradSpace, Scalar> convert(GradTensor const& x) {
  auto xh = x.to_host();
  kono::Tensor<Kokkos::HostSpace, Scalar> h("h", x.shape());
  for (index_t i = 0; i < x.size(); ++i) h.data()(i) = Scalar(xh.data()(i));
  return h.template clone_to<GradSpace>("converted");
}

void expect_close(kono::Tensor<GradSpace, float> const& a, GradTensor const& b, double tol) {
  auto ah = a.to_host();
  auto bh = b.to_host();
  ASSERT_EQ(ah.shape(), bh.shape());
  for (index_t i = 0; i < ah.size(); ++i) EXPECT_NEAR(double(ah.data()(i)), bh.data()(i), tol) << i;
}

TEST(StencilLayers, FloatAgreesWithDouble) {
  for (kono::LayerConfig const& cfg :
       {kono::LayerConfig{{"type", "stencil_constraint"}, {"stencil_size", 4}, {"accuracy_order", 2}},
        kono::LayerConfig{{"type", "channel_attention"}, {"channels", 3}, {"parameters", 2}, {"hidden", 6}}}) {
    auto ld = kono::create_layer<GradSpace, double>(cfg);
    auto lf = kono::create_layer<GradSpace, float>(cfg);
    Shape const in{2, cfg.at("type") == "stencil_constraint" ? 4 * 9 : 5, 3, 4};
    Kokkos::View<double*, Kokkos::LayoutRight, GradSpace> pd("pd", ld->num_parameters()), gd("gd", ld->num_parameters());
    Kokkos::View<float*, Kokkos::LayoutRight, GradSpace> pf("pf", lf->num_parameters()), gf("gf", lf->num_parameters());
    kono::fill_uniform(pd, -0.5, 0.5, 3);
    kono::fill_uniform(pf, -0.5, 0.5, 3);
    ld->bind_parameters(GradLayer::param_view(pd.data(), pd.extent(0)), GradLayer::param_view(gd.data(), gd.extent(0)));
    using FloatLayer = kono::Layer<GradSpace, float>;
    lf->bind_parameters(FloatLayer::param_view(pf.data(), pf.extent(0)), FloatLayer::param_view(gf.data(), gf.extent(0)));
    auto x = random_tensor(in, 4);
    auto xf = convert<float>(x);
    GradTensor yd("yd", ld->output_shape(in)), dxd("dxd", in);
    kono::Tensor<GradSpace, float> yf("yf", lf->output_shape(in)), dxf("dxf", in);
    auto cd = ld->forward(Exec{}, x, yd);
    auto cf = lf->forward(Exec{}, xf, yf);
    expect_close(yf, yd, 1e-5);
    auto dy = random_tensor(yd.shape(), 5);
    ld->backward(Exec{}, *cd, dy, &dxd, kono::GradientMode::overwrite);
    lf->backward(Exec{}, *cf, convert<float>(dy), &dxf, kono::GradientMode::overwrite);
    expect_close(dxf, dxd, 1e-5);
  }
  kono::HippoLegT<GradSpace, float> hf(6, 4.0, 0.5);
  Hippo hd(6, 4.0, 0.5);
  Shape const fs{1, 2, 3, 3};
  auto c = random_tensor(hd.state_shape(fs), 6);
  auto f = random_tensor(fs, 7);
  GradTensor od("od", hd.state_shape(fs));
  kono::Tensor<GradSpace, float> of("of", hf.state_shape(fs));
  hd.update(Exec{}, c, f, od);
  hf.update(Exec{}, convert<float>(c), convert<float>(f), of);
  expect_close(of, od, 1e-5);
}

}  // namespace
