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
}  // namespace kono::app
