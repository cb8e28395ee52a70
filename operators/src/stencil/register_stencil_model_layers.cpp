#include <kono/operators/layer_registry.hpp>
#include <kono/operators/stencil/stencil_network.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>

namespace kono {
namespace Impl {
template <class Scalar>
void register_stencil_layers_for() {
  register_layer<DefaultMemorySpace, Scalar>("stencil_network", &StencilNetwork<DefaultMemorySpace, Scalar>::from_config);
  register_layer<DefaultMemorySpace, Scalar>("stencil_rollout", &StencilRollout<DefaultMemorySpace, Scalar>::from_config);
}

void register_stencil_model_layers() {
  register_stencil_layers_for<float>();
  register_stencil_layers_for<double>();
}
}  // namespace Impl
}  // namespace kono
