#pragma once
// `kono generate burgers`: its option rows and the conversion to kono::BurgersDatasetOptions.
#include <mpi.h>

#include <vector>

#include <kono/solvers/burgers_dataset.hpp>

#include "options.hpp"
#include "subcommands.hpp"

namespace kono::app {
/// The burgers.* rows of the `kono generate` option table.
std::vector<OptionSpec> burgers_generate_option_specs();
/// Dataset options from parsed `kono generate` options; throws Error{invalid_argument} naming
/// the option (--burgers.times not a comma list of numbers, --mode=decomposed, --dim other than 1).
BurgersDatasetOptions burgers_options(Options const& options);
/// Generates the Burgers data set as `kono generate burgers` does. Collective on comm.
GenerateResult generate_burgers(Options const& options, MPI_Comm comm);
}  // namespace kono::app
