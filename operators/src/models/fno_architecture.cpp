// FNO (Li et al. 2021) as neuraloperator builds it (neuralop.models.FNO with its defaults):
//   grid embedding -> lifting channel MLP -> [domain padding: L Fourier blocks] -> projection MLP
// Fourier block l (neuralop's FNOBlocks.forward_with_postactivation):
//   h = spectral(x) + linear_skip(x); h = act(h) unless last
//   x = channel_mlp(h) + soft_gating(x); x = act(x) unless last
// so the channel-MLP skip sees the block input. With channel_mlp off: x = spectral(x) + skip(x).
#include <algorithm>
#include <cmath>

#include <kono/operators/model_registry.hpp>

namespace kono {
namespace Impl {
namespace {
LayerConfig channel_mlp(int in, int hidden, int out, std::string const& act) {
  return {{"type", "channel_mlp"}, {"in_channels", in}, {"hidden_channels", hidden},
          {"out_channels", out},   {"layers", 2},        {"activation", act}};
}

// One value per axis from a scalar or a list (a one-element list is broadcast).
template <class T>
std::vector<T> per_axis(LayerConfig const& o, std::string const& key, int dim) {
  LayerConfig const v = o.at(key);
  std::vector<T> out = v.is_array() ? config_get<std::vector<T>>(o, key, "model." + key)
                                    : std::vector<T>{config_get<T>(o, key, "model." + key)};
  if (out.size() == 1) out.assign(std::size_t(dim), out[0]);
  KONO_USER_REQUIRE(int(out.size()) == dim, invalid_argument,
                    "model \"fno\": --model." << key << " has " << out.size() << " values for a " << dim
                                             << "D problem (give one, or one per axis)");
  return out;
}

LayerConfig fno_architecture(LayerConfig const& o) {
  int const in = config_get<int>(o, "in_channels", "model.in_channels");
  int const out = config_get<int>(o, "out_channels", "model.out_channels");
  int const dim = config_get<int>(o, "dim", "model.dim");
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, "model \"fno\": model.dim=" << dim << " must be 1, 2 or 3");
  std::vector<int> const modes = per_axis<int>(o, "modes", dim);
  for (int m : modes)
    KONO_USER_REQUIRE(m >= 1, invalid_argument, "model \"fno\": --model.modes values must be positive, got " << m);
  int const width = config_get<int>(o, "hidden_channels", "model.hidden_channels");
  int const layers = config_get<int>(o, "layers", "model.layers");
  double const lifting = config_get<double>(o, "lifting_ratio", "model.lifting_ratio");
  double const projection = config_get<double>(o, "projection_ratio", "model.projection_ratio");
  double const expansion = config_get<double>(o, "channel_mlp_expansion", "model.channel_mlp_expansion");
  bool const use_mlp = config_get<bool>(o, "channel_mlp", "model.channel_mlp");
  bool const embed = config_get<bool>(o, "positional_embedding", "model.positional_embedding");
  std::string const act = config_get<std::string>(o, "activation", "model.activation");
  std::vector<double> const padding = per_axis<double>(o, "padding", dim);
  KONO_USER_REQUIRE(in >= 1 && out >= 1 && width >= 1 && layers >= 1, invalid_argument,
                    "model \"fno\": in_channels, out_channels, hidden_channels and layers must be positive");
  KONO_USER_REQUIRE(lifting >= 0 && projection > 0 && expansion > 0, invalid_argument,
                    "model \"fno\": lifting_ratio must be >= 0 (0: a single linear lifting), projection_ratio and "
                    "channel_mlp_expansion > 0");

  LayerConfig net = LayerConfig::array();
  int channels = in;
  if (embed) {
    net.push_back({{"type", "grid_embedding"}, {"in_channels", in}, {"dim", dim}});
    channels += dim;
  }
  if (lifting > 0)
    net.push_back(channel_mlp(channels, int(lifting * width), width, act));
  else
    net.push_back({{"type", "linear"}, {"in_channels", channels}, {"out_channels", width}});

  LayerConfig blocks = LayerConfig::array();
  for (int l = 0; l < layers; ++l) {
    bool const last = l == layers - 1;
    LayerConfig fourier{{"type", "residual"},
                        {"body", {{"type", "spectral_conv"}, {"in_channels", width}, {"out_channels", width}, {"modes", modes}}},
                        {"skip", {{"type", "linear"}, {"in_channels", width}, {"out_channels", width}, {"bias", false}}}};
    if (use_mlp) {
      LayerConfig body = LayerConfig::array();
      body.push_back(fourier);
      if (!last) body.push_back({{"type", act}});
      body.push_back(channel_mlp(width, int(std::nearbyint(width * expansion)), width, act));
      blocks.push_back({{"type", "residual"},
                        {"body", {{"type", "sequential"}, {"layers", body}}},
                        {"skip", {{"type", "soft_gating"}, {"channels", width}}}});
    } else {
      blocks.push_back(fourier);
    }
    if (!last) blocks.push_back({{"type", act}});
  }
  LayerConfig trunk{{"type", "sequential"}, {"layers", blocks}};
  bool const padded = std::any_of(padding.begin(), padding.end(), [](double p) { return p > 0; });
  net.push_back(padded ? LayerConfig{{"type", "domain_padding"}, {"fraction", padding}, {"body", trunk}} : trunk);
  net.push_back(channel_mlp(width, int(projection * width), out, act));
  return {{"type", "sequential"}, {"layers", net}};
}
}  // namespace

void register_fno_model() {
  register_model(
      "fno", fno_architecture,
      {{"in_channels", 1, "input channels (set from the data by kono train)"},
       {"out_channels", 1, "output channels (set from the data by kono train)"},
       {"dim", 2, "spatial dimension 1-3 (set from the data by kono train)"},
       {"modes", 8, "Fourier modes kept per axis: one value or one per axis (8,8); at most the grid size"},
       {"hidden_channels", 24, "width of the Fourier blocks"},
       {"layers", 4, "number of Fourier blocks"},
       {"lifting_ratio", 2.0, "lifting MLP hidden width / hidden_channels (0: one linear layer)"},
       {"projection_ratio", 2.0, "projection MLP hidden width / hidden_channels"},
       {"padding", 0.0, "domain padding fraction per axis for non-periodic problems (0: none)"},
       {"channel_mlp", true, "channel MLP with soft-gating skip in each block"},
       {"channel_mlp_expansion", 0.5, "channel MLP hidden width / hidden_channels"},
       {"positional_embedding", true, "append grid coordinates on [0, 1] to the input"},
       {"activation", "gelu", "gelu, relu, tanh or silu"}},
      "Fourier neural operator (neuraloperator's FNO: spectral conv + linear skip + channel MLP)");
}
}  // namespace Impl
}  // namespace kono
