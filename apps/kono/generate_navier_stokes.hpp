#pragma once
// `kono generate navier-stokes`: option rows (ns.*), their conversion, and the generator call.
#include <mpi.h>

#include <vector>

#include <kono/solvers/navier_stokes_dataset.hpp>

#include "options.hpp"
#include "subcommands.hpp"

namespace kono::app {
/// The ns.* rows of the generate option table.
std::vector<OptionSpec> navier_stokes_option_specs();
/// Dataset options from parsed `kono generate` options; throws Error{invalid_argument} naming the
/// option (a bad --ns.times list, --dim other than 2, --mode other than samples, ...).
NavierStokesDatasetOptions navier_stokes_options(Options const& options);
/// Generates as `kono generate navier-stokes` does. Collective on comm.
GenerateResult generate_navier_stokes(Options const& options, MPI_Comm comm);
}  // namespace kono::app
