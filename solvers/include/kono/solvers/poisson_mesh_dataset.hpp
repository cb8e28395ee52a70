#pragma once
/// Training data for graph surrogates: Poisson/diffusion on triangle meshes (box with random
/// circular holes, or a mesh file), random coefficient and source, one HDF5 file of ragged
/// per-sample meshes (concatenations plus offsets) with provenance.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/poisson_mesh.hpp>
#include <kono/solvers/triangle_mesh.hpp>

namespace kono {

/// Smooth random function at `n` points `xy` ([n, 2]): g(x) = sqrt(2/terms) sum_k cos(w_k . x + b_k),
/// w_k ~ N(0, I / length_scale^2), b_k ~ U(0, 2 pi) drawn from sample_seed(seed, sample, stream):
/// approximately a unit-variance Gaussian field with covariance exp(-|x - y|^2 / (2 length_scale^2)).
/// Pure function of its arguments (same bits on any rank). Throws Error{invalid_argument} for
/// length_scale <= 0 or terms < 1.
std::vector<double> random_fourier_field(std::vector<double> const& xy, std::uint64_t seed, index_t sample,
                                         std::uint64_t stream, double length_scale, int terms = 64);

/// How the coefficient a is made from the random function g.
enum class MeshCoefficient {
  lognormal,  ///< a = exp(lognormal_scale * g)
  threshold   ///< a = high where g > 0, low elsewhere (two-phase)
};
char const* to_string(MeshCoefficient c) noexcept;  ///< "lognormal" or "threshold"

/// Everything generate_poisson_mesh_dataset() needs. Plain value type.
struct PoissonMeshDatasetOptions {
  std::string out;              ///< output HDF5 file (replaced atomically on success)
  std::string group;            ///< "" writes /nodes, /x, ...; "train" writes /train/nodes, ...
  index_t samples = 8;          ///< N >= 1
  index_t resolution = 33;      ///< box mesh: nodes per side (h = 1/(resolution-1))
  std::uint64_t seed = 0;       ///< sample k depends on (seed, k) only
  HoleSamplingOptions holes;    ///< box mesh: random circular holes per sample
  std::string mesh_file;        ///< not empty: this mesh (Gmsh .msh, ...) for every sample instead of the box
  MeshCoefficient coefficient = MeshCoefficient::lognormal;
  double length_scale = 0.15;   ///< correlation length of the random functions
  double lognormal_scale = 1.0; ///< lognormal: a = exp(scale g)
  double high = 12.0;           ///< threshold: a where g > 0
  double low = 3.0;             ///< threshold: a elsewhere
  double forcing = 1.0;         ///< f = forcing + forcing_scale * g_f
  double forcing_scale = 0.0;   ///< 0: constant source
  double boundary_value = 0.0;  ///< Dirichlet value u = g on every boundary node
  Hdf5ElementType dtype = Hdf5ElementType::float64;  ///< float32 or float64 for /x and /y
  bool stop_on_divergence = true;  ///< false: keep a diverged sample, its negative reason recorded
  PoissonMeshSolverOptions solver; ///< KSP defaults (CG + GAMG, rtol 1e-10, prefix "mesh_")
  double progress_seconds = 10.0;  ///< rank 0 prints a progress line at most this often; <= 0: never
  std::string command_line;        ///< stored as provenance attribute "command_line" when not empty

  /// Throws Error{invalid_argument} naming the option: empty out, samples < 1, resolution below
  /// box_mesh_min_resolution, hole options (HoleSamplingOptions::validate), non-finite or
  /// non-positive scales, phase values, dtype, bad group name, solver options.
  void validate() const;
};

/// What generate_poisson_mesh_dataset() did (the same on every rank).
struct PoissonMeshDatasetReport {
  index_t samples = 0;
  index_t total_nodes = 0, total_cells = 0, total_edges = 0;
  double seconds = 0;                  ///< wall time of generation and writing
  double solve_seconds = 0;            ///< summed over ranks: meshing + assembly + solve
  std::vector<int> iterations;         ///< per sample
  std::vector<double> residual_norms;  ///< per sample
  std::vector<int> converged_reasons;  ///< per sample
  std::string ksp_type, pc_type;
  double rtol = 0;
};

/// Generates the samples (contiguous blocks per rank, each solved on PETSC_COMM_SELF) and writes
/// ONE HDF5 file collectively with kono::Hdf5Writer: <group>/nodes [Nn, 2], /cells [Nc, 3],
/// /edges [Ne, 2] (int32, node indices local to the sample), /node_offsets, /cell_offsets,
/// /edge_offsets [N+1], /x [Nn, 3] (a, f, boundary flag), /y [Nn, 1] (u), /holes [Nh, 3],
/// /hole_offsets, /solver/{iterations, residual_norms, converged_reason}; provenance attributes
/// on <group> (docs/poisson_mesh_generation.md). Collective on `comm`; the file is the same bits
/// for any rank count. Throws Error{invalid_argument} (options, holes that do not fit, a diverged
/// solve when stop_on_divergence), Error{file_io}/Error{corrupt_file} (mesh file, output); on any
/// error no file is written and an existing `out` is left untouched.
PoissonMeshDatasetReport generate_poisson_mesh_dataset(PoissonMeshDatasetOptions const& options, MPI_Comm comm);

}  // namespace kono
