#pragma once
// kono generate poisson-mesh: option rows (mesh.*) and their conversion; see
// docs/poisson_mesh_generation.md.
#include <mpi.h>

#include <vector>

#include <kono/solvers/poisson_mesh_dataset.hpp>

#include "options.hpp"
#include "subcommands.hpp"

namespace kono::app {

/// The mesh.* rows of the `kono generate` option table.
std::vector<OptionSpec> poisson_mesh_option_specs();
/// Options of generate_poisson_mesh_dataset from the parsed table; throws Error{invalid_argument}
/// naming the option for a bad choice or range text.
PoissonMeshDatasetOptions poisson_mesh_options(Options const& options);
/// `kono generate poisson-mesh`: generates, prints a summary on rank 0. Collective on comm.
GenerateResult generate_poisson_mesh(Options const& options, MPI_Comm comm);

}  // namespace kono::app
