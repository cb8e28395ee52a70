#pragma once
// Pieces every dataset generator (darcy, poisson-mesh, burgers, navier-stokes) shares: the
// group path and the provenance attributes that say which kono, PETSc and run made the file.
// Private to kono::solvers (not installed).
#include <mpi.h>

#include <string>

#include <kono/datasets/hdf5_writer.hpp>

namespace kono::detail {

/// "train" or "/train/" -> "/train"; "" -> "" (the root layout /x, /y).
std::string dataset_group_path(std::string const& group);

/// Writes kono_version, git_revision, petsc_version, created (UTC, rank 0's clock, so every rank
/// writes the same value) and, when not empty, command_line on `object`. Collective on comm.
void write_run_provenance(Hdf5Writer& writer, std::string const& object, std::string const& command_line,
                          MPI_Comm comm);

}  // namespace kono::detail
