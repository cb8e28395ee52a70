#pragma once
// kono train for learned_stencil and tsm models (train_stencil.cpp).
#include <mpi.h>

#include <string>

#include "subcommands.hpp"

namespace kono::app {
/// learned_stencil or tsm: trained on trajectories through train_stencil_model.
bool is_stencil_model(std::string const& type);
/// Trains a learned finite-volume solver on rollout windows with the --train.unroll curriculum.
/// Collective on comm.
TrainResult train_stencil_model(Options const& options, MPI_Comm comm);
/// kono validate --problem=kolmogorov: fresh PETSc DNS, then rollouts against the classical solver
/// (validate_stencil.cpp). Collective.
LayerConfig validate_stencil_model(Options const& options, MPI_Comm comm);
}  // namespace kono::app
