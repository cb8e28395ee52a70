#pragma once
/// Containers: Sequential (f_k(...f_1(x))) and Residual (body(x) + skip(x), skip = identity
/// by default). Children's parameters are consecutive spans of the container's span.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>

namespace kono {

/// Workspace of a container: tensors reused across calls with the same input shape, so a
/// training step allocates nothing after the first one. Consequence: a container's forward()
/// overwrites the intermediate results the previous forward() of that input shape left for
/// backward(); run backward() before the next forward() of the same shape.
template <class MemorySpace, class Scalar>
class LayerWorkspace {
 public:
  /// Tensor number `slot` of the set for `key`, (re)allocated only if its shape changed.
  Tensor<MemorySpace, Scalar> get(std::string const& key, std::size_t slot, Shape const& shape,
                                  char const* label) const {
    auto& set = m_sets[key];
    if (set.size() <= slot) set.resize(slot + 1);
    if (!set[slot].is_allocated() || set[slot].shape() != shape || set[slot].size() == 0)
      set[slot] = Tensor<MemorySpace, Scalar>(WithoutInitializing_t{}, label, shape);
    return set[slot];
  }

 private:
  mutable std::map<std::string, std::vector<Tensor<MemorySpace, Scalar>>> m_sets;
};

template <class MemorySpace, class Scalar>
class Sequential final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for an empty list or a null layer.
  explicit Sequential(std::vector<std::unique_ptr<base>> layers);
  /// From {"type": "sequential", "layers": [cfg, ...]} (children built through the registry).
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "sequential"; }
  LayerConfig config() const override;
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  /// Children's slices named "<index>.<child slice>", e.g. "2.weight".
  std::vector<ParameterSlice> parameter_slices() const override;
  void initialize_parameters(std::uint64_t seed) const override;  ///< child i gets child_seed(seed, i)

  std::size_t size() const noexcept { return m_layers.size(); }
  base const& layer(std::size_t i) const { return *m_layers.at(i); }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override;

 private:
  std::vector<std::unique_ptr<base>> m_layers;
  LayerWorkspace<MemorySpace, Scalar> m_workspace;
};

template <class MemorySpace, class Scalar>
class Residual final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// y = body(x) + skip(x); a null skip is the identity (then body must keep the shape).
  explicit Residual(std::unique_ptr<base> body, std::unique_ptr<base> skip = nullptr);
  /// From {"type": "residual", "body": cfg, "skip": cfg or absent}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return "residual"; }
  LayerConfig config() const override;
  /// body's output shape; throws Error{size_mismatch} if skip's differs.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "body.*", "skip.*"
  void initialize_parameters(std::uint64_t seed) const override;

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override;

 private:
  std::unique_ptr<base> m_body, m_skip;
  LayerWorkspace<MemorySpace, Scalar> m_workspace;
};

/// Channel MLP (neuraloperator's ChannelMLP): pointwise linear in -> hidden, activation,
/// ..., linear -> out, as a Sequential of `layers` linear layers.
template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> make_channel_mlp(int in_channels, int hidden_channels, int out_channels,
                                                             int layers = 2, std::string const& activation = "gelu");

}  // namespace kono
