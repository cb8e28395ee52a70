// Gaussian random fields: covariance spectrum (periodic), pointwise variance (Neumann),
// reproducibility from (seed, sample), coefficient maps and the Burgers initial condition.
#include <fftw3.h>

#include <cmath>
#include <map>
#include <vector>

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
}

}  // namespace
