#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/conv_transpose.hpp>

namespace kono::Impl {
namespace {
template <class Scalar>
void register_conv_layers_for() {
  register_layer<DefaultMemorySpace, Scalar>("conv", &Conv<DefaultMemorySpace, Scalar>::from_config);
  register_layer<DefaultMemorySpace, Scalar>("conv_transpose", &ConvTranspose<DefaultMemorySpace, Scalar>::from_config);
}
}  // namespace

void register_conv_layers() {
  register_conv_layers_for<float>();
  register_conv_layers_for<double>();
}
}  // namespace kono::Impl
