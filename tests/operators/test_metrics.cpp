// PDEBench metrics: hand-computable cases, a naive-DFT reference for PDEBench's metric_func
// definitions in 1D/2D/3D with odd sizes, and error messages.
#include <algorithm>
#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include <kono/operators/metrics/pdebench_metrics.hpp>

#include "support/kono_test.hpp"

namespace {

using Space = kono::DefaultMemorySpace;
using Exec = kono::DefaultExecutionSpace;
using kono::index_t;
using kono::Shape;
using Host = std::vector<double>;
double const pi = std::acos(-1.0);

template <class Scalar>
kono::Tensor<Space, Scalar> make_tensor(Shape const& shape, Host const& values, char const* label = "kono::test::t") {
  kono::Tensor<kono::HostSpace, Scalar> h("kono::test::host", shape);
  for (index_t i = 0; i < shape.size(); ++i) h.data()(i) = static_cast<Scalar>(values[static_cast<std::size_t>(i)]);
  return h.template clone_to<Space>(label);
}

Host random_values(Shape const& shape, unsigned seed, double low = -1.0, double high = 1.0) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(low, high);
  Host v(static_cast<std::size_t>(shape.size()));
  for (auto& x : v) x = dist(gen);
  return v;
}

template <class Scalar = double>
kono::PdebenchMetrics metrics(Shape const& shape, Host const& pred, Host const& target,
                              kono::PdebenchMetricsOptions const& opt = {}) {
  return kono::pdebench_metrics<Space, Scalar>(Exec{}, make_tensor<Scalar>(shape, pred),
                                               make_tensor<Scalar>(shape, target), opt);
}

/// Spatial extents padded to 3 axes, and the coordinates of a flat spatial index.
struct Grid {
  int dims;
  index_t n[3] = {1, 1, 1};
  explicit Grid(Shape const& s) : dims(s.rank() - 2) {
    for (int a = 0; a < dims; ++a) n[a] = s[2 + a];
  }
  index_t points() const { return n[0] * n[1] * n[2]; }
  void coords(index_t k, index_t c[3]) const {
    c[2] = k % n[2];
    c[1] = (k / n[2]) % n[1];
    c[0] = k / (n[1] * n[2]);
  }
};

/// metric_func of PDEBench for one sample, written from its definitions with a naive DFT.
kono::PdebenchMetrics reference(Shape const& shape, Host const& x, Host const& y, std::vector<double> lengths,
                                int i_low, int i_high) {
  Grid const g(shape);
  index_t const samples = shape[0], channels = shape[1], m = g.points();
  double L[3] = {1, 1, 1};
  for (int a = 0; a < g.dims; ++a)
    if (!lengths.empty()) L[a] = lengths[lengths.size() == 1 ? 0 : static_cast<std::size_t>(a)];
  kono::PdebenchMetrics r;
  for (index_t s = 0; s < samples; ++s) {
    double rmse = 0, nrmse = 0, crmse = 0, mx = 0, brmse = 0, fl = 0, fm = 0, fh = 0;
    for (index_t c = 0; c < channels; ++c) {
      index_t const base = (s * channels + c) * m;
      Host e(static_cast<std::size_t>(m));
      double se2 = 0, sy2 = 0, se = 0, emax = 0;
      for (index_t k = 0; k < m; ++k) {
        auto const i = static_cast<std::size_t>(base + k);
        e[static_cast<std::size_t>(k)] = x[i] - y[i];
        se2 += e[static_cast<std::size_t>(k)] * e[static_cast<std::size_t>(k)];
        sy2 += y[i] * y[i];
        se += e[static_cast<std::size_t>(k)];
        emax = std::max(emax, std::abs(e[static_cast<std::size_t>(k)]));
      }
      rmse += std::sqrt(se2 / m);
      nrmse += std::sqrt(se2 / m) / std::sqrt(sy2 / m);
      crmse += std::abs(se) / m;
      mx += emax;
      // Boundary: every face (index 0 and n-1 along each axis), PDEBench's denominator.
      double bd = 0, count = 0;
      for (int a = 0; a < g.dims; ++a) {
        count += 2.0 * static_cast<double>(m / g.n[a]);
        for (index_t k = 0; k < m; ++k) {
          index_t cc[3];
          g.coords(k, cc);
          if (cc[a] == 0) bd += e[static_cast<std::size_t>(k)] * e[static_cast<std::size_t>(k)];
          if (cc[a] == g.n[a] - 1) bd += e[static_cast<std::size_t>(k)] * e[static_cast<std::size_t>(k)];
        }
      }
      brmse += std::sqrt(bd / count);
      // Fourier shells with a naive DFT.
      auto dft = [&](index_t f0, index_t f1, index_t f2) {
        std::complex<double> acc = 0;
        for (index_t k = 0; k < m; ++k) {
          index_t cc[3];
          g.coords(k, cc);
          double const phase = -2 * pi *
                               (static_cast<double>(f0 * cc[0]) / g.n[0] + static_cast<double>(f1 * cc[1]) / g.n[1] +
                                static_cast<double>(f2 * cc[2]) / g.n[2]);
          acc += e[static_cast<std::size_t>(k)] * std::complex<double>(std::cos(phase), std::sin(phase));
        }
        return std::norm(acc);
      };
      Host shell;
      if (g.dims == 1) {
        for (index_t k = 0; k <= g.n[0] / 2; ++k) shell.push_back(std::sqrt(dft(k, 0, 0)) / g.n[0] * L[0]);
      } else {
        index_t ns = g.n[0] / 2;
        for (int a = 1; a < g.dims; ++a) ns = std::min(ns, g.n[a] / 2);
        Host power(static_cast<std::size_t>(ns), 0.0);
        for (index_t i = 0; i < g.n[0] / 2; ++i)
          for (index_t j = 0; j < g.n[1] / 2; ++j)
            for (index_t k = 0; k < (g.dims == 3 ? g.n[2] / 2 : 1); ++k) {
              auto const it = static_cast<index_t>(std::floor(std::sqrt(static_cast<double>(i * i + j * j + k * k))));
              if (it > ns - 1) continue;
              power[static_cast<std::size_t>(it)] += dft(i, j, k);
            }
        for (double p : power) shell.push_back(std::sqrt(p) / static_cast<double>(m) * L[0] * L[1] * L[2]);
      }
      auto band = [&](int lo, int hi) {
        double acc = 0;
        int count_band = 0;
        for (int k = lo; k < hi && k < static_cast<int>(shell.size()); ++k, ++count_band)
          acc += shell[static_cast<std::size_t>(k)];
        return count_band == 0 ? 0.0 : acc / count_band;
      };
      fl += band(0, i_low);
      fm += band(i_low, i_high);
      fh += band(i_high, static_cast<int>(shell.size()));
    }
    double const C = static_cast<double>(channels);
    r.rmse.push_back(rmse / C);
    r.nrmse.push_back(nrmse / C);
    r.crmse.push_back(crmse / C);
    r.max_err.push_back(mx / C);
    r.brmse.push_back(brmse / C);
    r.frmse_low.push_back(fl / C);
    r.frmse_mid.push_back(fm / C);
    r.frmse_high.push_back(fh / C);
  }
  return r;
}

void expect_metrics_near(kono::PdebenchMetrics const& got, kono::PdebenchMetrics const& want, double tol,
                         std::string const& what) {
  auto cmp = [&](std::vector<double> const& a, std::vector<double> const& b, char const* name) {
    ASSERT_EQ(a.size(), b.size()) << what << " " << name;
    for (std::size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::abs(b[i]))) << what << " " << name << " sample " << i;
  };
  cmp(got.rmse, want.rmse, "rmse");
  cmp(got.nrmse, want.nrmse, "nrmse");
  cmp(got.crmse, want.crmse, "crmse");
  cmp(got.max_err, want.max_err, "max_err");
  cmp(got.brmse, want.brmse, "brmse");
  cmp(got.frmse_low, want.frmse_low, "frmse_low");
  cmp(got.frmse_mid, want.frmse_mid, "frmse_mid");
  cmp(got.frmse_high, want.frmse_high, "frmse_high");
}

/// Target well away from zero plus an error field e(flat spatial index, channel).
template <class F>
void with_error(Shape const& shape, F&& e, Host& pred, Host& target) {
  target = random_values(shape, 99, 1.0, 2.0);
  pred = target;
  index_t const m = shape.size() / (shape[0] * shape[1]);
  for (index_t i = 0; i < shape.size(); ++i) pred[static_cast<std::size_t>(i)] += e(i % m, (i / m) % shape[1]);
}

TEST(PdebenchMetrics, MatchesNaiveReference) {
  struct Case {
    Shape shape;
    std::vector<double> lengths;
    int i_low, i_high;
  };
  for (auto const& cs : std::vector<Case>{{Shape{2, 2, 13}, {}, 4, 12},
                                          {Shape{1, 1, 32}, {2.0}, 4, 12},
                                          {Shape{3, 1, 1}, {}, 4, 12},
                                          {Shape{2, 3, 9, 11}, {}, 4, 12},
                                          {Shape{1, 2, 16, 16}, {2.0, 0.5}, 2, 5},
                                          {Shape{2, 1, 30, 30}, {}, 4, 12},
                                          {Shape{2, 1, 5, 6, 7}, {}, 1, 2},
                                          {Shape{1, 2, 8, 8, 10}, {1.0, 2.0, 3.0}, 4, 12}}) {
    Host const x = random_values(cs.shape, 1), y = random_values(cs.shape, 2, 0.5, 1.5);
    kono::PdebenchMetricsOptions opt;
    opt.lengths = cs.lengths;
    opt.i_low = cs.i_low;
    opt.i_high = cs.i_high;
    expect_metrics_near(metrics(cs.shape, x, y, opt), reference(cs.shape, x, y, cs.lengths, cs.i_low, cs.i_high),
                        1e-11, cs.shape.to_string());
  }
}

TEST(PdebenchMetrics, ConstantErrorGivesItsMagnitude) {
  for (Shape const& shape : {Shape{2, 1, 33}, Shape{1, 2, 9, 7}, Shape{2, 1, 5, 6, 7}, Shape{1, 1, 16, 16}}) {
    for (double e : {0.3, -0.3}) {
      Host pred, target;
      with_error(shape, [&](index_t, index_t) { return e; }, pred, target);
      auto const m = metrics(shape, pred, target);
      int const dims = shape.rank() - 2;
      index_t shells = dims == 1 ? shape[2] / 2 + 1 : shape[2] / 2;
      for (int a = 1; a < dims; ++a) shells = std::min(shells, shape[2 + a] / 2);
      for (std::size_t s = 0; s < m.size(); ++s) {
        EXPECT_NEAR(m.rmse[s], 0.3, 1e-14) << shape.to_string();
        EXPECT_NEAR(m.crmse[s], 0.3, 1e-14) << shape.to_string();
        EXPECT_NEAR(m.max_err[s], 0.3, 1e-14) << shape.to_string();
        EXPECT_NEAR(m.brmse[s], 0.3, 1e-14) << shape.to_string();
        // Only the k = 0 mode: |F_0| / M = |e| in shell 0, averaged over the low band's shells.
        EXPECT_NEAR(m.frmse_low[s], 0.3 / static_cast<double>(std::min<index_t>(4, shells)), 1e-14) << shape.to_string();
        EXPECT_NEAR(m.frmse_mid[s], 0.0, 1e-14) << shape.to_string();
        EXPECT_NEAR(m.frmse_high[s], 0.0, 1e-14) << shape.to_string();
      }
    }
  }
}

TEST(PdebenchMetrics, SingleFourierModeLandsInOneBand) {
  // e = A cos(2 pi k.x / n): |F_k| = A M / 2 in exactly one shell; band value A/2 / (shells in band).
  double const A = 0.8;
  struct Case {
    Shape shape;
    index_t k[3];
    int band;          // 0 low, 1 mid, 2 high
    int band_shells;   // shells in that band
  };
  for (auto const& cs : std::vector<Case>{{Shape{1, 1, 32}, {2, 0, 0}, 0, 4},
                                          {Shape{1, 1, 32}, {6, 0, 0}, 1, 8},
                                          {Shape{1, 1, 33}, {14, 0, 0}, 2, 5},  // shells 0..16
                                          {Shape{1, 1, 32, 32}, {6, 0, 0}, 1, 8},
                                          {Shape{1, 1, 32, 32}, {3, 4, 0}, 1, 8},  // |(3,4)| = 5
                                          {Shape{1, 1, 32, 32}, {2, 2, 0}, 0, 4},  // floor(2.83) = 2
                                          {Shape{1, 1, 31, 32}, {0, 13, 0}, 2, 3},  // shells 0..14
                                          {Shape{1, 1, 16, 16, 16}, {0, 0, 5}, 1, 4},
                                          {Shape{1, 1, 16, 17, 16}, {1, 1, 1}, 0, 4}}) {
    int const dims = cs.shape.rank() - 2;
    index_t n[3] = {1, 1, 1};
    for (int a = 0; a < dims; ++a) n[a] = cs.shape[2 + a];
    Host pred, target;
    with_error(
        cs.shape,
        [&](index_t s, index_t) {
          index_t const c[3] = {s / (n[1] * n[2]), (s / n[2]) % n[1], s % n[2]};
          double phase = 0;
          for (int a = 0; a < 3; ++a) phase += 2 * pi * static_cast<double>(cs.k[a] * c[a]) / static_cast<double>(n[a]);
          return A * std::cos(phase);
        },
        pred, target);
    auto const m = metrics(cs.shape, pred, target);
    double const bands[3] = {m.frmse_low[0], m.frmse_mid[0], m.frmse_high[0]};
    for (int b = 0; b < 3; ++b)
      EXPECT_NEAR(bands[b], b == cs.band ? A / 2 / cs.band_shells : 0.0, 1e-13)
          << cs.shape.to_string() << " mode (" << cs.k[0] << ", " << cs.k[1] << ", " << cs.k[2] << ") band " << b;
    EXPECT_NEAR(m.crmse[0], 0.0, 1e-14);  // zero-mean error conserves the mean
  }
}

TEST(PdebenchMetrics, BoundaryErrorOnlyShowsInBrmse) {
  Host pred, target;
  // Interior-only errors leave bRMSE exactly 0.
  struct Interior {
    Shape shape;
    index_t point;
  };
  for (auto const& [shape, point] : std::vector<Interior>{{Shape{1, 1, 7}, 3},
                                                          {Shape{1, 1, 5, 6}, 2 * 6 + 3},
                                                          {Shape{1, 1, 4, 5, 3}, 1 * 15 + 2 * 3 + 1}}) {
    index_t const at = point;
    with_error(shape, [&](index_t s, index_t) { return s == at ? 1.0 : 0.0; }, pred, target);
    auto const m = metrics(shape, pred, target);
    EXPECT_EQ(m.brmse[0], 0.0) << shape.to_string();
    EXPECT_GT(m.rmse[0], 0.0) << shape.to_string();
  }
  // 1D: sqrt((e_0^2 + e_{n-1}^2) / 2).
  with_error(Shape{1, 1, 7}, [](index_t s, index_t) { return s == 0 ? 0.6 : 0.0; }, pred, target);
  EXPECT_NEAR(metrics(Shape{1, 1, 7}, pred, target).brmse[0], std::sqrt(0.36 / 2), 1e-15);
  // 2D 5 x 6: a corner lies on an x face and a y face: 2 e^2 / (2*5 + 2*6).
  with_error(Shape{1, 1, 5, 6}, [](index_t s, index_t) { return s == 0 ? 1.0 : 0.0; }, pred, target);
  auto const m2 = metrics(Shape{1, 1, 5, 6}, pred, target);
  EXPECT_NEAR(m2.brmse[0], std::sqrt(2.0 / 22.0), 1e-15);
  EXPECT_NEAR(m2.rmse[0], std::sqrt(1.0 / 30.0), 1e-15);
  EXPECT_NEAR(m2.max_err[0], 1.0, 1e-15);
  // 3D 3 x 4 x 5: (0, 1, 1) lies on one x face only: e^2 / (2 (12 + 20 + 15)).
  with_error(Shape{1, 1, 3, 4, 5}, [](index_t s, index_t) { return s == 1 * 5 + 1 ? 1.0 : 0.0; }, pred, target);
  EXPECT_NEAR(metrics(Shape{1, 1, 3, 4, 5}, pred, target).brmse[0], std::sqrt(1.0 / 94.0), 1e-15);
}

TEST(PdebenchMetrics, NormalisedAndChannelAveraged) {
  Shape const shape{2, 2, 6};
  Host target(static_cast<std::size_t>(shape.size()), 2.0), pred = target;
  // Sample 0: channel errors 0.5 and 0.1; sample 1: -0.2 and 0.
  Host const err = {0.5, 0.1, -0.2, 0.0};
  for (index_t i = 0; i < shape.size(); ++i) pred[static_cast<std::size_t>(i)] += err[static_cast<std::size_t>(i / 6)];
  auto const m = metrics(shape, pred, target);
  EXPECT_NEAR(m.rmse[0], 0.3, 1e-15);
  EXPECT_NEAR(m.nrmse[0], 0.15, 1e-15);  // (0.25 + 0.05) / 2
  EXPECT_NEAR(m.crmse[1], 0.1, 1e-15);
  EXPECT_NEAR(m.max_err[1], 0.1, 1e-15);
  auto const mean = m.mean();
  EXPECT_EQ(mean.samples, 2u);
  EXPECT_NEAR(mean.rmse, 0.2, 1e-15);
  EXPECT_NEAR(m.sum().nrmse, 0.15 + 0.05, 1e-15);
  kono::PdebenchMetrics all;
  all.append(m);
  all.append(m);
  EXPECT_EQ(all.size(), 4u);
  EXPECT_NEAR(all.mean().rmse, 0.2, 1e-15);
  EXPECT_EQ(kono::PdebenchMetrics{}.mean().rmse, 0.0);
}

TEST(PdebenchMetrics, FloatAndEmptyBatch) {
  Shape const shape{2, 1, 9, 7};
  Host const x = random_values(shape, 3), y = random_values(shape, 4, 0.5, 1.5);
  expect_metrics_near(metrics<float>(shape, x, y), metrics<double>(shape, x, y), 1e-5, "float");
  auto const empty = metrics(Shape{0, 2, 8}, {}, {});
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.frmse_high.size(), 0u);
}

TEST(PdebenchMetrics, Errors) {
  Shape const shape{2, 2, 5};
  Host target = random_values(shape, 5, 0.5, 1.5);
  std::fill(target.begin() + 5, target.begin() + 10, 0.0);  // sample 0, channel 1
  auto const p = make_tensor<double>(shape, random_values(shape, 6));
  auto const t = make_tensor<double>(shape, target, "test/y");
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, p, t), non_finite, "channel 1 of target sample 0 in \"test/y\"");
  auto const other = make_tensor<double>(Shape{2, 2, 6}, random_values(Shape{2, 2, 6}, 7), "test/pred");
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, other, t), size_mismatch, "\"test/pred\" has shape [2, 2, 6]");
  auto const flat = make_tensor<double>(Shape{2, 2}, Host(4, 1.0));
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, flat, flat), size_mismatch, "[N, C, x]");
  auto const four = make_tensor<double>(Shape{1, 1, 2, 2, 2, 2}, Host(16, 1.0));
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, four, four), size_mismatch, "[N, C, x, y, z]");
  auto const empty_axis = make_tensor<double>(Shape{1, 0, 4}, {});
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, empty_axis, empty_axis), invalid_argument, "empty axis 1");
  kono::PdebenchMetricsOptions bad;
  bad.i_low = 5;
  bad.i_high = 3;
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, p, p, bad), invalid_argument, "iLow = 5, iHigh = 3");
  kono::PdebenchMetricsOptions lengths;
  lengths.lengths = {1.0, 2.0};
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, p, p, lengths), size_mismatch, "2 domain lengths");
  lengths.lengths = {-1.0};
  EXPECT_KONO_ERROR(kono::pdebench_metrics(Exec{}, p, p, lengths), invalid_argument, "domain length -1");
}

}  // namespace
