#include <kono/operators/losses/loss_registry.hpp>

#include <algorithm>

#include <kono/core/closest_match.hpp>
#include <kono/operators/losses/mse.hpp>
#include <kono/operators/losses/relative_h1.hpp>
#include <kono/operators/losses/relative_lp.hpp>

namespace kono {

namespace {
std::string context(std::string const& where) { return where.empty() ? std::string() : " (in " + where + ")"; }

/// Rejects keys a loss does not know, so a typo ("perodic") is not silently ignored.
void check_keys(LayerConfig const& cfg, std::string const& type, std::vector<std::string> const& known,
                std::string const& where) {
  for (auto it = cfg.begin(); it != cfg.end(); ++it) {
    if (it.key() == "type" || std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    std::vector<std::string> all = known;
    all.insert(all.begin(), "type");
    KONO_THROW(invalid_argument, "kono::create_loss: unknown key \"" << it.key() << "\" for loss \"" << type << "\""
                                                                     << context(where) << known_names_hint(it.key(), all));
  }
}

/// A per-axis option given as one value or as a list.
template <class T>
std::vector<T> axis_list(LayerConfig const& cfg, std::string const& key, std::string const& where) {
  if (!cfg.contains(key)) return {};
  if (cfg.at(key).is_array()) return config_get<std::vector<T>>(cfg, key, where);
  return {config_get<T>(cfg, key, where)};
}
}  // namespace

std::vector<std::string> loss_types() { return {"h1", "l2", "lp", "mse"}; }

template <class MemorySpace, class Scalar>
std::unique_ptr<Loss<MemorySpace, Scalar>> create_loss(LayerConfig const& cfg, std::string const& where) {
  std::string const here = "kono::create_loss" + context(where);
  auto const type = config_get<std::string>(cfg, "type", here);
  if (type == "mse") {
    check_keys(cfg, type, {}, where);
    return std::make_unique<MseLoss<MemorySpace, Scalar>>();
  }
  if (type == "l2" || type == "lp") {
    check_keys(cfg, type, type == "lp" ? std::vector<std::string>{"p", "eps", "per_channel"}
                                       : std::vector<std::string>{"eps", "per_channel"},
               where);
    double const p = type == "lp" ? config_get<double>(cfg, "p", here, 2.0) : 2.0;
    return std::make_unique<RelativeLpLoss<MemorySpace, Scalar>>(p, config_get<double>(cfg, "eps", here, 1e-8),
                                                                 config_get<bool>(cfg, "per_channel", here, false));
  }
  if (type == "h1") {
    check_keys(cfg, type, {"eps", "per_channel", "periodic", "measure", "h"}, where);
    RelativeH1Options opt;
    opt.eps = config_get<double>(cfg, "eps", here, 1e-8);
    opt.per_channel = config_get<bool>(cfg, "per_channel", here, false);
    opt.periodic = axis_list<bool>(cfg, "periodic", here);
    opt.measure = axis_list<double>(cfg, "measure", here);
    opt.spacing = axis_list<double>(cfg, "h", here);
    return std::make_unique<RelativeH1Loss<MemorySpace, Scalar>>(std::move(opt));
  }
  KONO_THROW(invalid_argument, "kono::create_loss: unknown loss type \"" << type << "\"" << context(where)
                                                                         << known_names_hint(type, loss_types()));
}

template std::unique_ptr<Loss<DefaultMemorySpace, float>> create_loss<DefaultMemorySpace, float>(LayerConfig const&,
                                                                                                 std::string const&);
template std::unique_ptr<Loss<DefaultMemorySpace, double>> create_loss<DefaultMemorySpace, double>(LayerConfig const&,
                                                                                                   std::string const&);

}  // namespace kono
