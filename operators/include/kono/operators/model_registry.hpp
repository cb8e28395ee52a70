#pragma once
/// Registry of model types by name ("mlp", "fno", ...): a builder turns user options (the CLI's
/// `model.*` keys) into an architecture (a layer configuration), which Model then instantiates.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <kono/operators/layer_config.hpp>
#include <kono/operators/model.hpp>

namespace kono {

/// One `model.<key>` option of a model family: its default (null: required) and help text.
struct ModelOption {
  std::string key;
  LayerConfig default_value;
  std::string help;
};

/// Options -> architecture. The registry has already rejected unknown keys and filled defaults.
using ModelBuilder = std::function<LayerConfig(LayerConfig const& options)>;

/// Adds or replaces the family `type`: its builder, its option table (for defaults, checks and
/// --help) and a one-line summary. Not thread-safe.
void register_model(std::string const& type, ModelBuilder builder, std::vector<ModelOption> options,
                    std::string summary);
/// Sorted registered model types, for --help and error text.
std::vector<std::string> registered_model_types();
/// Option table of `type`; throws Error{invalid_argument} for an unknown type.
std::vector<ModelOption> const& model_options(std::string const& type);
/// One-line description of `type`.
std::string const& model_summary(std::string const& type);
/// Architecture of model `type` for `options` (missing keys take their defaults); throws
/// Error{invalid_argument} for an unknown type or key (with the closest match) or a bad value.
LayerConfig model_architecture(std::string const& type, LayerConfig const& options);
/// Builds and initialises (from `seed`) model `type`. Same errors as model_architecture.
template <class MemorySpace, class Scalar>
Model<MemorySpace, Scalar> create_model(std::string const& type, LayerConfig const& options, std::uint64_t seed);
/// Registers kono's model families. Idempotent.
void register_builtin_models();

namespace Impl {
void register_fno_model();   ///< operators/src/models/fno_architecture.cpp
void register_mgno_model();  ///< operators/src/models/mgno_architecture.cpp
void register_stencil_models();  ///< operators/src/models/stencil_architecture.cpp (learned_stencil, tsm)
}  // namespace Impl

}  // namespace kono
