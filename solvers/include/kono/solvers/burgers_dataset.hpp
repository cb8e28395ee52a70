#pragma once
/// Burgers training data: random initial conditions, PETSc TS trajectories, one HDF5 file with provenance.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/solvers/burgers.hpp>

namespace kono {

/// What to do when a trajectory fails (TS reason < 0, or the last output time not reached).
enum class BurgersFailurePolicy {
  stop,   ///< throw Error{invalid_argument} naming the sample and the TS reason; no file is written
  record  ///< keep the last state reached for the remaining times, record the reason, continue
};
char const* to_string(BurgersFailurePolicy p) noexcept;  ///< "stop" or "record"

/// Everything generate_burgers_dataset() needs. Plain value type.
struct BurgersDatasetOptions {
  std::string out;           ///< output HDF5 file (replaced atomically on success)
  std::string group;         ///< "" writes /x, /y; "train" writes /train/x, /train/y
  index_t samples = 8;       ///< N >= 1
  index_t resolution = 1024; ///< grid points x_j = j/N (even, >= burgers_min_resolution)
  std::uint64_t seed = 0;    ///< sample k uses sample_seed(seed, k): identical for any rank count
  double nu = 0.1;           ///< viscosity (FNO benchmark: 0.1)
  std::vector<double> times{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};  ///< output times
  Hdf5ElementType dtype = Hdf5ElementType::float64;  ///< float32 or float64 for /x and /y
  BurgersFailurePolicy on_failure = BurgersFailurePolicy::stop;
  /// TS defaults (type, tolerances, options prefix); its resolution, nu and output times are
  /// taken from the fields above.
  BurgersSolverOptions solver;
  double progress_seconds = 10.0;  ///< rank 0 prints a progress line at most this often; <= 0: never
  std::string command_line;        ///< stored as provenance attribute "command_line" when not empty

  /// Throws Error{invalid_argument} naming the option: empty out, samples < 1, bad resolution,
  /// negative viscosity, bad times, dtype not float32/float64, bad group name, bad solver options.
  void validate() const;
};

/// What generate_burgers_dataset() did (the same on every rank).
struct BurgersDatasetReport {
  index_t samples = 0;
  double seconds = 0;                  ///< wall time of generation and writing
  std::vector<int> steps;              ///< accepted TS steps per sample
  std::vector<int> rejected_steps;     ///< per sample
  std::vector<int> converged_reasons;  ///< TSConvergedReason per sample
  std::vector<double> final_times;     ///< time reached per sample
  std::string ts_type, arkimex_type, adapt_type;
  double rtol = 0, atol = 0;
};

/// Generates `options.samples` trajectories and writes ONE HDF5 file with kono::Hdf5Writer
/// (parallel HDF5, collective): <group>/x initial condition u0 [N, n], <group>/y trajectory
/// [N, T, n] at the output times, <group>/coords/x0 [n] and <group>/coords/t [T], per-sample
/// <group>/solver/steps, rejected_steps, converged_reason, final_time, and provenance attributes
/// on <group> (see docs/burgers_generation.md). Samples are split in contiguous blocks over the
/// ranks, each solved on PETSC_COMM_SELF. Collective on `comm`; PETSc must be initialised (it is,
/// through kono::Runtime, when one exists). Throws Error{invalid_argument} (options, a failed
/// trajectory under BurgersFailurePolicy::stop), Error{file_io}; on any error no file is
/// written and an existing `out` is left untouched.
BurgersDatasetReport generate_burgers_dataset(BurgersDatasetOptions const& options, MPI_Comm comm);

}  // namespace kono
