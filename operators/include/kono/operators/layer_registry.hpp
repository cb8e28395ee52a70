#pragma once
/// Registry of layer types by name (PETSc's Register/RegisterAll pattern, no static-initializer
/// self-registration, which static linking silently drops).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
using LayerFactory = std::function<std::unique_ptr<Layer<MemorySpace, Scalar>>(LayerConfig const&)>;

/// Adds or replaces the factory for `type` (like PetscRegressorRegister). Not thread-safe.
template <class MemorySpace, class Scalar>
void register_layer(std::string const& type, LayerFactory<MemorySpace, Scalar> factory);

/// Builds a layer from cfg["type"]; throws Error{invalid_argument} for an unknown type with the
/// known types and the closest match ("did you mean"), naming `where` (e.g. the model file).
template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> create_layer(LayerConfig const& cfg, std::string const& where = "");

/// Sorted names of the registered layer types, for --help and error text.
template <class MemorySpace, class Scalar>
std::vector<std::string> registered_layer_types();

/// Registers every built-in layer for every instantiated space and scalar. Idempotent.
void register_builtin_layers();

}  // namespace kono
