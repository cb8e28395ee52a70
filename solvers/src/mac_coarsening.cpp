#include <fftw3.h>

#include <cmath>
#include <complex>
#include <set>

#include <kono/core/error.hpp>
#include <kono/solvers/mac_coarsening.hpp>

namespace kono {

void validate_mac_coarse_resolutions(index_t n, std::vector<index_t> const& coarse, char const* option) {
  std::set<index_t> seen;
  for (index_t nc : coarse) {
    KONO_USER_REQUIRE(nc >= 2, invalid_argument, option << ": coarse resolution " << nc << " is below 2");
    KONO_USER_REQUIRE(n % nc == 0, invalid_argument,
                      option << ": coarse resolution " << nc << " does not divide the DNS resolution " << n);
    KONO_USER_REQUIRE(seen.insert(nc).second, invalid_argument,
                      option << ": coarse resolution " << nc << " is listed twice");
  }
}

struct MacCoarsening::Impl {
  using cplx = std::complex<double>;
  index_t n = 0, nh = 0;
  double L = 0;
  std::vector<index_t> coarse;
  fftw_plan r2c = nullptr, c2r = nullptr;
  double* fine = nullptr;
  fftw_complex* spec = nullptr;   // spectrum of psi
  fftw_complex* work = nullptr;   // c2r input (destroyed)
  ~Impl() {
    if (r2c) fftw_destroy_plan(r2c);
    if (c2r) fftw_destroy_plan(c2r);
    if (fine) fftw_free(fine);
    if (spec) fftw_free(spec);
    if (work) fftw_free(work);
  }
  double wavenumber(index_t i) const { return i <= n / 2 ? double(i) : double(i - n); }
};

MacCoarsening::MacCoarsening(index_t n, double domain_length, std::vector<index_t> coarse)
    : m_impl(std::make_unique<Impl>()) {
  char const* fq = "kono::MacCoarsening";
  KONO_USER_REQUIRE(n >= 2, invalid_argument, fq << ": n = " << n << ", expected >= 2");
  KONO_USER_REQUIRE(std::isfinite(domain_length) && domain_length > 0, invalid_argument,
                    fq << ": domain_length = " << domain_length << ", expected > 0");
  validate_mac_coarse_resolutions(n, coarse, fq);
  Impl& m = *m_impl;
  m.n = n;
  m.nh = n / 2 + 1;
  m.L = domain_length;
  m.coarse = std::move(coarse);
  m.fine = fftw_alloc_real(std::size_t(n * n));
  m.spec = fftw_alloc_complex(std::size_t(n * m.nh));
  m.work = fftw_alloc_complex(std::size_t(n * m.nh));
  KONO_USER_REQUIRE(m.fine && m.spec && m.work, invalid_argument, fq << ": cannot allocate a " << n << "^2 field");
  int const dims[2] = {int(n), int(n)};
  m.r2c = fftw_plan_dft_r2c(2, dims, m.fine, m.spec, FFTW_ESTIMATE);
  m.c2r = fftw_plan_dft_c2r(2, dims, m.work, m.fine, FFTW_ESTIMATE);
  KONO_REQUIRE(m.r2c && m.c2r, "FFTW could not plan a " << n << "^2 real transform");
}

MacCoarsening::~MacCoarsening() = default;

std::vector<index_t> const& MacCoarsening::coarse() const noexcept { return m_impl->coarse; }

void MacCoarsening::set_vorticity(double const* w) {
  Impl& m = *m_impl;
  KONO_USER_REQUIRE(w, invalid_argument, "kono::MacCoarsening::set_vorticity: w is null");
  std::copy(w, w + m.n * m.n, m.fine);
  fftw_execute(m.r2c);
  auto* s = reinterpret_cast<Impl::cplx*>(m.spec);
  double const kf = 2.0 * 3.14159265358979323846 / m.L;
  double const norm = 1.0 / double(m.n * m.n);
  for (index_t i = 0; i < m.n; ++i)
    for (index_t j = 0; j < m.nh; ++j) {
      double const a = m.wavenumber(i), b = double(j);
      double const k2 = kf * kf * (a * a + b * b);
      std::size_t const k = std::size_t(i * m.nh + j);
      s[k] = k2 > 0 ? s[k] * (norm / k2) : Impl::cplx(0);  // psi_hat, normalised for c2r
    }
}

void MacCoarsening::velocity(std::size_t c, double* out) {
  Impl& m = *m_impl;
  KONO_USER_REQUIRE(c < m.coarse.size(), invalid_argument,
                    "kono::MacCoarsening::velocity: coarse grid " << c << " of " << m.coarse.size());
  index_t const n = m.n, nc = m.coarse[c], r = n / nc;
  double const kf = 2.0 * 3.14159265358979323846 / m.L, H = m.L / double(nc);
  auto sinc = [](double x) { return x == 0 ? 1.0 : std::sin(x) / x; };
  auto const* s = reinterpret_cast<Impl::cplx const*>(m.spec);
  auto* wk = reinterpret_cast<Impl::cplx*>(m.work);
  Impl::cplx const I(0.0, 1.0);
  // Even ratio: the face midpoints are DNS points, sampled directly; the Nyquist modes need no
  // care (their sinc factor is sin(pi r / 2) = 0, and in the sampled direction they take the same
  // value on faces r points apart). Odd ratio (e.g. nc = n): the averaged field is shifted by half
  // a coarse cell in Fourier space (exp(i k H / 2)) and sampled at DNS points; the Nyquist mode of
  // the shifted axis, which a real transform cannot shift, is dropped (the DNS keeps it near zero).
  bool const even = r % 2 == 0;
  for (int ch = 0; ch < 2; ++ch) {
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < m.nh; ++j) {
        double const ky = kf * m.wavenumber(i), kx = kf * double(j);
        std::size_t const k = std::size_t(i * m.nh + j);
        // u = psi_y averaged over y; v = -psi_x averaged over x.
        wk[k] = ch == 0 ? I * ky * sinc(0.5 * ky * H) * s[k] : -I * kx * sinc(0.5 * kx * H) * s[k];
        if (!even) {
          bool const nyquist = ch == 0 ? (n % 2 == 0 && i == n / 2) : (n % 2 == 0 && j == n / 2);
          wk[k] = nyquist ? Impl::cplx(0) : wk[k] * std::exp(I * (ch == 0 ? ky : kx) * (0.5 * H));
        }
      }
    fftw_execute(m.c2r);
    double* o = out + std::size_t(ch) * std::size_t(nc * nc);
    index_t const mid = even ? r / 2 : 0;
    for (index_t jj = 0; jj < nc; ++jj)
      for (index_t ii = 0; ii < nc; ++ii) {
        index_t const fy = ch == 0 ? jj * r + mid : jj * r;
        index_t const fx = ch == 0 ? ii * r : ii * r + mid;
        o[jj * nc + ii] = m.fine[fy * n + fx];
      }
  }
}

void mac_corner_vorticity(index_t nc, double domain_length, double const* velocity, double* vorticity) {
  double const inv_h = double(nc) / domain_length;
  double const* u = velocity;
  double const* v = velocity + nc * nc;
  for (index_t j = 0; j < nc; ++j)
    for (index_t i = 0; i < nc; ++i) {
      index_t const im = (i + nc - 1) % nc, jm = (j + nc - 1) % nc;
      vorticity[j * nc + i] = (v[j * nc + i] - v[j * nc + im]) * inv_h - (u[j * nc + i] - u[jm * nc + i]) * inv_h;
    }
}

void mac_divergence(index_t nc, double domain_length, double const* velocity, double* divergence) {
  double const inv_h = double(nc) / domain_length;
  double const* u = velocity;
  double const* v = velocity + nc * nc;
  for (index_t j = 0; j < nc; ++j)
    for (index_t i = 0; i < nc; ++i) {
      index_t const ip = (i + 1) % nc, jp = (j + 1) % nc;
      divergence[j * nc + i] = (u[j * nc + ip] - u[j * nc + i] + v[jp * nc + i] - v[j * nc + i]) * inv_h;
    }
}

}  // namespace kono
