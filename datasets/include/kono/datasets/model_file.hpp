#pragma once
/// HDF5 model files and training checkpoints (layout in docs/file_formats.md, "Model files and
/// checkpoints"). This layer stores generic named arrays and JSON strings only; operators/ converts
/// its Model to and from ModelFileContents, so datasets/ does not depend on operators/.
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <kono/core/shape.hpp>
#include <kono/datasets/normalizer.hpp>

namespace kono {

/// Version of the model-file layout; stored as the root string attribute "format_version" ("1")
/// and compared numerically when reading.
inline constexpr int model_format_version = 1;

/// One named array (a parameter slice or optimizer state), values in C order over `shape`
/// (values.size() == shape.size(); a rank-0 shape holds one value). Names are dotted paths such
/// as "2.body.weight": non-empty components separated by single dots, no '/'.
struct NamedArray {
  std::string name;
  Shape shape;
  std::vector<double> values;
};

/// Training state that turns a model file into a checkpoint.
struct CheckpointState {
  std::string optimizer_json;               ///< optimizer type + hyper-parameters
  std::vector<NamedArray> optimizer_state;  ///< e.g. "exp_avg" [P], "exp_avg_sq" [P]; stored as float64
  std::int64_t optimizer_steps = 0;         ///< >= 0
  std::int64_t epoch = 0;                   ///< epochs completed, >= 0
  std::string schedule_json;                ///< learning-rate schedule and its state
  std::uint64_t shuffle_seed = 0;           ///< data-shuffling RNG (counter-based: seed + epoch suffice)
  std::string learning_curve_json;          ///< history so far
};

/// Everything a model file holds. Normalizers and checkpoint state are optional.
struct ModelFileContents {
  std::string model_type;              ///< "fno", "mgno", "sequential", ...; non-empty
  std::string architecture_json;       ///< full layer configuration (recreates the model)
  std::string scalar_type;             ///< "float32" or "float64": the dtype the parameters are stored in
  std::vector<NamedArray> parameters;  ///< in the model's flat-buffer order; names like "2.body.weight"
  /// e.g. {"input", ...}, {"target", ...}; may be empty; each must be fitted. Order is kept.
  std::vector<std::pair<std::string, Normalizer>> normalizers;
  /// kono_version, git_revision, data_file, command_line, created (ISO time), ...; unique keys.
  /// Read back sorted by key (HDF5 attributes carry no order).
  std::vector<std::pair<std::string, std::string>> provenance;
  std::optional<CheckpointState> checkpoint;  ///< present: the file is a checkpoint
};

/// Writes `contents` to `path` atomically (Hdf5Writer: temporary file in the same directory,
/// fsync, rename). Collective on `comm`: rank 0's contents are broadcast and written, other ranks'
/// contents are ignored. float32 files store each value rounded to nearest float.
/// Throws, on every rank, Error{invalid_argument} (bad or duplicate names, empty model_type,
/// unknown scalar_type, negative counters), Error{size_mismatch} (values vs shape),
/// Error{non_finite} (NaN/Inf, or beyond float32 range, naming the array), Error{wrong_state}
/// (unfitted normalizer) or Error{file_io} naming `path`. On failure an existing file is untouched.
void write_model_file(std::string const& path, ModelFileContents const& contents, MPI_Comm comm);

/// Reads a file written by write_model_file; parameters come back in the original order, as
/// doubles (exact for float32 files). Collective on `comm`: every rank reads and gets the same
/// contents, and an error is thrown on every rank. Each message names the file and the item:
/// Error{file_io} (missing or unreadable), Error{corrupt_file} (not HDF5, truncated, "not a kono
/// model file", missing dataset or attribute, shape/dtype/attribute inconsistency),
/// Error{unsupported} ("written by a newer kono, format_version 2 > 1"), Error{non_finite}
/// (NaN/Inf in a parameter or optimizer state, naming it).
ModelFileContents read_model_file(std::string const& path, MPI_Comm comm);

/// True when `path` is an HDF5 file with a /checkpoint group (a file written with
/// contents.checkpoint set). Collective on `comm`; throws Error{file_io | corrupt_file} as
/// Hdf5File when the file is missing or not HDF5.
bool is_checkpoint_file(std::string const& path, MPI_Comm comm);

}  // namespace kono
