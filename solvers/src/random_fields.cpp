#include <fftw3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

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
  KONO_USER_REQUIRE(max_wavenumber >= 0 && max_wavenumber < (index_t(1) << 19), invalid_argument,
                    fq << ": max_wavenumber = " << max_wavenumber
                       << ", expected 0 (all the grid resolves) or a cutoff in 1 .. 2^19 - 1");
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

double mode_normal(std::uint64_t stream_seed, std::array<index_t, 3> const& k, int part) noexcept {
  // 20 bits per component (offset 2^19): the counter 2 key + part stays below 2^61, so the
  // 2 i, 2 i + 1 of hashed_normal() never wrap and distinct (k, part) never share a counter.
  std::uint64_t const off = std::uint64_t(1) << 19, mask = (std::uint64_t(1) << 20) - 1;
  std::uint64_t const key = ((std::uint64_t(k[0]) + off) & mask) << 40 | ((std::uint64_t(k[1]) + off) & mask) << 20 |
                            ((std::uint64_t(k[2]) + off) & mask);
  return hashed_normal(stream_seed, 2 * key + std::uint64_t(part & 1));
}

struct GaussianRandomField::Impl {
  GaussianRandomFieldOptions opt;
  double sigma = 1;
  index_t n = 0;
  index_t kmax = 0;  // cutoff in use
  index_t total = 0;
  fftw_plan plan = nullptr;
  double* real_buf = nullptr;          // neumann: in/out of the in-place DCT-I; periodic: c2r output
  fftw_complex* complex_buf = nullptr;  // periodic: half spectrum
  index_t half_total = 0;
  std::vector<double> amp_table;  // sqrt(mu) by integer |k|^2, when small enough to tabulate
  std::vector<index_t> fold;      // grid frequency of wave number k (neumann: 0..K; periodic: -K..K at k + K)

  ~Impl() {
    if (plan) fftw_destroy_plan(plan);
    if (real_buf) fftw_free(real_buf);
    if (complex_buf) fftw_free(complex_buf);
  }

  double eigenvalue_sq(double k2) const {
    double const lam = (opt.boundary == RandomFieldBoundary::periodic ? 4.0 * pi * pi : pi * pi) * k2 + opt.tau * opt.tau;
    return sigma * sigma * std::pow(lam, -opt.alpha);
  }
  double amplitude(std::int64_t k2) const {
    return std::size_t(k2) < amp_table.size() ? amp_table[std::size_t(k2)] : std::sqrt(eigenvalue_sq(double(k2)));
  }
};

GaussianRandomField::GaussianRandomField(GaussianRandomFieldOptions const& options) : m_impl(std::make_unique<Impl>()) {
  options.validate();
  Impl& m = *m_impl;
  m.opt = options;
  m.sigma = options.effective_sigma();
  m.n = options.resolution;
  m.total = ipow(m.n, options.dim);
  bool const periodic = options.boundary == RandomFieldBoundary::periodic;
  m.kmax = options.max_wavenumber > 0 ? options.max_wavenumber
                                       : (periodic ? std::max<index_t>(1, (m.n - 1) / 2) : m.n - 1);
  KONO_USER_REQUIRE(m.kmax >= 1 && m.kmax < (index_t(1) << 19), invalid_argument,
                    "kono::GaussianRandomField: cutoff " << m.kmax << " for resolution " << m.n
                                                         << ", expected 1 <= max_wavenumber < 2^19");
  int dims[3] = {int(m.n), int(m.n), int(m.n)};
  KONO_USER_REQUIRE(m.n < (index_t(1) << 30), invalid_argument,
                    "kono::GaussianRandomField: resolution " << m.n << " too large for FFTW's int extents");
  // Fold table: the grid frequency each kept wave number equals at the grid points.
  if (periodic) {
    m.fold.resize(std::size_t(2 * m.kmax + 1));
    for (index_t k = -m.kmax; k <= m.kmax; ++k) m.fold[std::size_t(k + m.kmax)] = ((k % m.n) + m.n) % m.n;
  } else {
    index_t const M = m.n - 1, period = 2 * M;  // cos(pi k j / M) = cos(pi r j / M), r = k mod 2M, reflected
    m.fold.resize(std::size_t(m.kmax + 1));
    for (index_t k = 0; k <= m.kmax; ++k) {
      index_t const r = k % period;
      m.fold[std::size_t(k)] = r <= M ? r : period - r;
    }
  }
  std::int64_t const k2max = std::int64_t(options.dim) * std::int64_t(m.kmax) * std::int64_t(m.kmax);
  if (k2max < (std::int64_t(1) << 21)) {
    m.amp_table.resize(std::size_t(k2max + 1));
    for (std::int64_t q = 0; q <= k2max; ++q) m.amp_table[std::size_t(q)] = std::sqrt(m.eigenvalue_sq(double(q)));
  }
  m.real_buf = fftw_alloc_real(static_cast<std::size_t>(m.total));
  KONO_USER_REQUIRE(m.real_buf, invalid_argument,
                    "kono::GaussianRandomField: cannot allocate " << m.total << " doubles for a "
                                                                   << options.resolution << "^" << options.dim
                                                                   << " field");
  // FFTW_ESTIMATE: planning does not touch the buffers and is deterministic, so every rank uses
  // the same algorithm and produces the same bits for the same sample.
  if (!periodic) {
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
index_t GaussianRandomField::max_wavenumber() const noexcept { return m_impl->kmax; }

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
  index_t const n = m.n, K = m.kmax;
  // Mode loops over axes 0..d-1 (unused axes run over {0} only).
  index_t const kb1 = d >= 2 ? K : 0, kb2 = d >= 3 ? K : 0;

  if (m.opt.boundary == RandomFieldBoundary::neumann) {
    // u_j = sum_k sqrt(mu_k) xi_k prod_a c(k_a) cos(pi k_a j_a / (n-1)). At the nodes mode k
    // equals mode fold(k) in [0, n-1], so the folded coefficients are summed per grid
    // frequency; FFTW's REDFT00 then computes Y_j = X_0 + (-1)^j X_{n-1}
    // + 2 sum_{0<q<n-1} X_q cos(pi j q/(n-1)) per axis, so interior frequencies enter halved.
    std::fill(m.real_buf, m.real_buf + m.total, 0.0);
    double const r2 = std::sqrt(2.0);
    auto const& f = m.fold;
    for (index_t k0 = 0; k0 <= K; ++k0)
      for (index_t k1 = 0; k1 <= kb1; ++k1)
        for (index_t k2 = 0; k2 <= kb2; ++k2) {
          if (k0 == 0 && k1 == 0 && k2 == 0) continue;
          double c = m.amplitude(std::int64_t(k0) * k0 + std::int64_t(k1) * k1 + std::int64_t(k2) * k2) *
                     mode_normal(s, {k0, k1, k2}, 0);
          if (k0) c *= r2;
          if (k1) c *= r2;
          if (k2) c *= r2;
          index_t lin = f[std::size_t(k0)];
          if (d >= 2) lin = lin * n + f[std::size_t(k1)];
          if (d >= 3) lin = lin * n + f[std::size_t(k2)];
          m.real_buf[lin] += c;
        }
    index_t const M = n - 1;
    auto w = [M](index_t q) { return (q == 0 || q == M) ? 1.0 : 0.5; };
    index_t const e1 = d >= 2 ? n : 1, e2 = d >= 3 ? n : 1;
    for (index_t q0 = 0; q0 < n; ++q0)
      for (index_t q1 = 0; q1 < e1; ++q1)
        for (index_t q2 = 0; q2 < e2; ++q2) {
          double v = w(q0);
          if (d >= 2) v *= w(q1);
          if (d >= 3) v *= w(q2);
          m.real_buf[(q0 * e1 + q1) * e2 + q2] *= v;
        }
    fftw_execute(m.plan);
  } else {
    // Hermitian coefficients a_k = sqrt(mu_k) (z_k + conj(z_{-k})) / sqrt(2) from complex
    // normals z keyed by the wave vector, so E|a_k|^2 = mu_k and a_{-k} = conj(a_k) bit for bit.
    // At the points j/n, mode k equals grid frequency k mod n: the sums per frequency are
    // accumulated into the half spectrum (last-axis frequency <= n/2; the others follow from
    // Hermitian symmetry) for the complex-to-real transform.
    std::fill(&m.complex_buf[0][0], &m.complex_buf[0][0] + 2 * m.half_total, 0.0);
    index_t const nh = n / 2 + 1;
    double const r2 = 1.0 / std::sqrt(2.0);
    auto const& f = m.fold;
    index_t const kb0 = K;
    for (index_t k0 = -kb0; k0 <= kb0; ++k0)
      for (index_t k1 = -kb1; k1 <= kb1; ++k1)
        for (index_t k2 = -kb2; k2 <= kb2; ++k2) {
          if (k0 == 0 && k1 == 0 && k2 == 0) continue;
          index_t const q0 = f[std::size_t(k0 + K)], q1 = f[std::size_t(k1 + K)], q2 = f[std::size_t(k2 + K)];
          index_t const qlast = d == 1 ? q0 : (d == 2 ? q1 : q2);
          if (qlast >= nh) continue;
          double const amp =
              m.amplitude(std::int64_t(k0) * k0 + std::int64_t(k1) * k1 + std::int64_t(k2) * k2);
          std::array<index_t, 3> const kp{k0, k1, k2}, km{-k0, -k1, -k2};
          double const xr = mode_normal(s, kp, 0) * r2, xi = mode_normal(s, kp, 1) * r2;
          double const yr = mode_normal(s, km, 0) * r2, yi = mode_normal(s, km, 1) * r2;
          index_t h = 0;
          if (d == 1) h = q0;
          if (d == 2) h = q0 * nh + q1;
          if (d == 3) h = (q0 * n + q1) * nh + q2;
          m.complex_buf[h][0] += amp * (xr + yr) * r2;
          m.complex_buf[h][1] += amp * (xi - yi) * r2;
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
