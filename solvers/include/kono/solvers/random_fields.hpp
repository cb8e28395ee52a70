#pragma once
/// Random inputs for data generation: Gaussian random fields with covariance
/// sigma^2 (-Laplacian + tau^2 I)^(-alpha) by spectral synthesis (FFTW, host), the coefficient
/// maps built on them (two-phase threshold, log-normal) and random initial conditions.
/// Every sample is a pure function of (seed, sample index), so it is the same on any rank and
/// for any rank count. The random coefficient of each wave vector is a hash of (seed, sample,
/// stream, wave vector), never of the grid, so with a fixed `max_wavenumber` a sample is one
/// continuous field evaluated exactly at the grid points of any resolution.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/meshes/structured_grid.hpp>

namespace kono {

/// Boundary condition of the covariance operator, i.e. which eigenfunctions the field uses.
enum class RandomFieldBoundary {
  periodic,  ///< exp(2 pi i k.x) on N points x_j = j/N per axis (FNO's GaussianRF)
  neumann    ///< prod cos(pi k x) on N nodes x_j = j/(N-1) per axis (FNO's Darcy gaussrf.m)
};
/// "periodic" or "neumann".
char const* to_string(RandomFieldBoundary boundary) noexcept;

/// Parameters of a Gaussian random field on [0,1]^dim. Plain value type.
struct GaussianRandomFieldOptions {
  int dim = 2;               ///< 1, 2 or 3 spatial axes
  index_t resolution = 64;   ///< points per axis (>= 2)
  double alpha = 2.0;        ///< smoothness exponent (> dim/2 for a field with finite variance)
  double tau = 3.0;          ///< inverse length scale (> 0)
  double sigma = -1.0;       ///< amplitude; < 0 selects tau^(alpha - dim/2) (the FNO choice)
  RandomFieldBoundary boundary = RandomFieldBoundary::neumann;
  /// Largest wave number kept per axis (neumann: k_a in [0, K]; periodic: k_a in [-K, K]).
  /// 0 (default): all the grid resolves (neumann K = N-1; periodic K = (N-1)/2, rounded down),
  /// so a finer grid adds modes and the field depends on the resolution (its coarse modes are
  /// still shared). > 0: a cutoff independent of the resolution: every resolution samples the
  /// same continuous field, exactly (to round-off) at its own points, modes the grid does not
  /// resolve folded (aliased) onto it as point sampling demands.
  index_t max_wavenumber = 0;

  /// Throws Error{invalid_argument} naming the field and value: dim outside 1..3, resolution < 2,
  /// non-finite or alpha <= dim/2, tau <= 0, sigma == 0 or non-finite, max_wavenumber < 0 or
  /// >= 2^19.
  void validate() const;
  /// sigma if given, else tau^(0.5 (2 alpha - dim)).
  double effective_sigma() const;
};

/// Samples mean-zero Gaussian fields u = sum_k sqrt(mu_k) xi_k phi_k(x), the Karhunen-Loeve
/// expansion of C = sigma^2 (-Laplacian + tau^2)^(-alpha) without its constant mode, truncated
/// at |k_a| <= K = max_wavenumber() per axis:
///   periodic: mu_k = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha), phi_k = exp(2 pi i k.x),
///             k in [-K, K]^d, coefficient sqrt(mu_k) (z_k + conj(z_{-k})) / sqrt(2) (Hermitian),
///             z_k = (mode_normal(s, k, 0) + i mode_normal(s, k, 1)) / sqrt(2);
///             evaluated at the N points x_j = j/N per axis;
///   neumann:  mu_k = sigma^2 (pi^2 |k|^2 + tau^2)^(-alpha), phi_k = prod_a c(k_a) cos(pi k_a x_a),
///             c(0) = 1, c(k > 0) = sqrt(2) (L2-orthonormal), k in [0, K]^d,
///             xi_k = mode_normal(s, k, 0) ~ N(0, 1); evaluated at the N nodes x_j = j/(N-1);
/// with s = sample_seed(seed, sample, stream). The series is evaluated at the grid points
/// exactly: each mode is folded onto the grid frequency it equals at those points (periodic:
/// k mod N; neumann: k mod 2(N-1) reflected into [0, N-1]), then one FFTW transform (c2r DFT or
/// DCT-I) sums them; cost O(K^d + N^d log N) per sample.
/// Holds one FFTW plan and work buffers: build once per shape, reuse for many samples.
/// Not collective; not thread safe (sample() writes the work buffers).
class GaussianRandomField {
 public:
  /// Validates the options (Error{invalid_argument}) and plans the transform.
  explicit GaussianRandomField(GaussianRandomFieldOptions const& options);
  ~GaussianRandomField();
  GaussianRandomField(GaussianRandomField const&) = delete;
  GaussianRandomField& operator=(GaussianRandomField const&) = delete;
  GaussianRandomField(GaussianRandomField&&) noexcept;
  GaussianRandomField& operator=(GaussianRandomField&&) noexcept;

  GaussianRandomFieldOptions const& options() const noexcept;
  /// The points the field is sampled at: unit_box, periodic or not per the boundary.
  StructuredGrid grid() const;
  index_t size() const noexcept;  ///< resolution^dim
  /// The cutoff K in use: options().max_wavenumber, or the grid's if that is 0.
  index_t max_wavenumber() const noexcept;

  /// Field number `sample` of the stream `seed`: `out` gets size() values in C order (last axis
  /// fastest). The same (seed, sample, stream) gives the same bits on any rank. `stream`
  /// separates independent uses of one seed (e.g. coefficient vs forcing).
  void sample_into(std::uint64_t seed, index_t sample, double* out, std::uint64_t stream = 0);
  /// As sample_into(), returning a new vector.
  std::vector<double> sample(std::uint64_t seed, index_t sample, std::uint64_t stream = 0);

  /// mu_k for the wave vector with integer components `k` (dim entries; periodic: any sign);
  /// 0 for k = 0. Throws Error{invalid_argument} for a wrong number of components.
  double covariance_eigenvalue(std::vector<index_t> const& k) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Seed of the random stream of sample `sample` in stream `stream` of `seed`, a 64-bit hash
/// (SplitMix64 finaliser) independent of ranks and of the order samples are drawn in.
std::uint64_t sample_seed(std::uint64_t seed, index_t sample, std::uint64_t stream = 0) noexcept;

/// Counter-based normal numbers: value i of the stream `stream_seed` (Box-Muller on two hashed
/// 53-bit uniforms). Pure function, the same on every platform with IEEE doubles and libm.
double hashed_normal(std::uint64_t stream_seed, std::uint64_t i) noexcept;

/// Standard normal of part `part` (0 or 1: real and imaginary) of the wave vector `k` in the
/// stream `stream_seed` (= sample_seed(seed, sample, stream)): hashed_normal() at a counter made
/// of the components, so it does not depend on the grid. `k` lists the components of axes
/// 0..dim-1, unused trailing entries 0; each |k_a| < 2^19.
double mode_normal(std::uint64_t stream_seed, std::array<index_t, 3> const& k, int part = 0) noexcept;

/// Two-phase coefficient: a = high where field > threshold, low elsewhere (FNO Darcy: 12 / 3).
/// `field` and `a` have the same size and may alias. Throws Error{invalid_argument} for
/// non-positive or non-finite phase values, Error{size_mismatch} for different sizes.
void threshold_coefficient(std::vector<double> const& field, std::vector<double>& a, double high = 12.0,
                           double low = 3.0, double threshold = 0.0);

/// Smooth log-normal coefficient a = exp(scale * field); `a` is resized to field.size().
/// Throws Error{invalid_argument} for a non-finite scale.
void lognormal_coefficient(std::vector<double> const& field, std::vector<double>& a, double scale = 1.0);

/// Options of the random initial condition of the FNO Burgers benchmark:
/// u0 ~ N(0, 625 (-Laplacian + 25 I)^(-2)) on the periodic unit interval (alpha 2, tau 5, sigma 25).
GaussianRandomFieldOptions burgers_initial_condition_options(index_t resolution);

/// Initial condition number `sample` of `seed` on `resolution` periodic points x_j = j/N.
/// Convenience over GaussianRandomField(burgers_initial_condition_options(resolution)).
std::vector<double> random_initial_condition(index_t resolution, std::uint64_t seed, index_t sample);

}  // namespace kono
