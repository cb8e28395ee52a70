#pragma once
// Direct O(n^2) DFT reference of SpectralConv's forward, shared by the spectral tests.
#include <complex>
#include <vector>

#include <kono/core/shape.hpp>

namespace kono::test {

constexpr double two_pi = 6.283185307179586476925;

// Direct O(n^2) reference, independent of FFTW and of the layer's index tables:
// X_f = (1/P) sum_x x e^{-i theta}, Y_f = sum_i W[i, o, f] X_f,
// y = b + sum_{kept f} c_f Re(Y_f e^{+i theta}), c_f = 1 on the zero/Nyquist planes of the
// last axis and 2 elsewhere (the real inverse FFT of a half spectrum).
inline std::vector<double> reference(kono::Shape const& in, int cout, std::vector<int> const& modes,
                                     std::vector<double> const& p, std::vector<double> const& x) {
  int const d = int(modes.size());
  kono::index_t const n = in[0], cin = in[1];
  std::vector<kono::index_t> ext(d);
  kono::index_t points = 1;
  for (int a = 0; a < d; ++a) points *= (ext[a] = in[a + 2]);
  std::vector<int> wm = modes;
  wm.back() = wm.back() / 2 + 1;
  kono::index_t nw = 1;
  for (int m : wm) nw *= m;
  std::vector<double> y(std::size_t(n * cout * points));
  auto coords = [&](kono::index_t flat, std::vector<kono::index_t> const& e) {
    std::vector<kono::index_t> c(e.size());
    for (int a = int(e.size()) - 1; a >= 0; --a) {
      c[a] = flat % e[a];
      flat /= e[a];
    }
    return c;
  };
  std::vector<kono::index_t> wext(wm.begin(), wm.end());
  for (kono::index_t s = 0; s < n; ++s)
    for (kono::index_t m = 0; m < nw; ++m) {
      auto j = coords(m, wext);
      std::vector<double> f(d);
      for (int a = 0; a < d; ++a) f[a] = (a == d - 1) ? double(j[a]) : double(j[a] - modes[a] / 2);
      kono::index_t const fl = j[d - 1];
      double const c = (fl == 0 || (ext[d - 1] % 2 == 0 && fl == ext[d - 1] / 2)) ? 1.0 : 2.0;
      auto phase = [&](kono::index_t q) {
        auto xc = coords(q, ext);
        double t = 0;
        for (int a = 0; a < d; ++a) t += two_pi * f[a] * double(xc[a]) / double(ext[a]);
        return t;
      };
      std::vector<std::complex<double>> xs(cin);
      for (kono::index_t i = 0; i < cin; ++i) {
        std::complex<double> acc = 0;
        for (kono::index_t q = 0; q < points; ++q) acc += x[(s * cin + i) * points + q] * std::polar(1.0, -phase(q));
        xs[i] = acc / double(points);
      }
      for (int o = 0; o < cout; ++o) {
        std::complex<double> yf = 0;
        for (kono::index_t i = 0; i < cin; ++i) {
          kono::index_t const w = (i * cout + o) * nw + m;
          yf += std::complex<double>(p[2 * w], p[2 * w + 1]) * xs[i];
        }
        for (kono::index_t q = 0; q < points; ++q)
          y[(s * cout + o) * points + q] += c * (yf * std::polar(1.0, phase(q))).real();
      }
    }
  kono::index_t const bias_at = 2 * cin * cout * nw;
  for (kono::index_t s = 0; s < n; ++s)
    for (int o = 0; o < cout; ++o)
      for (kono::index_t q = 0; q < points; ++q) y[(s * cout + o) * points + q] += p[bias_at + o];
  return y;
}

}  // namespace kono::test
