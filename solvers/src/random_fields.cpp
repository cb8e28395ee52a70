#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include <kono/core/error.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {
namespace {

// SplitMix64 finaliser. kono::operators has the same function, but solvers may not depend on
// operators (DESIGN.md), so the 6 lines are repeated here under internal linkage.
std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double const pi = 3.14159265358979323846;

index_t ipow(index_t n, int d) {
  index_t r = 1;
  for (int i = 0; i < d; ++i) r *= n;
  return r;
}

}  // namespace

char const* to_string(RandomFieldBoundary boundary) noexcept {
  switch (boundary) {
    case RandomFieldBoundary::periodic: return "periodic";
    case RandomFieldBoundary::neumann: return "neumann";
  }
  return "unknown";
}

void GaussianRandomFieldOptions::validate() const {
  char const* fq = "kono::GaussianRandomFieldOptions";
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, fq << ": dim = " << dim << ", expected 1, 2 or 3");
  KONO_USER_REQUIRE(resolution >= 2, invalid_argument,
                    fq << ": resolution = " << resolution << ", expected at least 2 points per axis");
  KONO_USER_REQUIRE(std::isfinite(alpha) && alpha > 0.5 * dim, invalid_argument,
                    fq << ": alpha = " << alpha << ", expected a finite value > dim/2 = " << 0.5 * dim
                       << " (otherwise the field has infinite variance)");
  KONO_USER_REQUIRE(std::isfinite(tau) && tau > 0, invalid_argument,
                    fq << ": tau = " << tau << ", expected a finite value > 0");
  KONO_USER_REQUIRE(std::isfinite(sigma) && sigma != 0, invalid_argument,
                    fq << ": sigma = " << sigma << ", expected a finite value > 0 (or < 0 for tau^(alpha - dim/2))");
}

double GaussianRandomFieldOptions::effective_sigma() const {
  return sigma > 0 ? sigma : std::pow(tau, 0.5 * (2.0 * alpha - dim));
}

std::uint64_t sample_seed(std::uint64_t seed, index_t sample, std::uint64_t stream) noexcept {
  return mix64(mix64(seed) ^ mix64(static_cast<std::uint64_t>(sample) + 1) ^ mix64(~stream));
}

double hashed_normal(std::uint64_t stream_seed, std::uint64_t i) noexcept {
  double const scale = 1.0 / 9007199254740992.0;  // 2^-53
  double const u1 = static_cast<double>((mix64(stream_seed ^ mix64(2 * i)) >> 11) + 1) * scale;  // (0, 1]
  double const u2 = static_cast<double>(mix64(stream_seed ^ mix64(2 * i + 1)) >> 11) * scale;    // [0, 1)
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * pi * u2);
}

struct GaussianRandomField::Impl {
  GaussianRandomFieldOptions opt;
  double sigma = 1;
  index_t n = 0;
  index_t total = 0;
  fftw_plan plan = nullptr;
  double* real_buf = nullptr;          // neumann: in/out of the in-place DCT-I; periodic: c2r output
  fftw_complex* complex_buf = nullptr;  // periodic: half spectrum
  index_t half_total = 0;

  ~Impl() {
    if (plan) fftw_destroy_plan(plan);
    if (real_buf) fftw_free(real_buf);
    if (complex_buf) fftw_free(complex_buf);
  }

  // Wave number of FFT index i on n points (periodic), or i itself (neumann).
  double wavenumber(index_t i) const {
    if (opt.boundary == RandomFieldBoundary::neumann) return static_cast<double>(i);
    return static_cast<double>(i <= n / 2 ? i : i - n);
  }
  double eigenvalue_sq(double k2) const {
    double const lam = (opt.boundary == RandomFieldBoundary::periodic ? 4.0 * pi * pi : pi * pi) * k2 + opt.tau * opt.tau;
    return sigma * sigma * std::pow(lam, -opt.alpha);
  }
};

GaussianRandomField::GaussianRandomField(GaussianRandomFieldOptions const& options) : m_impl(std::make_unique<Impl>()) {
  options.validate();
  Impl& m = *m_impl;
  m.opt = options;
  m.sigma = options.effective_sigma();
  m.n = options.resolution;
  m.total = ipow(m.n, options.dim);
  int dims[3] = {int(m.n), int(m.n), int(m.n)};
  KONO_USER_REQUIRE(m.n < (index_t(1) << 30), invalid_argument,
                    "kono::GaussianRandomField: resolution " << m.n << " too large for FFTW's int extents");
  m.real_buf = fftw_alloc_real(static_cast<std::size_t>(m.total));
  KONO_USER_REQUIRE(m.real_buf, invalid_argument,
                    "kono::GaussianRandomField: cannot allocate " << m.total << " doubles for a "
                                                                   << options.resolution << "^" << options.dim
                                                                   << " field");
  // FFTW_ESTIMATE: planning does not touch the buffers and is deterministic, so every rank uses
  // the same algorithm and produces the same bits for the same sample.
  if (options.boundary == RandomFieldBoundary::neumann) {
    fftw_r2r_kind kinds[3] = {FFTW_REDFT00, FFTW_REDFT00, FFTW_REDFT00};
    m.plan = fftw_plan_r2r(options.dim, dims, m.real_buf, m.real_buf, kinds, FFTW_ESTIMATE);
  } else {
    m.half_total = m.total / m.n * (m.n / 2 + 1);
    m.complex_buf = fftw_alloc_complex(static_cast<std::size_t>(m.half_total));
    KONO_USER_REQUIRE(m.complex_buf, invalid_argument, "kono::GaussianRandomField: cannot allocate the spectrum");
    m.plan = fftw_plan_dft_c2r(options.dim, dims, m.complex_buf, m.real_buf, FFTW_ESTIMATE);
  }
  KONO_REQUIRE(m.plan != nullptr, "FFTW could not plan a " << to_string(options.boundary) << " synthesis");
}

GaussianRandomField::~GaussianRandomField() = default;
GaussianRandomField::GaussianRandomField(GaussianRandomField&&) noexcept = default;
GaussianRandomField& GaussianRandomField::operator=(GaussianRandomField&&) noexcept = default;

GaussianRandomFieldOptions const& GaussianRandomField::options() const noexcept { return m_impl->opt; }
index_t GaussianRandomField::size() const noexcept { return m_impl->total; }

StructuredGrid GaussianRandomField::grid() const {
  int const d = m_impl->opt.dim;
  bool const periodic = m_impl->opt.boundary == RandomFieldBoundary::periodic;
  return StructuredGrid::unit_box(std::vector<index_t>(std::size_t(d), m_impl->n),
                                  std::vector<bool>(std::size_t(d), periodic));
}

double GaussianRandomField::covariance_eigenvalue(std::vector<index_t> const& k) const {
  KONO_USER_REQUIRE(static_cast<int>(k.size()) == m_impl->opt.dim, invalid_argument,
                    "kono::GaussianRandomField::covariance_eigenvalue: " << k.size() << " wave-vector components for a "
                                                                         << m_impl->opt.dim << "-d field");
  double k2 = 0;
  bool zero = true;
  for (index_t c : k) {
    k2 += double(c) * double(c);
    zero = zero && c == 0;
  }
  return zero ? 0.0 : m_impl->eigenvalue_sq(k2);
}

std::vector<double> GaussianRandomField::sample(std::uint64_t seed, index_t sample_index, std::uint64_t stream) {
  std::vector<double> out(static_cast<std::size_t>(m_impl->total));
  sample_into(seed, sample_index, out.data(), stream);
  return out;
}

void GaussianRandomField::sample_into(std::uint64_t seed, index_t sample_index, double* out, std::uint64_t stream) {
  KONO_USER_REQUIRE(sample_index >= 0, invalid_argument,
                    "kono::GaussianRandomField::sample_into: sample index " << sample_index << " is negative");
  KONO_USER_REQUIRE(out != nullptr, invalid_argument, "kono::GaussianRandomField::sample_into: output is null");
  Impl& m = *m_impl;
  std::uint64_t const s = sample_seed(seed, sample_index, stream);
  int const d = m.opt.dim;
  index_t const n = m.n;
  index_t ext[3] = {1, 1, 1};
  for (int a = 0; a < d; ++a) ext[3 - d + a] = n;  // pad leading axes with extent 1

  if (m.opt.boundary == RandomFieldBoundary::neumann) {
    // u_j = sum_k sqrt(mu_k) xi_k prod_a c(k_a) cos(pi k_a j_a / (n-1)). FFTW's REDFT00 computes
    // Y_j = X_0 + (-1)^j X_{n-1} + 2 sum_{0<k<n-1} X_k cos(pi j k/(n-1)) per axis, so interior
    // modes enter with a factor 1/2.
    auto axis_factor = [n](index_t k) {
      double const norm = k == 0 ? 1.0 : std::sqrt(2.0);
      double const w = (k == 0 || k == n - 1) ? 1.0 : 0.5;
      return norm * w;
    };
    for (index_t i0 = 0; i0 < ext[0]; ++i0)
      for (index_t i1 = 0; i1 < ext[1]; ++i1)
        for (index_t i2 = 0; i2 < ext[2]; ++i2) {
          index_t const lin = (i0 * ext[1] + i1) * ext[2] + i2;
          double const k2 = double(i0) * i0 + double(i1) * i1 + double(i2) * i2;
          double v = 0;
          if (lin != 0) {
            double f = std::sqrt(m.eigenvalue_sq(k2)) * hashed_normal(s, std::uint64_t(lin));
            if (ext[0] > 1) f *= axis_factor(i0);
            if (ext[1] > 1) f *= axis_factor(i1);
            f *= axis_factor(i2);
            v = f;
          }
          m.real_buf[lin] = v;
        }
    fftw_execute(m.plan);
  } else {
    // Hermitian coefficients a_k = sqrt(mu_k) (xi_k + conj(xi_{-k})) / sqrt(2) from complex
    // normals xi indexed over the full grid, so E|a_k|^2 = mu_k for every k, including the
    // self-conjugate ones (k = -k mod n), whose a_k is real.
    index_t const nh = n / 2 + 1;
    double const r2 = 1.0 / std::sqrt(2.0);
    auto neg = [](index_t i, index_t e) { return i == 0 ? 0 : e - i; };
    for (index_t i0 = 0; i0 < ext[0]; ++i0)
      for (index_t i1 = 0; i1 < ext[1]; ++i1)
        for (index_t i2 = 0; i2 < nh; ++i2) {
          index_t const h = (i0 * ext[1] + i1) * nh + i2;
          index_t const lin = (i0 * ext[1] + i1) * ext[2] + i2;
          index_t const lin_neg = (neg(i0, ext[0]) * ext[1] + neg(i1, ext[1])) * ext[2] + neg(i2, ext[2]);
          double re = 0, im = 0;
          if (lin != 0) {
            double k2 = 0;
            if (ext[0] > 1) k2 += m.wavenumber(i0) * m.wavenumber(i0);
            if (ext[1] > 1) k2 += m.wavenumber(i1) * m.wavenumber(i1);
            k2 += m.wavenumber(i2) * m.wavenumber(i2);
            double const amp = std::sqrt(m.eigenvalue_sq(k2));
            double const xr = hashed_normal(s, 2 * std::uint64_t(lin)) * r2;
            double const xi = hashed_normal(s, 2 * std::uint64_t(lin) + 1) * r2;
            double const yr = hashed_normal(s, 2 * std::uint64_t(lin_neg)) * r2;
            double const yi = hashed_normal(s, 2 * std::uint64_t(lin_neg) + 1) * r2;
            re = amp * (xr + yr) * r2;
            im = amp * (xi - yi) * r2;
          }
          m.complex_buf[h][0] = re;
          m.complex_buf[h][1] = im;
        }
    fftw_execute(m.plan);
  }
  std::copy(m.real_buf, m.real_buf + m.total, out);
}

void threshold_coefficient(std::vector<double> const& field, std::vector<double>& a, double high, double low,
                           double threshold) {
  char const* fq = "kono::threshold_coefficient";
  KONO_USER_REQUIRE(std::isfinite(high) && high > 0 && std::isfinite(low) && low > 0, invalid_argument,
                    fq << ": phase values high = " << high << ", low = " << low << ", expected finite values > 0");
  KONO_USER_REQUIRE(std::isfinite(threshold), invalid_argument, fq << ": threshold = " << threshold << " is not finite");
  if (&a != &field) a.resize(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) a[i] = field[i] > threshold ? high : low;
}

void lognormal_coefficient(std::vector<double> const& field, std::vector<double>& a, double scale) {
  KONO_USER_REQUIRE(std::isfinite(scale), invalid_argument,
                    "kono::lognormal_coefficient: scale = " << scale << " is not finite");
  if (&a != &field) a.resize(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) a[i] = std::exp(scale * field[i]);
}

GaussianRandomFieldOptions burgers_initial_condition_options(index_t resolution) {
  GaussianRandomFieldOptions o;
  o.dim = 1;
  o.resolution = resolution;
  o.alpha = 2.0;
  o.tau = 5.0;
  o.sigma = 25.0;
  o.boundary = RandomFieldBoundary::periodic;
  return o;
}

std::vector<double> random_initial_condition(index_t resolution, std::uint64_t seed, index_t sample) {
  GaussianRandomField grf(burgers_initial_condition_options(resolution));
  return grf.sample(seed, sample);
}

}  // namespace kono
