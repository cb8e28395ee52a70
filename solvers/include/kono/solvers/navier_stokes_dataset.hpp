#pragma once
/// 2D Navier-Stokes training data: random initial vorticity, PETSc TS trajectories, one HDF5
/// file with provenance.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/navier_stokes.hpp>

namespace kono {

/// What to do when a trajectory fails (TS diverged, step cap reached, non-finite vorticity).
enum class NavierStokesDivergencePolicy {
  stop,   ///< throw Error{invalid_argument} naming the sample and the reason; no file is written
  record  ///< keep the last state for the remaining times, record the reason, continue
};

/// Everything generate_navier_stokes_dataset() needs. Plain value type.
struct NavierStokesDatasetOptions {
  std::string out;            ///< output HDF5 file (replaced atomically on success)
  std::string group;          ///< "" writes /x, /y; "train" writes /train/x, /train/y
  index_t samples = 8;        ///< N >= 1
  std::uint64_t seed = 0;     ///< sample k uses sample_seed(seed, k): identical for any rank count
  double alpha = 2.5;         ///< GRF smoothness of w0 (FNO: 2.5)
  double tau = 7.0;           ///< GRF inverse length scale (FNO: 7)
  double sigma = -1.0;        ///< GRF amplitude; < 0: tau^(alpha - 1) (FNO: 7^1.5)
  Hdf5ElementType dtype = Hdf5ElementType::float64;  ///< float32 or float64 for /x and /y
  NavierStokesDivergencePolicy on_divergence = NavierStokesDivergencePolicy::stop;
  /// Resolution, viscosity, output times, forcing, TS defaults, options prefix.
  NavierStokesOptions solver;
  /// Integrated from w0 and discarded before the output times, which count from its end; /x is
  /// the state at the end of the warm-up (Kolmogorov: 20 = two drag times; 0: x = w0).
  double warmup = 0.0;
  /// Per-sample viscosity: sample k uses nu_list[k mod size]; empty: solver.nu for every sample.
  std::vector<double> nu_list;
  /// Per-sample Kolmogorov amplitude A, as nu_list; empty: solver.forcing_amplitude.
  std::vector<double> forcing_amplitude_list;
  /// Coarse MAC resolutions nc (each divides n; Kolmogorov set-up only): writes
  /// <group>/coarse_<nc>/velocity [N, T, 2, nc, nc] and vorticity [N, T, nc, nc].
  std::vector<index_t> coarse;
  /// /y holds every k-th output time (coords/t_dns lists them when k > 1); 0: no /y at all.
  index_t store_dns_every = 1;
  /// > 0: w0 from NavierStokesSolver::random_initial_vorticity (jax-cfd's filtered velocity field,
  /// max |u| = max_velocity, spectral peak at peak_wavenumber) instead of the GRF (Kolmogorov: 7, 4).
  double max_velocity = 0.0;
  double peak_wavenumber = 4.0;
  /// Non-empty: w0 of sample k is entry k mod M of the [M, n, n] (or [n, n]) dataset
  /// `initial_dataset` in this HDF5 file (e.g. to start from another solver's initial state).
  std::string initial_file;
  std::string initial_dataset;
  double progress_seconds = 10.0;  ///< rank 0 prints a progress line at most this often; <= 0: never
  std::string command_line;        ///< stored as provenance attribute "command_line" when not empty

  /// Throws Error{invalid_argument} naming the option: empty out, samples < 1, bad solver
  /// options (resolution, nu, times, ...), bad GRF parameters, dtype, group name, warmup < 0,
  /// bad per-sample lists, coarse resolutions (validate_mac_coarse_resolutions) or coarse states
  /// without the Kolmogorov set-up, store_dns_every < 0, max_velocity < 0.
  void validate() const;
};

/// What generate_navier_stokes_dataset() did (the same on every rank).
struct NavierStokesDatasetReport {
  index_t samples = 0;
  double seconds = 0;                  ///< wall time of generation and writing
  std::vector<long long> steps;        ///< accepted TS steps per sample
  std::vector<long long> rejected_steps;  ///< per sample
  std::vector<int> converged_reasons;  ///< per sample (TSConvergedReason; -100 non-finite)
  std::vector<int> failed;             ///< per sample: 1 when the trajectory did not reach every output time
  std::vector<double> sample_seconds;  ///< wall time per trajectory
  std::string ts_type, adapt_type;
  double rtol = 0, atol = 0;
};

/// Generates `options.samples` trajectories, each on PETSC_COMM_SELF of the rank that owns it
/// (contiguous blocks), and writes ONE HDF5 file with kono::Hdf5Writer (collective):
/// <group>/x initial vorticity [N, n, n] (after the warm-up), <group>/y vorticity at the output
/// times [N, T, n, n] (or every k-th), <group>/coarse_<nc>/{velocity, vorticity} (MAC face averages),
/// <group>/params/{nu, forcing_amplitude} [N] (Kolmogorov, or per-sample lists),
/// <group>/coords/x0, x1 (points j/n) and t, per-sample <group>/solver/{steps, rejected_steps,
/// converged_reason, failed, final_time, rhs_evaluations, seconds}, and provenance attributes on <group>
/// (docs/navier_stokes_generation.md). Collective on `comm`. Throws Error{invalid_argument}
/// (options, a failed trajectory under the stop policy), Error{file_io}; on any error no file is
/// written and an existing `out` is left untouched.
NavierStokesDatasetReport generate_navier_stokes_dataset(NavierStokesDatasetOptions const& options, MPI_Comm comm);

}  // namespace kono
