#pragma once
/// Darcy training data: random coefficients, PETSc solves, one HDF5 file with provenance.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/darcy.hpp>
#include <kono/solvers/random_fields.hpp>

namespace kono {

/// How the coefficient a is made from a Gaussian random field g.
enum class DarcyCoefficient {
  threshold,  ///< a = high where g > 0, low elsewhere (FNO Darcy benchmark: 12 / 3)
  lognormal   ///< a = exp(lognormal_scale * g)
};
char const* to_string(DarcyCoefficient c) noexcept;  ///< "threshold" or "lognormal"

/// How ranks share the work.
enum class DarcyParallelMode {
  samples,    ///< each rank solves a contiguous block of samples on PETSC_COMM_SELF
  decomposed  ///< every sample is solved by all ranks through the DMDA decomposition
};
char const* to_string(DarcyParallelMode m) noexcept;  ///< "samples" or "decomposed"

/// What to do when a KSP solve diverges.
enum class DarcyDivergencePolicy {
  stop,   ///< throw Error{invalid_argument} naming the sample and the reason; no file is written
  record  ///< keep the last iterate, record the negative reason in `converged_reason`, continue
};

/// Default cutoff of the Darcy coefficient field, the same at every resolution: the wave numbers
/// a 256^2 (2D) or 64^3 (3D) node grid resolves (k_a <= 255 or 63). With it, sample k of a seed
/// is one continuous field, evaluated at the nodes of whatever resolution is asked for.
constexpr index_t darcy_default_max_wavenumber(int dim) noexcept { return dim == 3 ? 63 : 255; }

/// Everything generate_darcy_dataset() needs. Plain value type.
struct DarcyDatasetOptions {
  std::string out;             ///< output HDF5 file (replaced atomically on success)
  std::string group;           ///< "" writes /x, /y; "train" writes /train/x, /train/y
  index_t samples = 8;         ///< N >= 1
  index_t resolution = 64;     ///< nodes per axis (>= darcy_min_resolution)
  int dim = 2;                 ///< 2 or 3
  std::uint64_t seed = 0;      ///< sample k uses sample_seed(seed, k): identical for any rank count
  double alpha = 2.0;          ///< GRF smoothness
  double tau = 3.0;            ///< GRF inverse length scale
  double sigma = -1.0;         ///< GRF amplitude; < 0: tau^(alpha - dim/2)
  RandomFieldBoundary field_boundary = RandomFieldBoundary::neumann;  ///< FNO's Darcy data uses cosine modes
  /// GRF cutoff K per axis (GaussianRandomFieldOptions::max_wavenumber): -1 (default)
  /// darcy_default_max_wavenumber(dim), resolution-consistent; > 0 that cutoff, also
  /// resolution-consistent; 0 all the grid resolves (N-1), which makes the field depend on N.
  index_t field_max_wavenumber = -1;
  DarcyCoefficient coefficient = DarcyCoefficient::threshold;
  double high = 12.0;          ///< threshold: a where g > 0
  double low = 3.0;            ///< threshold: a elsewhere
  double lognormal_scale = 1.0;  ///< lognormal: a = exp(scale g)
  double forcing = 1.0;        ///< f
  Hdf5ElementType dtype = Hdf5ElementType::float64;  ///< float32 or float64 for /x and /y
  DarcyParallelMode mode = DarcyParallelMode::samples;
  DarcyDivergencePolicy on_divergence = DarcyDivergencePolicy::stop;
  /// Solver defaults (ksp/pc types, tolerances, options prefix); its dim, resolution and
  /// forcing are taken from the fields above.
  DarcySolverOptions solver;
  double progress_seconds = 10.0;  ///< rank 0 prints a progress line at most this often; <= 0: never
  std::string command_line;        ///< stored as provenance attribute "command_line" when not empty

  /// Throws Error{invalid_argument} naming the option: empty out, samples < 1, bad resolution,
  /// dim, alpha, tau, sigma, phase values, dtype not float32/float64, bad group name.
  void validate() const;
};

/// What generate_darcy_dataset() did (the same on every rank).
struct DarcyDatasetReport {
  index_t samples = 0;
  double seconds = 0;                  ///< wall time of generation and writing
  std::vector<int> iterations;         ///< per sample
  std::vector<double> residual_norms;  ///< per sample
  std::vector<int> converged_reasons;  ///< per sample (KSPConvergedReason)
  std::string ksp_type, pc_type;
  double rtol = 0;
};

/// Generates `options.samples` Darcy samples and writes ONE HDF5 file with kono::Hdf5Writer
/// (parallel HDF5, collective): <group>/x coefficient a and <group>/y solution u, each
/// [N, n, n] (2D) or [N, n, n, n] (3D), node coordinates <group>/coords/x0, x1 (, x2), per-sample
/// <group>/solver/iterations, residual_norms, converged_reason, and provenance attributes on
/// <group> (see docs/darcy_generation.md). Collective on `comm`; PETSc must be initialised (it
/// is, through kono::Runtime, when one exists). Throws Error{invalid_argument} (options, a
/// diverged solve under DarcyDivergencePolicy::stop), Error{file_io}; on any error no file is
/// written and an existing `out` is left untouched.
DarcyDatasetReport generate_darcy_dataset(DarcyDatasetOptions const& options, MPI_Comm comm);

}  // namespace kono
