#include <map>
#include <vector>

#include <kono/operators/model_resolution.hpp>

namespace kono {
namespace {
// Every extent of a "kernel" / "stride" value (a number or an array of numbers) is 1.
bool all_ones(LayerConfig const& cfg, char const* key) {
  if (!cfg.contains(key)) return true;  // absent: the layer's default (1 for stride; kernel is always stored)
  LayerConfig const& v = cfg.at(key);
  if (v.is_number_integer()) return v.get<long long>() == 1;
  if (!v.is_array()) return false;
  for (auto const& e : v)
    if (!e.is_number_integer() || e.get<long long>() != 1) return false;
  return true;
}

std::string extents_text(LayerConfig const& v) {
  if (!v.is_array()) return v.dump();
  std::string s;
  for (auto const& e : v) s += (s.empty() ? "" : "x") + e.dump();
  return s;
}

// Offending layers grouped by their message (six identical mgno_layers make one line).
struct Findings {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> paths;
  void add(std::string const& path, std::string const& message) {
    if (!paths.count(message)) order.push_back(message);
    paths[message].push_back(path.empty() ? std::string("root") : path);
  }
};

std::string child(std::string const& path, std::string const& name) { return path.empty() ? name : path + "." + name; }

void walk(LayerConfig const& cfg, std::string const& path, Findings& f) {
  if (!cfg.is_object() || !cfg.contains("type") || !cfg.at("type").is_string()) {
    f.add(path, "malformed layer configuration " + cfg.dump().substr(0, 80));
    return;
  }
  std::string const type = cfg.at("type").get<std::string>();
  static char const* const pointwise[] = {"linear", "gelu", "relu", "tanh", "silu", "activation", "identity",
                                          "soft_gating", "grid_embedding", "channel_mlp", "spectral_conv",
                                          "discretized_conv"};
  for (char const* p : pointwise)
    if (type == p) return;
  if (type == "sequential") {
    LayerConfig const layers = cfg.value("layers", LayerConfig::array());
    for (std::size_t i = 0; i < layers.size(); ++i) walk(layers[i], child(path, std::to_string(i)), f);
    return;
  }
  if (type == "residual" || type == "domain_padding") {
    for (char const* part : {"body", "skip"})
      if (cfg.contains(part) && !cfg.at(part).is_null()) walk(cfg.at(part), child(path, part), f);
    return;
  }
  if (type == "conv" || type == "conv_transpose") {
    if (!all_ones(cfg, "kernel"))
      f.add(path, type + ": " + extents_text(cfg.at("kernel")) +
                      " kernel in grid units (its physical support shrinks on a finer grid)");
    else if (!all_ones(cfg, "stride"))
      f.add(path, type + ": stride " + extents_text(cfg.at("stride")) + " in grid units");
    return;
  }
  if (type == "mgno_layer") {
    LayerConfig const* ref = cfg.contains("reference_extents") ? &cfg.at("reference_extents") : nullptr;
    if (!ref || !ref->is_array() || ref->empty())
      f.add(path, "mgno_layer: 3x3 convolutions and stride-2 transfers in grid units (trained with "
                  "--model.discretization=grid or by kono before resolution-consistent MgNO)");
    return;
  }
  f.add(path, "layer type \"" + type + "\" is not known to be resolution-independent");
}
}  // namespace

ResolutionConsistency resolution_consistency(LayerConfig const& architecture) {
  Findings f;
  walk(architecture, "", f);
  ResolutionConsistency out;
  out.consistent = f.order.empty();
  for (auto const& message : f.order) {
    auto const& where = f.paths.at(message);
    std::string layers;
    for (auto const& p : where) layers += (layers.empty() ? "" : ", ") + p;
    out.reason += (out.reason.empty() ? "" : "; ") + message + " (layer" + (where.size() > 1 ? "s " : " ") + layers + ")";
  }
  return out;
}

}  // namespace kono
