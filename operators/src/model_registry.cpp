#include <algorithm>
#include <map>

#include <kono/core/closest_match.hpp>
#include <kono/operators/model_registry.hpp>

namespace kono {
namespace {
std::map<std::string, ModelBuilder>& table() {
  static std::map<std::string, ModelBuilder> t;
  return t;
}

// Rejects keys a builder does not know, with "did you mean".
void check_keys(LayerConfig const& options, std::vector<std::string> const& known, std::string const& model) {
  KONO_USER_REQUIRE(options.is_object(), invalid_argument, "model \"" << model << "\": options must be a mapping");
  for (auto const& kv : options.items())
    KONO_USER_REQUIRE(std::find(known.begin(), known.end(), kv.key()) != known.end(), invalid_argument,
                      "model \"" << model << "\": unknown option \"model." << kv.key() << "\""
                                 << known_names_hint(kv.key(), known));
}

// Pointwise MLP with a grid-coordinate embedding: the simplest surrogate (no spatial mixing),
// a baseline and a smoke-test model for the training loop.
LayerConfig mlp_architecture(LayerConfig const& o) {
  check_keys(o, {"in_channels", "out_channels", "dim", "hidden_channels", "layers", "activation", "grid_embedding"}, "mlp");
  int const in = config_get<int>(o, "in_channels", "model.in_channels", 1);
  int const out = config_get<int>(o, "out_channels", "model.out_channels", 1);
  int const dim = config_get<int>(o, "dim", "model.dim", 2);
  bool const embed = config_get<bool>(o, "grid_embedding", "model.grid_embedding", true);
  LayerConfig layers = LayerConfig::array();
  if (embed) layers.push_back({{"type", "grid_embedding"}, {"in_channels", in}, {"dim", dim}});
  layers.push_back({{"type", "channel_mlp"},
                    {"in_channels", embed ? in + dim : in},
                    {"hidden_channels", config_get<int>(o, "hidden_channels", "model.hidden_channels", 64)},
                    {"out_channels", out},
                    {"layers", config_get<int>(o, "layers", "model.layers", 3)},
                    {"activation", config_get<std::string>(o, "activation", "model.activation", "gelu")}});
  return {{"type", "sequential"}, {"layers", layers}};
}
}  // namespace

void register_model(std::string const& type, ModelBuilder builder) {
  KONO_USER_REQUIRE(!type.empty() && builder, invalid_argument, "kono::register_model: empty type or builder");
  table()[type] = std::move(builder);
}

std::vector<std::string> registered_model_types() {
  register_builtin_models();
  std::vector<std::string> names;
  for (auto const& kv : table()) names.push_back(kv.first);
  return names;
}

LayerConfig model_architecture(std::string const& type, LayerConfig const& options) {
  register_builtin_models();
  auto const it = table().find(type);
  KONO_USER_REQUIRE(it != table().end(), invalid_argument,
                    "unknown model type \"" << type << "\" (--model.type)" << known_names_hint(type, registered_model_types()));
  return it->second(options.is_null() ? LayerConfig::object() : options);
}

template <class MemorySpace, class Scalar>
Model<MemorySpace, Scalar> create_model(std::string const& type, LayerConfig const& options, std::uint64_t seed) {
  return Model<MemorySpace, Scalar>::from_architecture(type, model_architecture(type, options), seed);
}

void register_builtin_models() {
  static bool done = false;
  if (done) return;
  done = true;
  register_model("mlp", mlp_architecture);
}

template Model<DefaultMemorySpace, float> create_model<DefaultMemorySpace, float>(std::string const&, LayerConfig const&,
                                                                                 std::uint64_t);
template Model<DefaultMemorySpace, double> create_model<DefaultMemorySpace, double>(std::string const&,
                                                                                   LayerConfig const&, std::uint64_t);
}  // namespace kono
