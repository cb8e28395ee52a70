#pragma once
/// Creating losses by name from a configuration ({"type": "h1", ...}), as training configs and
/// model files spell them.
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer_config.hpp>
#include <kono/operators/losses/loss.hpp>

namespace kono {

/// Builds the loss cfg["type"] names: "mse" (MseLoss), "l2" (RelativeLpLoss, p = 2), "lp"
/// (RelativeLpLoss, key "p") or "h1" (RelativeH1Loss); the other keys are the options each
/// class documents. Throws Error{invalid_argument} for a missing or unknown type, an unknown
/// key or a bad value, listing the known names and the closest match ("did you mean"); the
/// message names `where` (e.g. the config file) when given. Not collective.
template <class MemorySpace, class Scalar>
std::unique_ptr<Loss<MemorySpace, Scalar>> create_loss(LayerConfig const& cfg, std::string const& where = "");

/// Sorted loss type names accepted by create_loss(), for --help and error text.
std::vector<std::string> loss_types();

}  // namespace kono
