#include <algorithm>
#include <map>

#include <kono/core/closest_match.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/layers/activation.hpp>
#include <kono/operators/layers/conv.hpp>
#include <kono/operators/layers/discretized_conv.hpp>
#include <kono/operators/layers/domain_padding.hpp>
#include <kono/operators/layers/grid_embedding.hpp>
#include <kono/operators/layers/linear.hpp>
#include <kono/operators/layers/mgno.hpp>
#include <kono/operators/layers/sequential.hpp>
#include <kono/operators/layers/soft_gating.hpp>
#include <kono/operators/layers/spectral_conv.hpp>
#include <kono/operators/stencil/stencil_constraint.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>

namespace kono {
namespace {
// One table per (space, scalar), created on first use (no static-initialisation order issues).
template <class MemorySpace, class Scalar>
std::map<std::string, LayerFactory<MemorySpace, Scalar>>& table() {
  static std::map<std::string, LayerFactory<MemorySpace, Scalar>> t;
  return t;
}

template <class MemorySpace, class Scalar>
void register_basic_layers() {
  register_layer<MemorySpace, Scalar>("linear", &Linear<MemorySpace, Scalar>::from_config);
  for (char const* a : {"gelu", "relu", "tanh", "silu", "activation"})
    register_layer<MemorySpace, Scalar>(a, &Activation<MemorySpace, Scalar>::from_config);
  register_layer<MemorySpace, Scalar>("soft_gating", &SoftGating<MemorySpace, Scalar>::from_config);
  register_layer<MemorySpace, Scalar>("grid_embedding", &GridEmbedding<MemorySpace, Scalar>::from_config);
  register_layer<MemorySpace, Scalar>("sequential", &Sequential<MemorySpace, Scalar>::from_config);
  register_layer<MemorySpace, Scalar>("residual", &Residual<MemorySpace, Scalar>::from_config);
  register_layer<MemorySpace, Scalar>("domain_padding", &DomainPadding<MemorySpace, Scalar>::from_config);
  register_layer<MemorySpace, Scalar>("channel_mlp", [](LayerConfig const& cfg) {
    return make_channel_mlp<MemorySpace, Scalar>(
        config_get<int>(cfg, "in_channels", "channel_mlp"), config_get<int>(cfg, "hidden_channels", "channel_mlp"),
        config_get<int>(cfg, "out_channels", "channel_mlp"), config_get<int>(cfg, "layers", "channel_mlp", 2),
        config_get<std::string>(cfg, "activation", "channel_mlp", "gelu"));
  });
}
}  // namespace

template <class MemorySpace, class Scalar>
void register_layer(std::string const& type, LayerFactory<MemorySpace, Scalar> factory) {
  KONO_USER_REQUIRE(!type.empty() && factory, invalid_argument, "kono::register_layer: empty type name or factory");
  table<MemorySpace, Scalar>()[type] = std::move(factory);
}

template <class MemorySpace, class Scalar>
std::vector<std::string> registered_layer_types() {
  std::vector<std::string> names;
  for (auto const& kv : table<MemorySpace, Scalar>()) names.push_back(kv.first);
  return names;
}

template <class MemorySpace, class Scalar>
std::unique_ptr<Layer<MemorySpace, Scalar>> create_layer(LayerConfig const& cfg, std::string const& where) {
  register_builtin_layers();
  std::string const context = where.empty() ? "kono::create_layer" : "kono::create_layer (" + where + ")";
  KONO_USER_REQUIRE(cfg.is_object() && cfg.contains("type") && cfg.at("type").is_string(), invalid_argument,
                    context << ": layer configuration needs a string \"type\", got " << cfg.dump());
  std::string const type = cfg.at("type").get<std::string>();
  auto const& t = table<MemorySpace, Scalar>();
  auto const it = t.find(type);
  KONO_USER_REQUIRE(it != t.end(), invalid_argument,
                    context << ": unknown layer type \"" << type << "\""
                            << known_names_hint(type, registered_layer_types<MemorySpace, Scalar>()));
  return it->second(cfg);
}

void register_builtin_layers() {
  static bool done = false;  // PETSc's RegisterAllCalled
  if (done) return;
  done = true;
  register_basic_layers<DefaultMemorySpace, float>();
  register_basic_layers<DefaultMemorySpace, double>();
  Impl::register_conv_layers();
  Impl::register_spectral_layers();
  Impl::register_mgno_layers();
  Impl::register_discretized_conv_layers();
  Impl::register_stencil_layers();        // stencil_constraint, channel_attention
  Impl::register_stencil_model_layers();  // stencil_network, stencil_rollout (build on the two above)
}

#define KONO_INSTANTIATE_REGISTRY(S)                                                                          \
  template void register_layer<DefaultMemorySpace, S>(std::string const&, LayerFactory<DefaultMemorySpace, S>); \
  template std::vector<std::string> registered_layer_types<DefaultMemorySpace, S>();                          \
  template std::unique_ptr<Layer<DefaultMemorySpace, S>> create_layer<DefaultMemorySpace, S>(LayerConfig const&, \
                                                                                             std::string const&);
KONO_INSTANTIATE_REGISTRY(float)
KONO_INSTANTIATE_REGISTRY(double)
}  // namespace kono
