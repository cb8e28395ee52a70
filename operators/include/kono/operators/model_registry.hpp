#pragma once
/// Registry of model types by name ("mlp" now; "fno", "mgno", ... as they land): a builder turns
/// user options into an architecture (a layer configuration), which Model then instantiates.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <kono/operators/layer_config.hpp>
#include <kono/operators/model.hpp>

namespace kono {

/// Options -> architecture. Options are the CLI's `model.*` keys (in_channels, out_channels,
/// dim, plus the family's own); unknown keys must be rejected by the builder.
using ModelBuilder = std::function<LayerConfig(LayerConfig const& options)>;

/// Adds or replaces the builder for `type`. Not thread-safe.
void register_model(std::string const& type, ModelBuilder builder);
/// Sorted registered model types, for --help and error text.
std::vector<std::string> registered_model_types();
/// Architecture of model `type` for `options`; throws Error{invalid_argument} for an unknown
/// type (known types and the closest match) or bad options (naming the key).
LayerConfig model_architecture(std::string const& type, LayerConfig const& options);
/// Builds and initialises (from `seed`) model `type`. Same errors as model_architecture.
template <class MemorySpace, class Scalar>
Model<MemorySpace, Scalar> create_model(std::string const& type, LayerConfig const& options, std::uint64_t seed);
/// Registers kono's model families. Idempotent.
void register_builtin_models();

}  // namespace kono
