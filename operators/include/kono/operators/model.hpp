#pragma once
/// kono::Model: a layer tree plus the ONE flat parameter buffer and ONE flat gradient buffer it
/// is bound to (so data-parallel training is one allreduce and optimizers are one loop).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>

namespace kono {

/// Samples per forward/backward pass that keep a batch's activations in cache: about 16384 grid
/// points (a 24-channel float activation is then ~1.5 MB), at least 1. `batch` is [N, C, spatial...].
index_t samples_per_pass(Shape const& batch);

template <class MemorySpace, class Scalar>
class Model {
 public:
  using layer_type = Layer<MemorySpace, Scalar>;
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using execution_space = typename MemorySpace::execution_space;
  using view_type = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace>;

  /// Allocates the buffers, binds `root` to them and initialises the parameters from `seed`
  /// (identical on every rank, for any rank count). `model_type` names the family ("fno", ...).
  Model(std::string model_type, std::unique_ptr<layer_type> root, std::uint64_t seed);
  /// Builds the layer tree from an architecture configuration through the registry.
  static Model from_architecture(std::string const& model_type, LayerConfig const& architecture, std::uint64_t seed);

  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;

  std::string const& model_type() const noexcept { return m_type; }
  layer_type const& root() const noexcept { return *m_root; }
  LayerConfig architecture() const { return m_root->config(); }  ///< recreates the layer tree
  std::size_t num_parameters() const noexcept { return m_params.extent(0); }
  view_type const& parameters() const noexcept { return m_params; }
  view_type const& gradients() const noexcept { return m_grads; }
  std::vector<ParameterSlice> parameter_slices() const { return m_root->parameter_slices(); }
  Shape output_shape(Shape const& in) const { return m_root->output_shape(in); }

  /// Inference: allocates and returns f(x), evaluated samples_per_pass(x) samples at a time.
  /// Not collective.
  tensor_type predict(execution_space const& space, tensor_type const& x) const;
  tensor_type predict(tensor_type const& x) const { return predict(execution_space{}, x); }

 private:
  std::string m_type;
  std::unique_ptr<layer_type> m_root;
  view_type m_params, m_grads;
};

}  // namespace kono
