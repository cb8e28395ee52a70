#pragma once
/// Coarse staggered-grid (MAC) states of a fine pseudo-spectral vorticity field: exact face
/// averages of the velocity, the state of a coarse finite-volume solver (learned-solver data,
/// Kochkov et al. 2021). Axis convention of the Kolmogorov set-up: arrays are [..., ny, nx],
/// axis 0 is y, axis 1 is x; u (along x) = psi_y, v (along y) = -psi_x, -Lap psi = w.
#include <memory>
#include <vector>

#include <kono/core/types.hpp>

namespace kono {

/// Checks a list of coarse resolutions for a fine resolution n: each nc >= 2 divides n (nc = n
/// included), no duplicates. Throws Error{invalid_argument} naming `option` (e.g. "--ns.coarse")
/// and the offending value. Not collective.
void validate_mac_coarse_resolutions(index_t n, std::vector<index_t> const& coarse, char const* option);

/// Face averages on coarse MAC grids of cell width H = L / nc, from a fine vorticity on n^2 points
/// x_j = j L / n (any nc dividing n; n / nc odd, e.g. nc = n, shifts by half a cell in Fourier space):
///   channel 0, u at x-faces: u[j][i] = (1/H) int_{jH}^{(j+1)H} u(iH, y) dy,
///   channel 1, v at y-faces: v[j][i] = (1/H) int_{iH}^{(i+1)H} v(x, jH) dx.
/// Computed spectrally (the Fourier coefficient times the sinc factor of the averaging direction,
/// inverse-transformed on the fine grid, sampled at the face midpoints; for odd n / nc the
/// Nyquist mode of the shifted axis is dropped), so they are the exact
/// averages of the fine trigonometric interpolant; u[j][i] = (psi(iH, (j+1)H) - psi(iH, jH)) / H, so
/// the coarse discrete divergence vanishes to round-off. Holds FFTW plans: build once, reuse.
/// Not collective; not thread safe.
class MacCoarsening {
 public:
  /// Throws Error{invalid_argument} for n < 2, a bad coarse list or domain_length not > 0.
  MacCoarsening(index_t n, double domain_length, std::vector<index_t> coarse);
  ~MacCoarsening();
  MacCoarsening(MacCoarsening const&) = delete;
  MacCoarsening& operator=(MacCoarsening const&) = delete;

  std::vector<index_t> const& coarse() const noexcept;
  /// Sets the fine vorticity (n*n values, C order [y, x]); the spectrum is kept for velocity().
  void set_vorticity(double const* w);
  /// Face-averaged velocity of the last set_vorticity() on the coarse grid number `c` (index into
  /// coarse()): writes [2, nc, nc] (channel 0 u, channel 1 v) to `out`.
  void velocity(std::size_t c, double* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Vorticity at the corners of a coarse MAC grid from its face velocities [2, nc, nc]:
/// w[j][i] = (v[j][i] - v[j][i-1]) / H - (u[j][i] - u[j-1][i]) / H, indices periodic, H = L / nc
/// (the circulation around the dual cell centred on the corner (iH, jH), divided by its area).
/// Writes nc*nc values. Not collective.
void mac_corner_vorticity(index_t nc, double domain_length, double const* velocity, double* vorticity);

/// Discrete divergence per cell, (u[j][i+1] - u[j][i] + v[j+1][i] - v[j][i]) / H, periodic:
/// writes nc*nc values. Not collective.
void mac_divergence(index_t nc, double domain_length, double const* velocity, double* divergence);

}  // namespace kono
