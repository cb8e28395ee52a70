#pragma once
// The subcommands of the `kono` executable; each lives in its own cmd_<name>.cpp. Subcommands
// that `kono run` chains also expose their work as a function taking parsed Options.
#include <mpi.h>

#include <string>
#include <vector>

#include <kono/operators/training/trainer.hpp>

#include "options.hpp"

namespace kono::app {
/// Entry point of one subcommand: args excludes the program and subcommand names.
/// Returns the process exit code; throws kono::Error for bad input (main reports it).
using SubcommandMain = int (*)(std::vector<std::string> const& args);

struct Subcommand {
  char const* name;
  char const* summary;
  SubcommandMain run;
};

int info_main(std::vector<std::string> const& args);
int train_main(std::vector<std::string> const& args);
int eval_main(std::vector<std::string> const& args);
int generate_main(std::vector<std::string> const& args);
int validate_main(std::vector<std::string> const& args);
int export_main(std::vector<std::string> const& args);
int run_main(std::vector<std::string> const& args);
int rollout_main(std::vector<std::string> const& args);

/// What `kono train` produced.
struct TrainResult {
  std::string model_path, curve_csv;
  std::size_t parameters = 0;
  std::vector<EpochRecord> curve;
  double test_l2 = -1, test_h1 = -1;  ///< last evaluation (-1: no test set)
};
std::vector<OptionSpec> train_option_specs();
/// Trains as `kono train` does with parsed options. Collective on comm.
TrainResult train_model(Options const& options, MPI_Comm comm);

std::vector<OptionSpec> eval_option_specs();
/// Evaluates as `kono eval` does; returns the metrics JSON (complete on rank 0). Collective.
LayerConfig evaluate_model(Options const& options, MPI_Comm comm);

/// What `kono generate` wrote.
struct GenerateResult {
  std::string path;
  index_t samples = 0;
  double seconds = 0, mean_iterations = 0;
};
std::vector<OptionSpec> generate_option_specs();
/// Generates as `kono generate PROBLEM` does. Collective on comm; PETSc options must already be
/// inserted (insert_petsc_options).
GenerateResult generate_data(Options const& options, std::string const& problem, MPI_Comm comm);
std::vector<OptionSpec> validate_option_specs();
/// Validates as `kono validate` does; returns the report (complete on rank 0). Collective.
LayerConfig validate_model(Options const& options, MPI_Comm comm);
/// What `kono export` wrote.
struct ExportResult {
  std::string collection;                      ///< the .pvd
  std::vector<std::string> vtk_files, field_files;  ///< .vti/.pvti and _fields.h5 per sample
};
std::vector<OptionSpec> export_option_specs();
/// Exports as `kono export` does. Collective on comm.
ExportResult export_fields(Options const& options, MPI_Comm comm);
std::vector<OptionSpec> run_option_specs();
/// Starts PETSc (if needed) and inserts args[first..] as PETSc options; each must start with '-'.
void insert_petsc_options(std::vector<std::string> const& args, std::size_t first);
}  // namespace kono::app
