#pragma once
/// Optimizers and learning-rate schedules built from configuration (training files):
/// {"type": "adamw", "variant": "neuralop", "weight_decay": 1e-4} and {"type": "cosine", "lr": 1e-2, "T_max": 30}.
#include <cstddef>
#include <kono/operators/layer_config.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <kono/operators/optimizers/optimizer.hpp>
#include <memory>
#include <string>
#include <vector>

namespace kono {

/// Builds an optimizer for `num_parameters` values from cfg["type"]:
/// - "sgd": momentum, dampening, weight_decay, nesterov (PyTorch defaults, all 0/false);
/// - "adam": betas [b1, b2], eps, weight_decay (L2), bias_correction (PyTorch defaults 0.9/0.999, 1e-8, 0);
/// - "adamw": as adam plus "variant": "pytorch" (default; weight decay default 1e-2) or "neuralop"
///   (neuralop's AdamW: eps default 1e-6, weight decay default 0). Defaults follow the library each mimics.
/// The learning rate is not an optimizer key: it belongs to the schedule. Throws Error{invalid_argument}
/// for an unknown type, variant or key (listing the choices, with "did you mean"), naming `where`.
template <class MemorySpace, class Scalar>
std::unique_ptr<Optimizer<MemorySpace, Scalar>> create_optimizer(LayerConfig const& cfg, std::size_t num_parameters,
                                                                 std::string const& where = "");

/// Sorted optimizer type names, for --help and error text.
std::vector<std::string> optimizer_types();

/// Builds a schedule from cfg["type"], all with a required base "lr":
/// "constant"; "step" (step_size, gamma = 0.1); "cosine" (T_max, eta_min = 0); any of them with
/// "warmup_epochs" > 0 is wrapped in LinearWarmupLr. Throws Error{invalid_argument} as create_optimizer.
std::unique_ptr<LrSchedule> create_lr_schedule(LayerConfig const& cfg, std::string const& where = "");

/// Sorted schedule type names, for --help and error text.
std::vector<std::string> lr_schedule_types();

}  // namespace kono
