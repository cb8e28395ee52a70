#include <algorithm>
#include <map>

#include <kono/core/closest_match.hpp>
#include <kono/operators/model_registry.hpp>

namespace kono {
namespace {
struct ModelFamily {
  ModelBuilder builder;
  std::vector<ModelOption> options;
  std::string summary;
};

std::map<std::string, ModelFamily>& table() {
  static std::map<std::string, ModelFamily> t;
  return t;
}

ModelFamily const& family(std::string const& type) {
  register_builtin_models();
  auto const it = table().find(type);
  KONO_USER_REQUIRE(it != table().end(), invalid_argument,
                    "unknown model type \"" << type << "\" (--model.type)"
                                            << known_names_hint(type, registered_model_types()));
  return it->second;
}

// Unknown keys are errors with "did you mean"; absent keys take the table's defaults.
LayerConfig complete_options(std::string const& type, LayerConfig const& given) {
  auto const& opts = family(type).options;
  LayerConfig const in = given.is_null() ? LayerConfig::object() : given;
  KONO_USER_REQUIRE(in.is_object(), invalid_argument, "model \"" << type << "\": options must be a mapping");
  std::vector<std::string> known;
  for (auto const& o : opts) known.push_back(o.key);
  for (auto const& kv : in.items())
    KONO_USER_REQUIRE(std::find(known.begin(), known.end(), kv.key()) != known.end(), invalid_argument,
                      "model \"" << type << "\": unknown option \"model." << kv.key() << "\""
                                 << known_names_hint(kv.key(), known));
  LayerConfig out = in;
  for (auto const& o : opts)
    if (!out.contains(o.key) && !o.default_value.is_null()) out[o.key] = o.default_value;
  return out;
}

// Pointwise MLP with a grid-coordinate embedding: the simplest surrogate (no spatial mixing),
// a baseline and a smoke-test model for the training loop.
LayerConfig mlp_architecture(LayerConfig const& o) {
  int const in = config_get<int>(o, "in_channels", "model.in_channels");
  int const dim = config_get<int>(o, "dim", "model.dim");
  bool const embed = config_get<bool>(o, "grid_embedding", "model.grid_embedding");
  LayerConfig layers = LayerConfig::array();
  if (embed) layers.push_back({{"type", "grid_embedding"}, {"in_channels", in}, {"dim", dim}});
  layers.push_back({{"type", "channel_mlp"},
                    {"in_channels", embed ? in + dim : in},
                    {"hidden_channels", config_get<int>(o, "hidden_channels", "model.hidden_channels")},
                    {"out_channels", config_get<int>(o, "out_channels", "model.out_channels")},
                    {"layers", config_get<int>(o, "layers", "model.layers")},
                    {"activation", config_get<std::string>(o, "activation", "model.activation")}});
  return {{"type", "sequential"}, {"layers", layers}};
}
}  // namespace

void register_model(std::string const& type, ModelBuilder builder, std::vector<ModelOption> options,
                    std::string summary) {
  KONO_USER_REQUIRE(!type.empty() && builder, invalid_argument, "kono::register_model: empty type or builder");
  table()[type] = ModelFamily{std::move(builder), std::move(options), std::move(summary)};
}

std::vector<std::string> registered_model_types() {
  register_builtin_models();
  std::vector<std::string> names;
  for (auto const& kv : table()) names.push_back(kv.first);
  return names;
}

std::vector<ModelOption> const& model_options(std::string const& type) { return family(type).options; }
std::string const& model_summary(std::string const& type) { return family(type).summary; }

LayerConfig model_architecture(std::string const& type, LayerConfig const& options) {
  return family(type).builder(complete_options(type, options));
}

template <class MemorySpace, class Scalar>
Model<MemorySpace, Scalar> create_model(std::string const& type, LayerConfig const& options, std::uint64_t seed) {
  return Model<MemorySpace, Scalar>::from_architecture(type, model_architecture(type, options), seed);
}

void register_builtin_models() {
  static bool done = false;
  if (done) return;
  done = true;
  register_model("mlp", mlp_architecture,
                 {{"in_channels", 1, "input channels (set from the data by kono train)"},
                  {"out_channels", 1, "output channels (set from the data by kono train)"},
                  {"dim", 2, "spatial dimension (set from the data by kono train)"},
                  {"hidden_channels", 64, "width of the hidden layers"},
                  {"layers", 3, "number of linear layers"},
                  {"activation", "gelu", "gelu, relu, tanh or silu"},
                  {"grid_embedding", true, "append the grid coordinates to the input channels"}},
                 "pointwise MLP on (input, coordinates): a baseline without spatial mixing");
  Impl::register_fno_model();
  Impl::register_mgno_model();
  Impl::register_stencil_models();
}

template Model<DefaultMemorySpace, float> create_model<DefaultMemorySpace, float>(std::string const&, LayerConfig const&,
                                                                                 std::uint64_t);
template Model<DefaultMemorySpace, double> create_model<DefaultMemorySpace, double>(std::string const&,
                                                                                   LayerConfig const&, std::uint64_t);
}  // namespace kono
