#include <algorithm>
#include <kono/core/closest_match.hpp>
#include <kono/core/error.hpp>
#include <kono/operators/optimizers/adam.hpp>
#include <kono/operators/optimizers/optimizer_registry.hpp>
#include <kono/operators/optimizers/sgd.hpp>

namespace kono {
namespace {

// A fixed list (no registration call): optimizers and schedules are few and never plugged in
// from outside; a new one adds a line here.
std::vector<std::string> const& optimizer_names() {
  static std::vector<std::string> const names{"adam", "adamw", "sgd"};
  return names;
}
std::vector<std::string> const& schedule_names() {
  static std::vector<std::string> const names{"constant", "cosine", "step"};
  return names;
}

std::string context(std::string const& where) { return where.empty() ? std::string() : " (" + where + ")"; }

// Rejects every key of cfg outside `allowed`, naming it, with "did you mean"; a misspelt key
// would otherwise silently fall back to a default.
void check_keys(LayerConfig const& cfg, std::vector<std::string> allowed, std::string const& func,
                std::string const& kind, std::string const& type, std::string const& where) {
  std::sort(allowed.begin(), allowed.end());
  for (auto const& item : cfg.items()) {
    std::string const& key = item.key();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    KONO_USER_REQUIRE(!(kind == "optimizer" && key == "lr"), invalid_argument,
                      func << ": key \"lr\" in optimizer config" << context(where)
                           << ": the learning rate belongs to the schedule (create_lr_schedule's \"lr\")");
    KONO_THROW(invalid_argument, func << ": unknown key \"" << key << "\" for " << kind << " type \"" << type << "\""
                                      << context(where) << known_names_hint(key, allowed));
  }
}

std::string get_type(LayerConfig const& cfg, std::string const& func, std::string const& kind,
                     std::vector<std::string> const& names, std::string const& where) {
  KONO_USER_REQUIRE(
      cfg.is_object(), invalid_argument,
      func << ": " << kind << " config" << context(where) << " must be a JSON object, got " << cfg.dump());
  std::string const type = config_get<std::string>(cfg, "type", func + context(where));
  KONO_USER_REQUIRE(
      std::find(names.begin(), names.end(), type) != names.end(), invalid_argument,
      func << ": unknown " << kind << " type \"" << type << "\"" << context(where) << known_names_hint(type, names));
  return type;
}

}  // namespace

std::vector<std::string> optimizer_types() { return optimizer_names(); }
std::vector<std::string> lr_schedule_types() { return schedule_names(); }

template <class MemorySpace, class Scalar>
std::unique_ptr<Optimizer<MemorySpace, Scalar>> create_optimizer(LayerConfig const& cfg, std::size_t num_parameters,
                                                                 std::string const& where) {
  std::string const func = "kono::create_optimizer";
  std::string const type = get_type(cfg, func, "optimizer", optimizer_names(), where);
  std::string const at = func + context(where);
  if (type == "sgd") {
    check_keys(cfg, {"type", "momentum", "dampening", "weight_decay", "nesterov"}, func, "optimizer", type, where);
    SgdOptions o;
    o.momentum = config_get<double>(cfg, "momentum", at, o.momentum);
    o.dampening = config_get<double>(cfg, "dampening", at, o.dampening);
    o.weight_decay = config_get<double>(cfg, "weight_decay", at, o.weight_decay);
    o.nesterov = config_get<bool>(cfg, "nesterov", at, o.nesterov);
    return std::make_unique<Sgd<MemorySpace, Scalar>>(num_parameters, o);
  }
  std::vector<std::string> keys{"type", "betas", "eps", "weight_decay", "bias_correction"};
  AdamOptions o = AdamOptions::pytorch_adam();
  if (type == "adamw") {
    keys.push_back("variant");
    std::string const variant = config_get<std::string>(cfg, "variant", at, std::string("pytorch"));
    std::vector<std::string> const variants{"neuralop", "pytorch"};
    KONO_USER_REQUIRE(variant == "pytorch" || variant == "neuralop", invalid_argument,
                      func << ": unknown adamw variant \"" << variant << "\" (key \"variant\")" << context(where)
                           << known_names_hint(variant, variants));
    o = variant == "neuralop" ? AdamOptions::neuralop_adamw() : AdamOptions::pytorch_adamw();
  }
  check_keys(cfg, keys, func, "optimizer", type, where);
  if (cfg.contains("betas")) {
    auto const betas = config_get<std::vector<double>>(cfg, "betas", at);
    KONO_USER_REQUIRE(betas.size() == 2, invalid_argument,
                      at << ": key \"betas\" must hold two numbers [beta1, beta2], got " << cfg.at("betas").dump());
    o.beta1 = betas[0];
    o.beta2 = betas[1];
  }
  o.eps = config_get<double>(cfg, "eps", at, o.eps);
  o.weight_decay = config_get<double>(cfg, "weight_decay", at, o.weight_decay);
  o.bias_correction = config_get<bool>(cfg, "bias_correction", at, o.bias_correction);
  return std::make_unique<Adam<MemorySpace, Scalar>>(num_parameters, o);
}

std::unique_ptr<LrSchedule> create_lr_schedule(LayerConfig const& cfg, std::string const& where) {
  std::string const func = "kono::create_lr_schedule";
  std::string const type = get_type(cfg, func, "schedule", schedule_names(), where);
  std::string const at = func + context(where);
  std::unique_ptr<LrSchedule> s;
  if (type == "constant") {
    check_keys(cfg, {"type", "lr", "warmup_epochs"}, func, "schedule", type, where);
    s = std::make_unique<ConstantLr>(config_get<double>(cfg, "lr", at));
  } else if (type == "step") {
    check_keys(cfg, {"type", "lr", "step_size", "gamma", "warmup_epochs"}, func, "schedule", type, where);
    s = std::make_unique<StepLr>(config_get<double>(cfg, "lr", at), config_get<std::int64_t>(cfg, "step_size", at),
                                 config_get<double>(cfg, "gamma", at, 0.1));
  } else {
    check_keys(cfg, {"type", "lr", "T_max", "eta_min", "warmup_epochs"}, func, "schedule", type, where);
    s = std::make_unique<CosineAnnealingLr>(config_get<double>(cfg, "lr", at),
                                            config_get<std::int64_t>(cfg, "T_max", at),
                                            config_get<double>(cfg, "eta_min", at, 0.0));
  }
  auto const warmup = config_get<std::int64_t>(cfg, "warmup_epochs", at, std::int64_t(0));
  KONO_USER_REQUIRE(warmup >= 0, invalid_argument, at << ": key \"warmup_epochs\" is " << warmup << ", must be >= 0");
  if (warmup > 0) s = std::make_unique<LinearWarmupLr>(warmup, std::move(s));
  return s;
}

template std::unique_ptr<Optimizer<DefaultMemorySpace, float>> create_optimizer<DefaultMemorySpace, float>(
    LayerConfig const&, std::size_t, std::string const&);
template std::unique_ptr<Optimizer<DefaultMemorySpace, double>> create_optimizer<DefaultMemorySpace, double>(
    LayerConfig const&, std::size_t, std::string const&);

}  // namespace kono
