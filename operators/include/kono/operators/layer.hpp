#pragma once
/// kono::Layer: the differentiable building block of every operator (forward, backward,
/// parameters bound into the model's flat buffer).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kono/core/error.hpp>
#include <kono/core/kokkos_compat.hpp>
#include <kono/core/profiling_region.hpp>
#include <kono/core/tensor.hpp>
#include <kono/operators/layer_config.hpp>

namespace kono {

/// What backward() does to parameter gradients: skip them, overwrite them, or add to them.
enum class GradientMode { ignore, overwrite, accumulate };

/// A named block of a layer's parameters (offset into the layer's parameter span), so model
/// files can store each as its own dataset with its shape.
struct ParameterSlice {
  std::string name;     ///< e.g. "weight", "bias"
  std::size_t offset;   ///< within the layer's parameters
  Shape shape;          ///< logical shape, C order
};

/// Differentiable layer. What backward needs travels in the Context returned by forward();
/// containers additionally reuse activation buffers per input shape (LayerWorkspace), so call
/// backward() for a context before the next forward() of the same shape. Host-side virtual
/// dispatch, Kokkos kernels inside. Not collective.
template <class MemorySpace, class Scalar>
class Layer {
 public:
  using memory_space = MemorySpace;
  using execution_space = typename MemorySpace::execution_space;
  using value_type = Scalar;
  using tensor_type = Tensor<MemorySpace, Scalar>;
  using param_view = Kokkos::View<Scalar*, Kokkos::LayoutRight, MemorySpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  /// What backward() needs from forward(); layers derive their own.
  struct Context {
    virtual ~Context() = default;
  };

  virtual ~Layer() = default;
  /// Registry key ("linear", "gelu", ...).
  virtual std::string type_name() const = 0;
  /// Configuration that recreates this layer through create_layer() (model files store it).
  virtual LayerConfig config() const = 0;
  /// Output shape for input shape `in`; throws Error{size_mismatch} naming the layer if invalid.
  virtual Shape output_shape(Shape const& in) const = 0;
  virtual std::size_t num_parameters() const { return 0; }
  /// Named parameter blocks within this layer's span, in offset order (composites prefix names).
  virtual std::vector<ParameterSlice> parameter_slices() const { return {}; }
  /// Fills the bound parameters from `seed` alone: identical on every rank, for any rank count.
  virtual void initialize_parameters(std::uint64_t /*seed*/) const {}

  /// Binds this layer to sub-views of the model's flat parameter and gradient buffers.
  /// Throws Error{size_mismatch} unless both hold num_parameters() values.
  void bind_parameters(param_view params, param_view grads) {
    KONO_USER_REQUIRE(params.extent(0) == num_parameters() && grads.extent(0) == num_parameters(), size_mismatch,
                      "kono::Layer::bind_parameters: layer \"" << type_name() << "\" has " << num_parameters()
                                                               << " parameters, got buffers of " << params.extent(0)
                                                               << " and " << grads.extent(0));
    m_params = params;
    m_grads = grads;
    on_bind();
  }
  param_view const& parameters() const noexcept { return m_params; }
  param_view const& gradients() const noexcept { return m_grads; }

  /// y = f(x). y must be allocated with output_shape(x.shape()); throws Error{size_mismatch}
  /// otherwise and Error{wrong_state} if parameters are not bound.
  std::unique_ptr<Context> forward(execution_space const& space, tensor_type const& x, tensor_type const& y) const {
    ProfilingRegion region("kono::" + type_name() + "::forward");
    check_bound("forward");
    check_output(x.shape(), y, "output");
    return forward_impl(space, x, y);
  }
  /// dx = (df/dx)^T dy (skipped when dx is null); parameter gradients per `mode`.
  void backward(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                GradientMode mode) const {
    ProfilingRegion region("kono::" + type_name() + "::backward");
    check_bound("backward");
    backward_impl(space, ctx, dy, dx, mode);
  }

 protected:
  virtual std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                                tensor_type const& y) const = 0;
  virtual void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy,
                             tensor_type const* dx, GradientMode mode) const = 0;
  /// Composites override this to bind their children's sub-spans.
  virtual void on_bind() {}

  void check_output(Shape const& in, tensor_type const& y, char const* what) const {
    Shape const expected = output_shape(in);
    KONO_USER_REQUIRE(y.shape() == expected, size_mismatch,
                      "kono::" << type_name() << ": " << what << " \"" << y.label() << "\" has shape "
                               << y.shape().to_string() << ", expected " << expected.to_string() << " for input "
                               << in.to_string());
  }

  param_view m_params;
  param_view m_grads;

 private:
  void check_bound(char const* what) const {
    KONO_USER_REQUIRE(num_parameters() == 0 || m_params.data() != nullptr, wrong_state,
                      "kono::" << type_name() << "::" << what
                               << ": parameters are not bound (add the layer to a Model, or call bind_parameters)");
  }
};

}  // namespace kono

/// Explicit instantiation of a layer class template for the scalars kono models use, in the
/// default memory space (float for training, double for gradient checks).
#define KONO_INSTANTIATE_FOR_SCALARS(ClassTemplate)               \
  template class ClassTemplate<kono::DefaultMemorySpace, float>; \
  template class ClassTemplate<kono::DefaultMemorySpace, double>;
