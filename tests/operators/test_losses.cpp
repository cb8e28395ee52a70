// Training losses: values against hand-computed numbers and independent host loops (neuralop's
// LpLoss / H1Loss definitions), gradients against central finite differences, error messages.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <kono/operators/losses/loss_registry.hpp>
#include <kono/operators/losses/mse.hpp>
#include <kono/operators/losses/relative_h1.hpp>
#include <kono/operators/losses/relative_lp.hpp>

#include "support/kono_test.hpp"

namespace {

using Space = kono::DefaultMemorySpace;
using Exec = kono::DefaultExecutionSpace;
using kono::index_t;
using kono::Shape;
using Host = std::vector<double>;

template <class Scalar>
kono::Tensor<Space, Scalar> make_tensor(Shape const& shape, Host const& values, char const* label = "kono::test::t") {
  kono::Tensor<kono::HostSpace, Scalar> h("kono::test::host", shape);
  for (index_t i = 0; i < shape.size(); ++i) h.data()(i) = static_cast<Scalar>(values[static_cast<std::size_t>(i)]);
  return h.template clone_to<Space>(label);
}

template <class Scalar>
Host to_host_vector(kono::Tensor<Space, Scalar> const& t) {
  auto h = t.to_host();
  Host v(static_cast<std::size_t>(t.size()));
  for (index_t i = 0; i < t.size(); ++i) v[static_cast<std::size_t>(i)] = static_cast<double>(h.data()(i));
  return v;
}

Host random_values(Shape const& shape, unsigned seed, double low = -1.0, double high = 1.0) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(low, high);
  Host v(static_cast<std::size_t>(shape.size()));
  for (auto& x : v) x = dist(gen);
  return v;
}

template <class Scalar>
Host per_sample(kono::Loss<Space, Scalar> const& loss, kono::Tensor<Space, Scalar> const& pred,
                kono::Tensor<Space, Scalar> const& target) {
  Kokkos::View<double*, Space> out("kono::test::out", static_cast<std::size_t>(pred.extent(0)));
  loss.per_sample(Exec{}, pred, target, out);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, out);
  return Host(h.data(), h.data() + h.extent(0));
}

// ---------------------------------------------------------------------------------------------
// Independent host references (straight from the definitions, one sample/channel at a time).

struct Groups {
  index_t samples, channels, points;
  explicit Groups(Shape const& s) : samples(s[0]), channels(s[1]), points(s.size() / std::max<index_t>(1, s[0] * s[1])) {}
};

Host ref_mse(Shape const& shape, Host const& x, Host const& y) {
  Groups g(shape);
  Host out(static_cast<std::size_t>(g.samples));
  for (index_t n = 0; n < g.samples; ++n) {
    double s = 0;
    for (index_t k = 0; k < g.channels * g.points; ++k) {
      auto const i = static_cast<std::size_t>(n * g.channels * g.points + k);
      s += (x[i] - y[i]) * (x[i] - y[i]);
    }
    out[static_cast<std::size_t>(n)] = s / static_cast<double>(g.channels * g.points);
  }
  return out;
}

/// Combines per-(n, c) error and reference power sums into per-sample relative errors.
Host ref_combine(Groups const& g, Host const& es, Host const& ys, double p, double eps, bool per_channel) {
  Host out(static_cast<std::size_t>(g.samples), 0.0);
  for (index_t n = 0; n < g.samples; ++n) {
    double te = 0, ty = 0;
    for (index_t c = 0; c < g.channels; ++c) {
      auto const i = static_cast<std::size_t>(n * g.channels + c);
      if (per_channel)
        out[static_cast<std::size_t>(n)] += std::pow(es[i], 1 / p) / (std::pow(ys[i], 1 / p) + eps);
      te += es[i];
      ty += ys[i];
    }
    if (!per_channel) out[static_cast<std::size_t>(n)] = std::pow(te, 1 / p) / (std::pow(ty, 1 / p) + eps);
  }
  return out;
}

Host ref_lp(Shape const& shape, Host const& x, Host const& y, double p, double eps, bool per_channel) {
  Groups g(shape);
  Host es(static_cast<std::size_t>(g.samples * g.channels)), ys(es.size());
  for (index_t grp = 0; grp < g.samples * g.channels; ++grp) {
    double se = 0, sy = 0;
    for (index_t k = 0; k < g.points; ++k) {
      auto const i = static_cast<std::size_t>(grp * g.points + k);
      se += std::pow(std::abs(x[i] - y[i]), p);
      sy += std::pow(std::abs(y[i]), p);
    }
    es[static_cast<std::size_t>(grp)] = se;
    ys[static_cast<std::size_t>(grp)] = sy;
  }
  return ref_combine(g, es, ys, p, eps, per_channel);
}

/// neuralop FiniteDiff first derivative along `axis` of a C-order field with extents n.
Host ref_diff(Host const& f, std::vector<index_t> const& n, int axis, double h, bool periodic) {
  index_t stride = 1;
  for (std::size_t a = static_cast<std::size_t>(axis) + 1; a < n.size(); ++a) stride *= n[a];
  index_t const len = n[static_cast<std::size_t>(axis)];
  Host r(f.size());
  for (std::size_t idx = 0; idx < f.size(); ++idx) {
    index_t const i = (static_cast<index_t>(idx) / stride) % len;
    auto at = [&](index_t k) { return f[static_cast<std::size_t>(static_cast<index_t>(idx) + (k - i) * stride)]; };
    if (periodic)
      r[idx] = (at((i + 1) % len) - at((i - 1 + len) % len)) / (2.0 * h);
    else if (i == 0)
      r[idx] = (-11 * at(0) + 18 * at(1) - 9 * at(2) + 2 * at(3)) / (6.0 * h);
    else if (i == len - 1)
      r[idx] = (-2 * at(len - 4) + 9 * at(len - 3) - 18 * at(len - 2) + 11 * at(len - 1)) / (6.0 * h);
    else
      r[idx] = (at(i + 1) - at(i - 1)) / (2.0 * h);
  }
  return r;
}

Host ref_h1(Shape const& shape, Host const& x, Host const& y, std::vector<double> const& h,
            std::vector<bool> const& periodic, double eps, bool per_channel) {
  Groups g(shape);
  std::vector<index_t> n;
  for (int a = 2; a < shape.rank(); ++a) n.push_back(shape[a]);
  Host es(static_cast<std::size_t>(g.samples * g.channels)), ys(es.size());
  for (index_t grp = 0; grp < g.samples * g.channels; ++grp) {
    Host e(static_cast<std::size_t>(g.points)), t(e.size());
    for (index_t k = 0; k < g.points; ++k) {
      auto const i = static_cast<std::size_t>(grp * g.points + k);
      e[static_cast<std::size_t>(k)] = x[i] - y[i];
      t[static_cast<std::size_t>(k)] = y[i];
    }
    auto sq = [](Host const& v) {
      double s = 0;
      for (double a : v) s += a * a;
      return s;
    };
    double se = sq(e), sy = sq(t);
    for (std::size_t a = 0; a < n.size(); ++a) {
      se += sq(ref_diff(e, n, static_cast<int>(a), h[a], periodic[a]));
      sy += sq(ref_diff(t, n, static_cast<int>(a), h[a], periodic[a]));
    }
    es[static_cast<std::size_t>(grp)] = se;
    ys[static_cast<std::size_t>(grp)] = sy;
  }
  return ref_combine(g, es, ys, 2.0, eps, per_channel);
}

void expect_near_all(Host const& got, Host const& want, double rtol, char const* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rtol * std::max(1.0, std::abs(want[i]))) << what << " sample " << i;
}

// ---------------------------------------------------------------------------------------------
// Finite-difference gradient check: backward(scale) vs scale * d sum / d pred.

void fd_check(kono::Loss<Space, double> const& loss, Shape const& shape, unsigned seed, double scale) {
  Host const x = random_values(shape, seed);
  Host const y = random_values(shape, seed + 1000, 0.5, 1.5);  // away from zero: no subgradient points
  auto const pred = make_tensor<double>(shape, x, "kono::test::pred");
  auto const target = make_tensor<double>(shape, y, "kono::test::target");
  kono::Tensor<Space, double> dpred("kono::test::dpred", shape);
  dpred.fill(123.0);  // backward overwrites
  loss.backward(Exec{}, pred, target, scale, dpred);
  Host const g = to_host_vector(dpred);
  double gmax = 0;
  for (double v : g) gmax = std::max(gmax, std::abs(v));
  ASSERT_GT(gmax, 0.0) << loss.name();
  double const eps = 1e-6;
  int failures = 0;
  for (std::size_t i = 0; i < x.size() && failures < 5; ++i) {
    Host xp = x, xm = x;
    xp[i] += eps;
    xm[i] -= eps;
    double const fp = loss.sum(Exec{}, make_tensor<double>(shape, xp), target);
    double const fm = loss.sum(Exec{}, make_tensor<double>(shape, xm), target);
    double const fd = scale * (fp - fm) / (2 * eps);
    bool const ok = std::abs(fd - g[i]) <= 1e-8 + 1e-6 * gmax;
    EXPECT_TRUE(ok) << loss.name() << " " << shape.to_string() << " scale " << scale << ": d/dpred[" << i
                    << "] backward " << g[i] << " vs finite difference " << fd;
    failures += !ok;
  }
}

void fd_check_scales(kono::Loss<Space, double> const& loss, Shape const& shape, unsigned seed) {
  fd_check(loss, shape, seed, 1.0);
  fd_check(loss, shape, seed, 0.25);
}

template <class Scalar>
class LossTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LossTyped, Scalars);

// ---------------------------------------------------------------------------------------------
// Values

TYPED_TEST(LossTyped, MseMatchesReferenceAndSumIsSumOfSamples) {
  using Scalar = TypeParam;
  double const tol = std::is_same<Scalar, float>::value ? 1e-5 : 1e-13;
  for (Shape const& shape : {Shape{3, 2, 7}, Shape{1, 1, 1}, Shape{2, 3, 5, 4}, Shape{2, 1, 3, 5, 2}, Shape{4, 3}}) {
    Host const x = random_values(shape, 1), y = random_values(shape, 2);
    auto const p = make_tensor<Scalar>(shape, x), t = make_tensor<Scalar>(shape, y);
    kono::MseLoss<Space, Scalar> loss;
    Host const want = ref_mse(shape, x, y);
    expect_near_all(per_sample(loss, p, t), want, tol, "mse");
    double total = 0;
    for (double v : want) total += v;
    EXPECT_NEAR(loss.sum(Exec{}, p, t), total, tol * std::max(1.0, total)) << shape.to_string();
  }
}

TEST(Losses, MseHandValue) {
  // pred - target = [1, -2, 3] and [0, 0, 0.5]: means 14/3 and 0.25/3.
  auto const p = make_tensor<double>(Shape{2, 1, 3}, {1, -2, 3, 0, 0, 0.5});
  auto const t = make_tensor<double>(Shape{2, 1, 3}, {0, 0, 0, 0, 0, 0});
  kono::MseLoss<Space, double> loss;
  expect_near_all(per_sample(loss, p, t), {14.0 / 3, 0.25 / 3}, 1e-15, "mse hand");
}

TEST(Losses, RelativeL2HandValue) {
  // ||(3, 4)|| / ||(0, 10)|| = 0.5; second sample: ||(1, 0)|| / ||(1, 0)|| = 1.
  auto const t = make_tensor<double>(Shape{2, 1, 2}, {0, 10, 1, 0});
  auto const p = make_tensor<double>(Shape{2, 1, 2}, {3, 14, 2, 0});
  kono::RelativeLpLoss<Space, double> loss;
  EXPECT_EQ(loss.name(), "l2");
  expect_near_all(per_sample(loss, p, t), {5.0 / (10.0 + 1e-8), 1.0 / (1.0 + 1e-8)}, 1e-15, "l2 hand");
  // p = 1: (3 + 4) / 10 = 0.7.
  kono::RelativeLpLoss<Space, double> l1(1.0, 0.0);
  expect_near_all(per_sample(l1, p, t), {0.7, 1.0}, 1e-15, "l1 hand");
}

TYPED_TEST(LossTyped, RelativeLpMatchesReference) {
  using Scalar = TypeParam;
  double const tol = std::is_same<Scalar, float>::value ? 2e-5 : 1e-12;
  for (double p : {2.0, 1.0, 1.5, 3.0}) {
    for (bool per_channel : {false, true}) {
      for (Shape const& shape : {Shape{3, 2, 7}, Shape{2, 3, 5, 4}, Shape{1, 1, 1}, Shape{2, 2, 3, 4, 5}}) {
        Host const x = random_values(shape, 3), y = random_values(shape, 4);
        kono::RelativeLpLoss<Space, Scalar> loss(p, 1e-8, per_channel);
        expect_near_all(per_sample(loss, make_tensor<Scalar>(shape, x), make_tensor<Scalar>(shape, y)),
                        ref_lp(shape, x, y, p, 1e-8, per_channel), tol, "lp");
      }
    }
  }
}

TEST(Losses, RelativeH1Hand1dPeriodic) {
  // n = 4, h = 1/4: D f_i = 2 (f_{i+1} - f_{i-1}) with wrap. y = [1, 2, 3, 4]: Dy = [-4, 4, 4, -4],
  // |y|^2 + |Dy|^2 = 30 + 64. e = [1, 0, 0, 0]: De = [0, -2, 0, 2], |e|^2 + |De|^2 = 1 + 8 = 9.
  auto const t = make_tensor<double>(Shape{1, 1, 4}, {1, 2, 3, 4});
  auto const p = make_tensor<double>(Shape{1, 1, 4}, {2, 2, 3, 4});
  kono::RelativeH1Loss<Space, double> loss;
  expect_near_all(per_sample(loss, p, t), {3.0 / (std::sqrt(94.0) + 1e-8)}, 1e-15, "h1 1d periodic");
}

TEST(Losses, RelativeH1Hand1dOneSidedEnds) {
  // Non-periodic, h = 1/4, 1/(6h) = 2/3: e = [1, 0, 0, 0] gives De = [-22/3, -2, 0, -4/3] and
  // |e|^2 + |De|^2 = 1 + 484/9 + 4 + 16/9 = 545/9. y = [1, 2, 3, 4] is linear: Dy = 4 everywhere.
  auto const t = make_tensor<double>(Shape{1, 1, 4}, {1, 2, 3, 4});
  auto const p = make_tensor<double>(Shape{1, 1, 4}, {2, 2, 3, 4});
  kono::RelativeH1Options opt;
  opt.periodic = {false};
  kono::RelativeH1Loss<Space, double> loss(opt);
  expect_near_all(per_sample(loss, p, t), {std::sqrt(545.0) / 3.0 / (std::sqrt(94.0) + 1e-8)}, 1e-14,
                  "h1 1d one-sided");
}

TEST(Losses, RelativeH1Hand2dPeriodic) {
  // 4 x 4, h = 1/4, target 1 everywhere (zero gradient, norm 4). A unit spike at (0, 0) has
  // D_x e = +-2 at (1, 0), (3, 0) and D_y e = +-2 at (0, 1), (0, 3): 1 + 8 + 8 = 17.
  Host y(16, 1.0), x = y;
  x[0] += 1.0;
  auto const t = make_tensor<double>(Shape{1, 1, 4, 4}, y);
  auto const p = make_tensor<double>(Shape{1, 1, 4, 4}, x);
  kono::RelativeH1Loss<Space, double> loss;
  expect_near_all(per_sample(loss, p, t), {std::sqrt(17.0) / (4.0 + 1e-8)}, 1e-15, "h1 2d");
  // Fixed spacing h = 1 along both axes: D = (f+ - f-)/2 = +-0.5 at two points per axis: 1 + 0.5 + 0.5.
  kono::RelativeH1Options opt;
  opt.spacing = {1.0};
  kono::RelativeH1Loss<Space, double> unit(opt);
  expect_near_all(per_sample(unit, p, t), {std::sqrt(2.0) / (4.0 + 1e-8)}, 1e-15, "h1 2d h=1");
}

TYPED_TEST(LossTyped, RelativeH1MatchesReference) {
  using Scalar = TypeParam;
  double const tol = std::is_same<Scalar, float>::value ? 2e-5 : 1e-12;
  struct Case {
    Shape shape;
    std::vector<bool> periodic;
    std::vector<double> measure;
    std::vector<double> spacing;
  };
  std::vector<Case> const cases = {
      {Shape{3, 2, 7}, {}, {}, {}},
      {Shape{2, 1, 9}, {false}, {}, {}},
      {Shape{2, 1, 1}, {}, {}, {}},  // n = 1 and 2: periodic differences vanish
      {Shape{1, 2, 2}, {}, {}, {}},
      {Shape{2, 2, 5, 4}, {}, {}, {}},
      {Shape{2, 1, 5, 6}, {false, true}, {}, {}},
      {Shape{1, 3, 4, 7}, {true, false}, {2.0, 0.5}, {}},
      {Shape{2, 1, 4, 5, 6}, {}, {}, {}},
      {Shape{1, 2, 5, 4, 3}, {false, false, true}, {}, {0.1, 0.2, 0.3}},
  };
  for (auto const& cs : cases) {
    for (bool per_channel : {false, true}) {
      kono::RelativeH1Options opt;
      opt.periodic = cs.periodic;
      opt.measure = cs.measure;
      opt.spacing = cs.spacing;
      opt.per_channel = per_channel;
      kono::RelativeH1Loss<Space, Scalar> loss(opt);
      int const dims = cs.shape.rank() - 2;
      std::vector<double> h(static_cast<std::size_t>(dims));
      std::vector<bool> periodic(static_cast<std::size_t>(dims), true);
      for (int a = 0; a < dims; ++a) {
        auto const ua = static_cast<std::size_t>(a);
        double const measure = cs.measure.empty() ? 1.0 : cs.measure[cs.measure.size() == 1 ? 0 : ua];
        h[ua] = cs.spacing.empty() ? measure / static_cast<double>(cs.shape[2 + a]) : cs.spacing[ua];
        if (!cs.periodic.empty()) periodic[ua] = cs.periodic[ua];
      }
      Host const x = random_values(cs.shape, 5), y = random_values(cs.shape, 6);
      expect_near_all(per_sample(loss, make_tensor<Scalar>(cs.shape, x), make_tensor<Scalar>(cs.shape, y)),
                      ref_h1(cs.shape, x, y, h, periodic, 1e-8, per_channel), tol, "h1");
    }
  }
}

TEST(Losses, EmptyBatchGivesZeroAndNoGradient) {
  Shape const shape{0, 2, 5};
  kono::Tensor<Space, double> p("kono::test::p", shape), t("kono::test::t", shape), d("kono::test::d", shape);
  for (char const* type : {"mse", "l2", "h1"}) {
    auto const loss = kono::create_loss<Space, double>({{"type", type}});
    EXPECT_EQ(loss->sum(Exec{}, p, t), 0.0) << loss->name();
    loss->backward(Exec{}, p, t, 1.0, d);
  }
}

// ---------------------------------------------------------------------------------------------
// Gradients

TEST(LossGradients, Mse) {
  kono::MseLoss<Space, double> loss;
  fd_check_scales(loss, Shape{3, 2, 5}, 11);
  fd_check_scales(loss, Shape{2, 1, 3, 4}, 12);
}

TEST(LossGradients, RelativeLp) {
  for (double p : {2.0, 1.0, 1.5, 3.0}) {
    for (bool per_channel : {false, true}) {
      kono::RelativeLpLoss<Space, double> loss(p, 1e-8, per_channel);
      fd_check_scales(loss, Shape{2, 2, 5}, 21);
      fd_check_scales(loss, Shape{2, 2, 3, 3}, 22);
    }
  }
}

TEST(LossGradients, RelativeH1) {
  struct Case {
    Shape shape;
    std::vector<bool> periodic;
  };
  for (auto const& cs : std::vector<Case>{{Shape{2, 2, 7}, {}},
                                          {Shape{2, 1, 6}, {false}},
                                          {Shape{1, 1, 2}, {}},
                                          {Shape{2, 2, 5, 4}, {}},
                                          {Shape{1, 2, 4, 5}, {false, true}},
                                          {Shape{1, 1, 6, 5}, {true, false}},
                                          {Shape{1, 2, 4, 3, 5}, {}},
                                          {Shape{1, 1, 4, 5, 4}, {false, true, false}}}) {
    for (bool per_channel : {false, true}) {
      kono::RelativeH1Options opt;
      opt.periodic = cs.periodic;
      opt.per_channel = per_channel;
      kono::RelativeH1Loss<Space, double> loss(opt);
      fd_check_scales(loss, cs.shape, 31);
    }
  }
}

TEST(LossGradients, ZeroErrorGivesZeroGradientWithoutNaN) {
  // pred == target: the norm of e is not differentiable there; the gradient is defined as 0.
  Shape const shape{2, 1, 6};
  auto const y = make_tensor<double>(shape, random_values(shape, 41));
  kono::Tensor<Space, double> d("kono::test::d", shape);
  for (char const* type : {"l2", "lp", "h1"}) {
    auto const loss = kono::create_loss<Space, double>({{"type", type}});
    d.fill(7.0);
    loss->backward(Exec{}, y, y, 1.0, d);
    for (double v : to_host_vector(d)) EXPECT_EQ(v, 0.0) << type;
    EXPECT_EQ(loss->sum(Exec{}, y, y), 0.0) << type;
  }
}

TEST(LossGradients, FloatMatchesDouble) {
  Shape const shape{2, 2, 6, 5};
  Host const x = random_values(shape, 51), y = random_values(shape, 52);
  for (char const* type : {"mse", "l2", "h1"}) {
    auto const ld = kono::create_loss<Space, double>({{"type", type}});
    auto const lf = kono::create_loss<Space, float>({{"type", type}});
    kono::Tensor<Space, double> gd("gd", shape);
    kono::Tensor<Space, float> gf("gf", shape);
    ld->backward(Exec{}, make_tensor<double>(shape, x), make_tensor<double>(shape, y), 0.5, gd);
    lf->backward(Exec{}, make_tensor<float>(shape, x), make_tensor<float>(shape, y), 0.5, gf);
    Host const a = to_host_vector(gd), b = to_host_vector(gf);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * (1 + std::abs(a[i]))) << type << " " << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Zero target norm and errors

TEST(LossErrors, ZeroTargetNormUsesEpsOrThrowsNamingTheSample) {
  Shape const shape{3, 2, 5};
  Host y = random_values(shape, 61, 0.5, 1.5);
  std::fill(y.begin() + 10, y.begin() + 20, 0.0);  // sample 1 is all zero
  Host const x = random_values(shape, 62);
  auto const p = make_tensor<double>(shape, x);
  auto const t = make_tensor<double>(shape, y, "train/y");
  // Default eps = 1e-8 (neuralop's): finite, ||e|| / 1e-8.
  kono::RelativeLpLoss<Space, double> l2;
  double se = 0;
  for (std::size_t i = 10; i < 20; ++i) se += x[i] * x[i];
  EXPECT_NEAR(per_sample(l2, p, t)[1], std::sqrt(se) / 1e-8, 1e-6 * std::sqrt(se) / 1e-8);
  // eps = 0: Error{non_finite} naming sample 1, from values and gradients alike.
  kono::Tensor<Space, double> d("kono::test::d", shape);
  kono::RelativeLpLoss<Space, double> l2_exact(2.0, 0.0);
  EXPECT_KONO_ERROR(l2_exact.sum(Exec{}, p, t), non_finite, "target sample 1 in \"train/y\"");
  EXPECT_KONO_ERROR(l2_exact.backward(Exec{}, p, t, 1.0, d), non_finite, "target sample 1");
  kono::RelativeLpLoss<Space, double> per_channel(2.0, 0.0, true);
  EXPECT_KONO_ERROR(per_channel.sum(Exec{}, p, t), non_finite, "channel 0 of target sample 1");
  kono::RelativeH1Options opt;
  opt.eps = 0.0;
  kono::RelativeH1Loss<Space, double> h1(opt);
  EXPECT_KONO_ERROR(h1.sum(Exec{}, p, t), non_finite, "target sample 1");
  EXPECT_KONO_ERROR(h1.backward(Exec{}, p, t, 1.0, d), non_finite, "target sample 1");
  // With eps > 0, pred = target = 0 is 0, not 0/0.
  kono::Tensor<Space, double> zero("kono::test::zero", shape);
  EXPECT_EQ(l2.sum(Exec{}, zero, zero), 0.0);
  EXPECT_EQ((kono::RelativeH1Loss<Space, double>().sum(Exec{}, zero, zero)), 0.0);
}

TEST(LossErrors, ShapeMismatchNamesBothShapes) {
  kono::Tensor<Space, double> p("train/pred", Shape{2, 1, 8}), t("train/y", Shape{2, 1, 9});
  kono::Tensor<Space, double> d("kono::test::d", Shape{2, 1, 8});
  Kokkos::View<double*, Space> out("kono::test::out", 2);
  for (char const* type : {"mse", "l2", "lp", "h1"}) {
    auto const loss = kono::create_loss<Space, double>({{"type", type}});
    EXPECT_KONO_ERROR(loss->sum(Exec{}, p, t), size_mismatch, "\"train/pred\" has shape [2, 1, 8]");
    EXPECT_KONO_ERROR(loss->per_sample(Exec{}, p, t, out), size_mismatch, "\"train/y\" has shape [2, 1, 9]");
    EXPECT_KONO_ERROR(loss->backward(Exec{}, p, t, 1.0, d), size_mismatch, "[2, 1, 9]");
  }
  auto const loss = kono::create_loss<Space, double>({{"type", "mse"}});
  Kokkos::View<double*, Space> short_out("kono::test::short_out", 1);
  EXPECT_KONO_ERROR(loss->per_sample(Exec{}, p, p, short_out), size_mismatch, "has extent 1");
  kono::Tensor<Space, double> bad_d("kono::test::bad_d", Shape{2, 8});
  EXPECT_KONO_ERROR(loss->backward(Exec{}, p, p, 1.0, bad_d), size_mismatch, "dpred \"kono::test::bad_d\"");
  kono::Tensor<Space, double> rank1("kono::test::rank1", Shape{4});
  EXPECT_KONO_ERROR(loss->sum(Exec{}, rank1, rank1), size_mismatch, "rank >= 2");
  kono::Tensor<Space, double> empty_axis("kono::test::empty_axis", Shape{2, 1, 0});
  EXPECT_KONO_ERROR(loss->sum(Exec{}, empty_axis, empty_axis), invalid_argument, "empty axis 2");
}

TEST(LossErrors, H1ShapeAndOptionChecks) {
  kono::RelativeH1Loss<Space, double> h1;
  kono::Tensor<Space, double> flat("kono::test::flat", Shape{2, 3});
  EXPECT_KONO_ERROR(h1.sum(Exec{}, flat, flat), size_mismatch, "0 spatial axes");
  kono::Tensor<Space, double> four("kono::test::four", Shape{1, 1, 2, 2, 2, 2});
  EXPECT_KONO_ERROR(h1.sum(Exec{}, four, four), size_mismatch, "4 spatial axes");
  kono::RelativeH1Options opt;
  opt.periodic = {false, true};
  kono::RelativeH1Loss<Space, double> mixed(opt);
  kono::Tensor<Space, double> small("kono::test::small", Shape{1, 1, 3, 8});
  EXPECT_KONO_ERROR(mixed.sum(Exec{}, small, small), invalid_argument, "needs at least 4");
  kono::Tensor<Space, double> one_d("kono::test::one_d", Shape{1, 1, 8});
  EXPECT_KONO_ERROR(mixed.sum(Exec{}, one_d, one_d), size_mismatch, "\"periodic\" has 2 entries");
  kono::RelativeH1Options both;
  both.measure = {1.0};
  both.spacing = {0.1};
  EXPECT_KONO_ERROR((kono::RelativeH1Loss<Space, double>{both}), invalid_argument, "not both");
  kono::RelativeH1Options negative;
  negative.eps = -1;
  EXPECT_KONO_ERROR((kono::RelativeH1Loss<Space, double>{negative}), invalid_argument, "eps = -1");
  EXPECT_KONO_ERROR((kono::RelativeLpLoss<Space, double>{0.5}), invalid_argument, "p = 0.5");
}

// ---------------------------------------------------------------------------------------------
// Registry

TEST(LossRegistry, CreatesEveryTypeAndConfigsRoundTrip) {
  EXPECT_EQ(kono::loss_types(), (std::vector<std::string>{"h1", "l2", "lp", "mse"}));
  std::vector<kono::LayerConfig> const configs = {
      {{"type", "mse"}},
      {{"type", "l2"}},
      {{"type", "l2"}, {"per_channel", true}, {"eps", 0.0}},
      {{"type", "lp"}, {"p", 1.5}},
      {{"type", "h1"}},
      {{"type", "h1"}, {"periodic", false}, {"measure", {2.0, 1.0}}},
      {{"type", "h1"}, {"periodic", {true, false}}, {"h", 0.5}, {"per_channel", true}},
  };
  Shape const shape{2, 2, 6, 5};
  auto const p = make_tensor<double>(shape, random_values(shape, 71));
  auto const t = make_tensor<double>(shape, random_values(shape, 72));
  for (auto const& cfg : configs) {
    auto const loss = kono::create_loss<Space, double>(cfg);
    EXPECT_EQ(loss->config()["type"], cfg["type"]) << cfg.dump();
    auto const again = kono::create_loss<Space, double>(loss->config());
    EXPECT_EQ(again->config(), loss->config()) << cfg.dump();
    EXPECT_EQ(again->sum(Exec{}, p, t), loss->sum(Exec{}, p, t)) << cfg.dump();
  }
  EXPECT_EQ((kono::create_loss<Space, double>({{"type", "lp"}})->name()), "l2");  // p defaults to 2
  EXPECT_EQ((kono::create_loss<Space, float>({{"type", "lp"}, {"p", 3}})->name()), "lp");
}

TEST(LossRegistry, UnknownNamesSuggestTheClosest) {
  EXPECT_KONO_ERROR((kono::create_loss<Space, double>({{"type", "h2"}}, "train.json")), invalid_argument,
                    "unknown loss type \"h2\" (in train.json)");
  EXPECT_KONO_ERROR((kono::create_loss<Space, double>({{"type", "msee"}})), invalid_argument, "did you mean \"mse\"");
  EXPECT_KONO_ERROR((kono::create_loss<Space, double>({{"type", "h1"}, {"perodic", false}})), invalid_argument,
                    "did you mean \"periodic\"");
  EXPECT_KONO_ERROR((kono::create_loss<Space, double>({{"type", "l2"}, {"p", 3}})), invalid_argument,
                    "unknown key \"p\" for loss \"l2\"");
  EXPECT_KONO_ERROR((kono::create_loss<Space, double>({{"kind", "mse"}})), invalid_argument, "missing key \"type\"");
  EXPECT_KONO_ERROR((kono::create_loss<Space, double>({{"type", "h1"}, {"eps", "small"}})), invalid_argument,
                    "\"eps\" has the wrong type");
}

}  // namespace
