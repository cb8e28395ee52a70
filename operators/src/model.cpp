#include <algorithm>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/model.hpp>

namespace kono {

template <class MemorySpace, class Scalar>
Model<MemorySpace, Scalar>::Model(std::string model_type, std::unique_ptr<layer_type> root, std::uint64_t seed)
    : m_type(std::move(model_type)), m_root(std::move(root)) {
  KONO_USER_REQUIRE(m_root != nullptr, invalid_argument, "kono::Model: root layer is null");
  std::size_t const n = m_root->num_parameters();
  m_params = view_type("kono::Model::parameters", n);
  m_grads = view_type("kono::Model::gradients", n);
  using pv = typename layer_type::param_view;
  m_root->bind_parameters(pv(m_params.data(), n), pv(m_grads.data(), n));
  m_root->initialize_parameters(seed);
}

template <class MemorySpace, class Scalar>
Model<MemorySpace, Scalar> Model<MemorySpace, Scalar>::from_architecture(std::string const& model_type,
                                                                        LayerConfig const& architecture,
                                                                        std::uint64_t seed) {
  return Model(model_type, create_layer<MemorySpace, Scalar>(architecture, "model \"" + model_type + "\""), seed);
}

index_t samples_per_pass(Shape const& batch) {
  // Measured on FNO at 64^2 (docs/benchmarks_fno.md): 4 samples per pass instead of 64 made a
  // training epoch 12 % faster, because producer and consumer layers then meet in L2/L3.
  index_t points = 1;
  for (int a = 2; a < batch.rank(); ++a) points *= batch[a];
  return std::max<index_t>(1, index_t(16384) / std::max<index_t>(points, 1));
}

template <class MemorySpace, class Scalar>
auto Model<MemorySpace, Scalar>::predict(execution_space const& space, tensor_type const& x) const -> tensor_type {
  tensor_type y(WithoutInitializing_t{}, "kono::Model::prediction", m_root->output_shape(x.shape()));
  index_t const n = x.extent(0), pass = samples_per_pass(x.shape());
  if (n <= pass) {
    m_root->forward(space, x, y);
    return y;
  }
  for (index_t b = 0; b < n; b += pass) {
    index_t const count = std::min(pass, n - b);
    m_root->forward(space, x.slice_batch(b, count), y.slice_batch(b, count));
  }
  return y;
}

template class Model<DefaultMemorySpace, float>;
template class Model<DefaultMemorySpace, double>;
}  // namespace kono
