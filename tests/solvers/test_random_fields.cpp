// Gaussian random fields: covariance spectrum (periodic), pointwise variance (Neumann),
// reproducibility from (seed, sample), coefficient maps and the Burgers initial condition;
// resolution consistency (the same continuous field at every resolution for a fixed cutoff).
#include <fftw3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include <kono/solvers/darcy_dataset.hpp>
#include <kono/solvers/random_fields.hpp>

#include "support/kono_test.hpp"

namespace {

double const pi = 3.14159265358979323846;

// Average |u_hat_k|^2 (u_hat = DFT / N^2) per shell round(|k|) over many periodic 2D samples,
// against the mean prescribed eigenvalue mu_k of the shell.
TEST(GaussianRandomField, PeriodicSpectrumMatchesCovariance) {
  int const n = 32, m = 300;
  kono::GaussianRandomFieldOptions o;
  o.dim = 2;
  o.resolution = n;
  o.boundary = kono::RandomFieldBoundary::periodic;  // alpha 2, tau 3, sigma tau^(alpha-1) = 3
  kono::GaussianRandomField grf(o);
  EXPECT_DOUBLE_EQ(o.effective_sigma(), 3.0);
  std::vector<double> u(n * n);
  std::vector<fftw_complex> uh(std::size_t(n * (n / 2 + 1)));
  fftw_plan plan = fftw_plan_dft_r2c_2d(n, n, u.data(), uh.data(), FFTW_ESTIMATE);
  std::map<int, double> power, expected;
  std::map<int, int> count;
  for (int s = 0; s < m; ++s) {
    grf.sample_into(11, s, u.data());
    fftw_execute(plan);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= n / 2; ++j) {
        int const ki = i <= n / 2 ? i : i - n;
        double const kn = std::sqrt(double(ki * ki + j * j));
        int const shell = int(std::lround(kn));
        if (shell == 0 || shell >= n / 2) continue;
        auto const& c = uh[std::size_t(i * (n / 2 + 1) + j)];
        double const p = (c[0] * c[0] + c[1] * c[1]) / (double(n) * n * n * n);
        power[shell] += p;
        if (s == 0) {
          expected[shell] += grf.covariance_eigenvalue({ki, j});
          count[shell] += 1;
        }
      }
  }
  fftw_destroy_plan(plan);
  for (auto const& [shell, p] : power) {
    double const mean_power = p / (m * count[shell]);
    double const mean_mu = expected[shell] / count[shell];
    // mu falls from ~1e-4 (shell 1) to ~1e-10 (shell 15): a wrong alpha, tau or amplitude
    // factor is far outside 15%; sampling noise per shell is below 5%.
    EXPECT_NEAR(mean_power / mean_mu, 1.0, 0.15) << "shell " << shell << ": power " << mean_power << ", mu "
                                                 << mean_mu;
  }
  // Spot check of the formula itself.
  EXPECT_NEAR(grf.covariance_eigenvalue({1, 2}), 9.0 * std::pow(4 * pi * pi * 5 + 9, -2.0), 1e-18);
  EXPECT_EQ(grf.covariance_eigenvalue({0, 0}), 0.0);
}

// Neumann (cosine) fields: pointwise variance sum_k mu_k phi_k(x)^2 with orthonormal cosines.
TEST(GaussianRandomField, NeumannVarianceMatchesKarhunenLoeve) {
  int const n = 12, m = 2000;
  kono::GaussianRandomFieldOptions o;
  o.dim = 2;
  o.resolution = n;
  o.boundary = kono::RandomFieldBoundary::neumann;
  kono::GaussianRandomField grf(o);
  std::vector<double> sum2(n * n, 0.0), sum(n * n, 0.0), u(n * n);
  for (int s = 0; s < m; ++s) {
    grf.sample_into(5, s, u.data());
    for (int i = 0; i < n * n; ++i) {
      sum[i] += u[i];
      sum2[i] += u[i] * u[i];
    }
  }
  double worst = 0, mean_ratio = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double const x = double(i) / (n - 1), y = double(j) / (n - 1);
      double var = 0;
      for (int k1 = 0; k1 < n; ++k1)
        for (int k2 = 0; k2 < n; ++k2) {
          double const c1 = (k1 ? std::sqrt(2.0) : 1.0) * std::cos(pi * k1 * x);
          double const c2 = (k2 ? std::sqrt(2.0) : 1.0) * std::cos(pi * k2 * y);
          var += grf.covariance_eigenvalue({k1, k2}) * c1 * c1 * c2 * c2;
        }
      double const mean = sum[i * n + j] / m;
      double const sample_var = sum2[i * n + j] / m - mean * mean;
      double const r = sample_var / var;
      mean_ratio += r / (n * n);
      worst = std::max(worst, std::abs(r - 1));
    }
  EXPECT_NEAR(mean_ratio, 1.0, 0.05);
  EXPECT_LT(worst, 0.2);
}

TEST(GaussianRandomField, SampleDependsOnlyOnSeedAndIndex) {
  for (auto boundary : {kono::RandomFieldBoundary::periodic, kono::RandomFieldBoundary::neumann}) {
    kono::GaussianRandomFieldOptions o;
    o.dim = 3;
    o.resolution = 6;
    o.boundary = boundary;
    kono::GaussianRandomField a(o), b(o);
    auto const a3 = a.sample(42, 3);
    (void)b.sample(42, 0);
    (void)b.sample(42, 7);
    auto const b3 = b.sample(42, 3);  // after other samples: no hidden state
    ASSERT_EQ(a3.size(), 216u);
    EXPECT_EQ(a3, b3) << kono::to_string(boundary);
    EXPECT_NE(a.sample(42, 4), a3);
    EXPECT_NE(a.sample(43, 3), a3);
    EXPECT_NE(a.sample(42, 3, 1), a3);  // another stream
  }
  EXPECT_EQ(kono::sample_seed(1, 2), kono::sample_seed(1, 2));
  EXPECT_NE(kono::sample_seed(1, 2), kono::sample_seed(2, 1));
}

TEST(GaussianRandomField, PeriodicFieldHasZeroMeanAndBurgersDefaults) {
  auto const u0 = kono::random_initial_condition(64, 3, 2);
  ASSERT_EQ(u0.size(), 64u);
  double mean = 0, var = 0;
  for (double v : u0) mean += v / 64;
  for (double v : u0) var += v * v / 64;
  EXPECT_NEAR(mean, 0.0, 1e-12);  // constant mode removed
  EXPECT_GT(var, 0.0);
  auto const o = kono::burgers_initial_condition_options(64);
  EXPECT_EQ(o.dim, 1);
  EXPECT_EQ(o.boundary, kono::RandomFieldBoundary::periodic);
  EXPECT_DOUBLE_EQ(o.effective_sigma() * o.effective_sigma(), 625.0);
  kono::GaussianRandomField grf(o);
  EXPECT_EQ(grf.sample(3, 2), u0);
  EXPECT_TRUE(grf.grid().periodic(0));
}

TEST(CoefficientMaps, ThresholdAndLognormal) {
  std::vector<double> const g{-1.0, 0.0, 2.5, -0.1};
  std::vector<double> a;
  kono::threshold_coefficient(g, a);
  EXPECT_EQ(a, (std::vector<double>{3, 3, 12, 3}));
  kono::threshold_coefficient(g, a, 5.0, 1.0, -0.5);
  EXPECT_EQ(a, (std::vector<double>{1, 5, 5, 5}));
  kono::lognormal_coefficient(g, a, 2.0);
  EXPECT_DOUBLE_EQ(a[2], std::exp(5.0));
  EXPECT_KONO_ERROR(kono::threshold_coefficient(g, a, -1.0, 3.0), invalid_argument, "high = -1");
}

TEST(GaussianRandomField, BadOptionsAreRefused) {
  kono::GaussianRandomFieldOptions o;
  o.alpha = 1.0;  // = dim/2 in 2D: infinite variance
  EXPECT_KONO_ERROR(kono::GaussianRandomField{o}, invalid_argument, "alpha = 1");
  o = {};
  o.tau = 0;
  EXPECT_KONO_ERROR(kono::GaussianRandomField{o}, invalid_argument, "tau = 0");
  o = {};
  o.resolution = 1;
  EXPECT_KONO_ERROR(kono::GaussianRandomField{o}, invalid_argument, "resolution = 1");
  o = {};
  o.dim = 4;
  EXPECT_KONO_ERROR(kono::GaussianRandomField{o}, invalid_argument, "dim = 4");
  o = {};
  o.max_wavenumber = -3;
  EXPECT_KONO_ERROR(kono::GaussianRandomField{o}, invalid_argument, "max_wavenumber = -3");
}

// ---- resolution consistency ----

kono::GaussianRandomFieldOptions consistent_options(int dim, kono::index_t n, kono::index_t kmax,
                                                    kono::RandomFieldBoundary b = kono::RandomFieldBoundary::neumann) {
  kono::GaussianRandomFieldOptions o;
  o.dim = dim;
  o.resolution = n;
  o.max_wavenumber = kmax;
  o.boundary = b;
  return o;
}

// Largest |f(coarse node i) - g(fine node r i)| over all coarse nodes (2D, C order).
double shared_node_difference(std::vector<double> const& coarse, kono::index_t nc, std::vector<double> const& fine,
                              kono::index_t nf, kono::index_t ratio) {
  double worst = 0;
  for (kono::index_t i = 0; i < nc; ++i)
    for (kono::index_t j = 0; j < nc; ++j) {
      double const d = coarse[std::size_t(i * nc + j)] - fine[std::size_t((ratio * i) * nf + ratio * j)];
      worst = std::max(worst, std::abs(d));
    }
  return worst;
}

double max_abs(std::vector<double> const& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// The Darcy default cutoff (255, far above what a 17-node grid resolves): nodes i/16 of the
// 17-node grid are nodes 2i/32 of the 33-node grid, and the values there are the same numbers
// up to the round-off of two different transforms.
TEST(GaussianRandomFieldResolution, NeumannFieldIsTheSameAtSharedNodes) {
  kono::index_t const K = kono::darcy_default_max_wavenumber(2);
  kono::GaussianRandomField g17(consistent_options(2, 17, K)), g33(consistent_options(2, 33, K)),
      g65(consistent_options(2, 65, K));
  EXPECT_EQ(g17.max_wavenumber(), K);
  for (kono::index_t k : {0, 1, 5}) {
    auto const a = g17.sample(2024, k), b = g33.sample(2024, k), c = g65.sample(2024, k);
    double const scale = max_abs(b);
    ASSERT_GT(scale, 0.05);  // field standard deviation is about 0.28
    EXPECT_LT(shared_node_difference(a, 17, b, 33, 2), 1e-12) << "sample " << k;
    EXPECT_LT(shared_node_difference(a, 17, c, 65, 4), 1e-12) << "sample " << k;
    EXPECT_LT(shared_node_difference(b, 33, c, 65, 2), 1e-12) << "sample " << k;
  }
  // Without a fixed cutoff the grid-limited field (k < N) of the finer grid has more modes, so
  // the values at the shared nodes differ: the comparison above can fail.
  kono::GaussianRandomField l17(consistent_options(2, 17, 0)), l33(consistent_options(2, 33, 0));
  EXPECT_EQ(l17.max_wavenumber(), 16);
  EXPECT_GT(shared_node_difference(l17.sample(2024, 0), 17, l33.sample(2024, 0), 33, 2), 1e-4);
}

// Periodic fields (x_j = j/N): points j/16 of N = 16 are points 2j/32 of N = 32; 3D as well.
TEST(GaussianRandomFieldResolution, PeriodicAnd3DFieldsAreTheSameAtSharedPoints) {
  auto const P = kono::RandomFieldBoundary::periodic;
  kono::GaussianRandomField p16(consistent_options(2, 16, 24, P)), p32(consistent_options(2, 32, 24, P));
  auto const a = p16.sample(3, 4), b = p32.sample(3, 4);
  ASSERT_GT(max_abs(b), 1e-3);
  EXPECT_LT(shared_node_difference(a, 16, b, 32, 2), 1e-12 * max_abs(b) + 1e-15);
  kono::GaussianRandomField n5(consistent_options(3, 5, 12)), n9(consistent_options(3, 9, 12));
  auto const c = n5.sample(8, 1), f = n9.sample(8, 1);
  double worst = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j)
      for (int l = 0; l < 5; ++l)
        worst = std::max(worst, std::abs(c[std::size_t((i * 5 + j) * 5 + l)] -
                                         f[std::size_t(((2 * i) * 9 + 2 * j) * 9 + 2 * l)]));
  EXPECT_GT(max_abs(f), 0.05);
  EXPECT_LT(worst, 1e-12);
}

// The FFT path evaluates exactly the trigonometric series of the documented coefficients,
// including modes above what the grid resolves (folded): direct sums at the grid points.
TEST(GaussianRandomFieldResolution, SamplesAreTheDocumentedSeriesAtTheGridPoints) {
  {  // neumann, 2D, K = 20 on 9 nodes (modes 9..20 fold)
    kono::index_t const n = 9, K = 20;
    kono::GaussianRandomField grf(consistent_options(2, n, K));
    auto const u = grf.sample(17, 2, 3);
    std::uint64_t const s = kono::sample_seed(17, 2, 3);
    double worst = 0;
    for (kono::index_t i = 0; i < n; ++i)
      for (kono::index_t j = 0; j < n; ++j) {
        double const x = double(i) / double(n - 1), y = double(j) / double(n - 1);
        double v = 0;
        for (kono::index_t k0 = 0; k0 <= K; ++k0)
          for (kono::index_t k1 = 0; k1 <= K; ++k1) {
            if (k0 == 0 && k1 == 0) continue;
            double const c0 = (k0 ? std::sqrt(2.0) : 1.0) * std::cos(pi * double(k0) * x);
            double const c1 = (k1 ? std::sqrt(2.0) : 1.0) * std::cos(pi * double(k1) * y);
            v += std::sqrt(grf.covariance_eigenvalue({k0, k1})) * kono::mode_normal(s, {k0, k1, 0}, 0) * c0 * c1;
          }
        worst = std::max(worst, std::abs(v - u[std::size_t(i * n + j)]));
      }
    EXPECT_LT(worst, 1e-13);
  }
  {  // periodic, 2D, K = 6 on 8 points (|k| > 4 folds)
    kono::index_t const n = 8, K = 6;
    kono::GaussianRandomField grf(consistent_options(2, n, K, kono::RandomFieldBoundary::periodic));
    auto const u = grf.sample(5, 0);
    std::uint64_t const s = kono::sample_seed(5, 0);
    double const r2 = 1 / std::sqrt(2.0);
    double worst = 0;
    for (kono::index_t i = 0; i < n; ++i)
      for (kono::index_t j = 0; j < n; ++j) {
        double v = 0;  // sum_k Re(a_k e^{2 pi i k.x}) over the full box, a_k Hermitian
        for (kono::index_t k0 = -K; k0 <= K; ++k0)
          for (kono::index_t k1 = -K; k1 <= K; ++k1) {
            if (k0 == 0 && k1 == 0) continue;
            double const amp = std::sqrt(grf.covariance_eigenvalue({k0, k1}));
            double const re = amp * r2 * r2 *
                              (kono::mode_normal(s, {k0, k1, 0}, 0) + kono::mode_normal(s, {-k0, -k1, 0}, 0));
            double const im = amp * r2 * r2 *
                              (kono::mode_normal(s, {k0, k1, 0}, 1) - kono::mode_normal(s, {-k0, -k1, 0}, 1));
            double const t = 2 * pi * double(k0 * i + k1 * j) / double(n);
            v += re * std::cos(t) - im * std::sin(t);
          }
        worst = std::max(worst, std::abs(v - u[std::size_t(i * n + j)]));
      }
    EXPECT_LT(worst, 1e-13);
  }
}

// 32 vs 64 nodes share only the corners, so compare the 32-node field with the bilinear
// interpolant of the 64-node field at the 32 nodes. For a C^2 function the interpolation error
// on a cell of width h is at most h^2/8 (max|u_xx| + max|u_yy|) (tensor-product linear
// interpolation, per-axis error bound h^2/8 max|u''|); for the series,
// max|u_xx| <= sum_k |c_k| (pi k0)^2 with c_k the coefficients in front of the cosines
// (likewise u_yy). The cutoff 16 keeps the field smooth enough that this bound is tight-ish
// (for the Darcy cutoff 255 the bound, ~ K^2, says nothing at h = 1/63).
TEST(GaussianRandomFieldResolution, FieldOn32NodesIsTheBilinearInterpolantOf64WithinItsErrorBound) {
  kono::index_t const K = 16, nc = 32, nf = 64;
  kono::GaussianRandomField gc(consistent_options(2, nc, K)), gf(consistent_options(2, nf, K));
  for (kono::index_t sample : {0, 3}) {
    auto const uc = gc.sample(99, sample), uf = gf.sample(99, sample);
    std::uint64_t const s = kono::sample_seed(99, sample);
    double uxx = 0, uyy = 0;
    for (kono::index_t k0 = 0; k0 <= K; ++k0)
      for (kono::index_t k1 = 0; k1 <= K; ++k1) {
        if (k0 == 0 && k1 == 0) continue;
        double const c = std::sqrt(gf.covariance_eigenvalue({k0, k1})) *
                         std::abs(kono::mode_normal(s, {k0, k1, 0}, 0)) * (k0 ? std::sqrt(2.0) : 1.0) *
                         (k1 ? std::sqrt(2.0) : 1.0);
        uxx += c * (pi * double(k0)) * (pi * double(k0));
        uyy += c * (pi * double(k1)) * (pi * double(k1));
      }
    double const h = 1.0 / double(nf - 1);
    double const bound = h * h / 8 * (uxx + uyy);
    double worst = 0, mean = 0;
    for (kono::index_t i = 0; i < nc; ++i)
      for (kono::index_t j = 0; j < nc; ++j) {
        double const x = double(i) / double(nc - 1) * double(nf - 1), y = double(j) / double(nc - 1) * double(nf - 1);
        kono::index_t const i0 = std::min<kono::index_t>(kono::index_t(x), nf - 2);
        kono::index_t const j0 = std::min<kono::index_t>(kono::index_t(y), nf - 2);
        double const tx = x - double(i0), ty = y - double(j0);
        auto at = [&](kono::index_t a, kono::index_t b) { return uf[std::size_t(a * nf + b)]; };
        double const v = (1 - tx) * (1 - ty) * at(i0, j0) + tx * (1 - ty) * at(i0 + 1, j0) +
                         (1 - tx) * ty * at(i0, j0 + 1) + tx * ty * at(i0 + 1, j0 + 1);
        double const e = std::abs(v - uc[std::size_t(i * nc + j)]);
        worst = std::max(worst, e);
        mean += e / double(nc * nc);
      }
    EXPECT_LE(worst, bound) << "sample " << sample;
    EXPECT_GT(mean, 0.0);
    // Not only below a loose bound: a few percent of the field's size.
    EXPECT_LT(worst, 0.05 * max_abs(uf)) << "sample " << sample;
  }
}

// Two-phase coefficients (Darcy defaults) are the same at shared nodes; another seed gives
// another field, so the comparisons above are not trivially true.
TEST(GaussianRandomFieldResolution, ThresholdedCoefficientsAgreeAtSharedNodesAndSeedsDiffer) {
  kono::index_t const K = kono::darcy_default_max_wavenumber(2);
  kono::GaussianRandomField g17(consistent_options(2, 17, K)), g33(consistent_options(2, 33, K));
  std::vector<double> a17, a33;
  int high = 0, low = 0;
  for (kono::index_t k = 0; k < 4; ++k) {
    kono::threshold_coefficient(g17.sample(11, k), a17);
    kono::threshold_coefficient(g33.sample(11, k), a33);
    for (int i = 0; i < 17; ++i)
      for (int j = 0; j < 17; ++j) {
        double const v = a17[std::size_t(i * 17 + j)];
        ASSERT_EQ(v, a33[std::size_t(2 * i * 33 + 2 * j)]) << "sample " << k << " node " << i << "," << j;
        (v == 12.0 ? high : low) += 1;
      }
  }
  EXPECT_GT(high, 50);
  EXPECT_GT(low, 50);
  auto const u = g33.sample(11, 0), v = g33.sample(12, 0);
  EXPECT_GT(shared_node_difference(u, 33, v, 33, 1), 0.1);
  EXPECT_GT(shared_node_difference(g17.sample(11, 0), 17, g33.sample(12, 0), 33, 2), 0.1);
}

}  // namespace
