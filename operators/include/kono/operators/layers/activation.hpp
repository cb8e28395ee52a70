#pragma once
/// Elementwise activations: GELU (exact, erf form), ReLU, tanh, SiLU.
#include <kono/operators/layer.hpp>

namespace kono {

/// Which nonlinearity an Activation applies.
enum class ActivationKind { gelu, relu, tanh, silu };
/// "gelu", "relu", "tanh", "silu".
char const* to_string(ActivationKind kind) noexcept;
/// Parses a name; throws Error{invalid_argument} with the known names and the closest match.
ActivationKind activation_from_string(std::string const& name);

/// y = act(x) elementwise, any shape. No parameters.
template <class MemorySpace, class Scalar>
class Activation final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  explicit Activation(ActivationKind kind) : m_kind(kind) {}
  /// From {"type": "gelu"} (or relu/tanh/silu), or {"type": "activation", "kind": "gelu"}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);

  std::string type_name() const override { return to_string(m_kind); }
  LayerConfig config() const override { return {{"type", to_string(m_kind)}}; }
  Shape output_shape(Shape const& in) const override { return in; }
  ActivationKind kind() const noexcept { return m_kind; }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;

 private:
  ActivationKind m_kind;
};

}  // namespace kono
