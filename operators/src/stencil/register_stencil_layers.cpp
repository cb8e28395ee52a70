#include <kono/operators/layer_registry.hpp>
#include <kono/operators/stencil/channel_attention.hpp>
#include <kono/operators/stencil/stencil_constraint.hpp>

namespace kono::Impl {
namespace {
template <class Scalar>
void register_stencil_layers_for() {
  register_layer<DefaultMemorySpace, Scalar>("stencil_constraint",
                                             &StencilConstraint<DefaultMemorySpace, Scalar>::from_config);
  register_layer<DefaultMemorySpace, Scalar>("channel_attention",
                                             &ChannelAttention<DefaultMemorySpace, Scalar>::from_config);
}
}  // namespace

void register_stencil_layers() {
  register_stencil_layers_for<float>();
  register_stencil_layers_for<double>();
}
}  // namespace kono::Impl
