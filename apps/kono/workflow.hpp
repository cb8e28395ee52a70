#pragma once
// Pieces the subcommands share: reading sample pairs, normalisation, batched prediction and the
// evaluation metrics of the metrics JSON. The CLI trains and serves models in float.
#include <mpi.h>

#include <string>
#include <vector>

#include <kono/datasets/hdf5_sample_store.hpp>
#include <kono/datasets/normalizer.hpp>
#include <kono/operators/layer_config.hpp>
#include <kono/operators/model.hpp>
#include <kono/operators/model_io.hpp>
#include <kono/operators/model_resolution.hpp>

#include "options.hpp"

namespace kono::app {

using Space = DefaultMemorySpace;
using Real = float;
using RealTensor = Tensor<Space, Real>;
using RealModel = Model<Space, Real>;

/// Samples [first, first + count) of `dataset` (count < 0: to the end), read on every rank.
/// `option` names the command-line option that chose the dataset, for error messages.
RealTensor read_samples(Hdf5SampleStore const& store, std::string const& dataset, index_t first, index_t count,
                        bool channel_axis, std::string const& option);

/// Whether the "input" or "target" datasets have a channel axis: data.<which>_channel_axis if
/// set, else data.channel_axis.
bool channel_axis_of(Options const& options, std::string const& which);

/// "none" or a NormalizerKind name; throws Error{invalid_argument} naming `option`.
bool normalizer_kind(std::string const& text, std::string const& option, NormalizerKind& kind);

/// Prediction of `model` for raw inputs x, in batches of `batch`: encodes a copy of x with
/// `input` and decodes the output with `target` when given. Not collective.
RealTensor predict(RealModel const& model, RealTensor const& x, index_t batch, Normalizer const* input,
                   Normalizer const* target);

/// Per-sample evaluation metrics (DESIGN.md's metrics JSON).
struct SampleMetrics {
  std::vector<double> rel_l2, rel_h1, rmse, nrmse, max_abs_err;
  void append(SampleMetrics const& other);
  std::size_t size() const noexcept { return rel_l2.size(); }
  double mean(std::vector<double> const& v) const;
};
/// Metrics of pred vs y ([n, C, spatial...]) for this rank's samples. Not collective.
SampleMetrics compute_metrics(RealTensor const& pred, RealTensor const& y);
/// Concatenates every rank's metrics on rank 0 (in rank order). Collective.
SampleMetrics gather_metrics(SampleMetrics const& local, MPI_Comm comm);
/// {"samples", "rel_l2", ... (means), "per_sample": {...}} plus `extra` keys.
LayerConfig metrics_json(SampleMetrics const& m, LayerConfig const& extra = LayerConfig::object());

/// Channels and dimension a model file was trained for (from its provenance), or -1.
struct ModelSignature {
  int in_channels = -1, out_channels = -1, dim = -1;
};
ModelSignature model_signature(ModelMetadata const& meta);
/// Throws Error{size_mismatch} naming the model file, the data file and dataset when a sample
/// shape [C, spatial...] does not fit the model.
void check_model_fits(ModelSignature const& sig, std::string const& model_path, Shape const& sample_shape,
                      std::string const& data_path, std::string const& dataset, bool input);

/// What a model file says about resolutions: the grid it was trained at (provenance
/// "train_resolution", e.g. "[16, 16]"; for multi-resolution training the reference grid), every
/// grid it was trained on ("train_resolutions", else just that one) and whether its architecture
/// is resolution-consistent (kono::resolution_consistency).
struct ModelResolution {
  std::vector<index_t> train;                 ///< spatial extents; empty: not recorded
  std::vector<std::vector<index_t>> trained;  ///< every training grid (train first)
  ResolutionConsistency consistency;
  /// Data on grid `extents` is zero-shot when it is none of the training grids (false when the
  /// training grid is not recorded: nothing to compare with).
  bool zero_shot(std::vector<index_t> const& extents) const;
};
ModelResolution model_resolution(LayerConfig const& architecture,
                                 std::vector<std::pair<std::string, std::string>> const& provenance);
/// Sets model_options["reference_resolution"] = `reference` (spatial extents of the training
/// grid) when the model family `type` declares that option, as kono train sets in_channels from
/// the data; leaves the options alone otherwise. A value the user gave (an array, or one number
/// for every axis) must equal `reference`: else Error{size_mismatch} naming
/// --model.reference_resolution, the grid and `source` (where the grid comes from).
void set_reference_resolution(LayerConfig& model_options, std::string const& type, std::vector<index_t> const& reference,
                              std::string const& source);
/// [32, 32] -> "32x32".
std::string extents_text(std::vector<index_t> const& extents);
/// On rank 0 of comm, a warning on stderr when some of `grids` are zero-shot for a model that is
/// not resolution-consistent: names the command, the model, its training grid(s), `data` and its
/// zero-shot grids, and the reason. Returns whether it warned (same on every rank). Not collective.
bool warn_if_not_resolution_consistent(std::string const& command, std::string const& model_path,
                                       ModelResolution const& res, std::string const& data,
                                       std::vector<std::vector<index_t>> const& grids, MPI_Comm comm);

/// "dir/name.h5" -> "dir/name".
std::string path_stem(std::string const& path);
/// Throws Error{file_io} naming `option` if `path`'s directory does not exist or is not writable.
void require_writable(std::string const& path, std::string const& option);
/// Creates `dir` (and parents) on rank 0; throws Error{file_io} on every rank, naming `option`
/// and `command`, when it cannot be created or written. Collective.
void create_output_directory(std::string const& dir, std::string const& option, std::string const& command,
                             MPI_Comm comm);
/// Writes text atomically on rank 0 of comm (collective: everyone waits and shares the error).
void write_text_on_root(std::string const& path, std::string const& text, MPI_Comm comm);

/// Where scripts/plot_*.py live: $KONO_SCRIPTS_DIR, the source tree this kono was built from, or
/// the installed copy ("" if none has them).
std::string scripts_dir();
/// Runs argv without a shell; returns its exit status (127 if it could not start).
int run_program(std::vector<std::string> const& argv);

}  // namespace kono::app
