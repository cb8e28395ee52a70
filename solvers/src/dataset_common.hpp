#pragma once
// Pieces every dataset generator (darcy, poisson-mesh, burgers, navier-stokes) shares: the
// checks of the output options, PETSc start-up, the group path, and the provenance attributes
// that say which kono, PETSc and run made the file. Private to kono::solvers (not installed).
#include <mpi.h>

#include <string>

#include <kono/core/types.hpp>
#include <kono/datasets/hdf5_file.hpp>
#include <kono/datasets/hdf5_writer.hpp>

namespace kono::detail {

/// Throws Error{invalid_argument} prefixed by `fq` (the generator's name) for an empty `out`,
/// samples < 1, a dtype other than float32/float64, or a group that is not a plain HDF5 path.
void validate_dataset_output(char const* fq, std::string const& out, index_t samples, Hdf5ElementType dtype,
                             std::string const& group);

/// Starts PETSc through kono's Runtime when one exists and PETSc is not running yet; throws
/// Error{wrong_state} naming `fq` when PETSc still is not usable.
void require_petsc(char const* fq);

/// "train" or "/train/" -> "/train"; "" -> "" (the root layout /x, /y).
std::string dataset_group_path(std::string const& group);

/// Writes kono_version, git_revision, petsc_version, created (UTC, rank 0's clock, so every rank
/// writes the same value) and, when not empty, command_line on `object`. Collective on comm.
void write_run_provenance(Hdf5Writer& writer, std::string const& object, std::string const& command_line,
                          MPI_Comm comm);

}  // namespace kono::detail
