#pragma once
/// Saving and loading kono::Model as HDF5 model files and checkpoints (format in
/// docs/file_formats.md): the bridge between Model/Optimizer and datasets' ModelFileContents.
#include <mpi.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <kono/datasets/model_file.hpp>
#include <kono/operators/model.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <kono/operators/optimizers/optimizer.hpp>

namespace kono {

/// What a model file holds besides the layers: normalisers ("input", "target") and provenance.
struct ModelMetadata {
  std::vector<std::pair<std::string, Normalizer>> normalizers;
  std::vector<std::pair<std::string, std::string>> provenance;
  /// The normaliser called `name`, or nullptr.
  Normalizer const* normalizer(std::string const& name) const;
};

/// Provenance every kono file gets: kono_version, git_revision, created (UTC, ISO 8601),
/// mpi_ranks, kokkos_execution_space, plus command_line when given.
std::vector<std::pair<std::string, std::string>> standard_provenance(std::string const& command_line, MPI_Comm comm);

/// Model (and optional training state) as file contents; parameters as named slices.
template <class MemorySpace, class Scalar>
ModelFileContents model_file_contents(Model<MemorySpace, Scalar> const& model, ModelMetadata const& meta,
                                      std::optional<CheckpointState> checkpoint = std::nullopt);

/// Writes the model atomically. Collective on comm (rank 0's data is written).
template <class MemorySpace, class Scalar>
void save_model(std::string const& path, Model<MemorySpace, Scalar> const& model, ModelMetadata const& meta,
                MPI_Comm comm, std::optional<CheckpointState> checkpoint = std::nullopt);

/// A model read back from a file, with its metadata and optional checkpoint state.
template <class MemorySpace, class Scalar>
struct LoadedModel {
  Model<MemorySpace, Scalar> model;
  ModelMetadata meta;
  std::optional<CheckpointState> checkpoint;
};

/// Rebuilds the architecture through the layer registry and loads the parameters. Collective.
/// Throws Error{corrupt_file} naming the file when parameters do not match the architecture
/// (names, shapes, count), plus everything read_model_file throws.
template <class MemorySpace, class Scalar>
LoadedModel<MemorySpace, Scalar> load_model(std::string const& path, MPI_Comm comm);

/// Training state for a checkpoint after `epochs_done` epochs.
template <class MemorySpace, class Scalar>
CheckpointState make_checkpoint_state(Optimizer<MemorySpace, Scalar> const& optimizer, LrSchedule const& schedule,
                                      std::int64_t epochs_done, std::uint64_t shuffle_seed,
                                      std::string const& learning_curve_json);

/// Restores optimizer buffers and step count; throws Error{corrupt_file} (naming `path`) if the
/// checkpoint's optimizer type or state does not fit `optimizer`.
template <class MemorySpace, class Scalar>
void restore_optimizer(CheckpointState const& state, Optimizer<MemorySpace, Scalar>& optimizer, std::string const& path);

}  // namespace kono
