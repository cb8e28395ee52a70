// Model families of learned finite-volume solvers: learned_stencil (learned interpolation, Kochkov
// et al. 2021) and tsm (temporal stencil modelling, Sun et al. 2023): a StencilRollout whose
// network is a StencilNetwork (docs/stencil.md).
#include <cmath>

#include <kono/operators/model_registry.hpp>
#include <kono/operators/stencil/stencil_geometry.hpp>

namespace kono {
namespace {
LayerConfig stencil_architecture(LayerConfig const& o, bool tsm) {
  auto get_int = [&](char const* k) { return config_get<int>(o, k, std::string("model.") + k); };
  auto get_real = [&](char const* k) { return config_get<double>(o, k, std::string("model.") + k); };
  double const dt = get_real("dt");
  KONO_USER_REQUIRE(std::isfinite(dt) && dt > 0, invalid_argument,
                    "--model.dt must be > 0 (kono train sets it from the data's snapshot interval / substeps), got " << dt);
  bool const learned = config_get<bool>(o, "learned", "model.learned");
  int const order = get_int("accuracy_order");
  int const S = get_int("stencil_size");
  int const hippo = tsm ? get_int("hippo_order") : 0;
  KONO_USER_REQUIRE(!tsm || hippo >= 1, invalid_argument, "--model.hippo_order must be >= 1 for tsm, got " << hippo);
  LayerConfig cfg = {{"type", "stencil_rollout"},
                     {"solver",
                      {{"domain_length", get_real("domain_length")},
                       {"dt", dt},
                       {"drag", get_real("drag")},
                       {"forcing_wavenumber", get_int("forcing_wavenumber")},
                       {"time_stepper", config_get<std::string>(o, "time_stepper", "model.time_stepper")},
                       {"stencil_size", S}}},
                     {"steps", get_int("steps")},
                     {"substeps", get_int("substeps")},
                     {"learned", learned},
                     {"accuracy_order", order},
                     {"hippo_order", hippo},
                     {"hippo_theta", tsm ? get_real("hippo_theta") : 1.0},
                     {"cfl_limit", get_real("cfl_limit")}};
  if (learned) {
    KONO_USER_REQUIRE(S >= 2 && S % 2 == 0, invalid_argument, "--model.stencil_size must be even and >= 2, got " << S);
    KONO_USER_REQUIRE(order == 1 || order == 2, invalid_argument, "--model.accuracy_order must be 1 or 2, got " << order);
    int const raw = stencil::num_targets * (stencil::taps_per_target(S) - (order == 1 ? 1 : 3));
    cfg["network"] = {{"type", "stencil_network"},
                      {"in_channels", 2 + 2 * hippo + 2},
                      {"parameters", 2},
                      {"hidden", get_int("hidden_channels")},
                      {"layers", get_int("layers")},
                      {"kernel", get_int("kernel")},
                      {"out_channels", raw},
                      {"activation", config_get<std::string>(o, "activation", "model.activation")},
                      {"attention", config_get<bool>(o, "attention", "model.attention")},
                      {"attention_hidden", get_int("attention_hidden")}};
  }
  return cfg;
}

std::vector<ModelOption> stencil_options(bool tsm) {
  std::vector<ModelOption> o = {
      {"dt", 0.0, "solver time step (kono train sets it: the data's snapshot interval / substeps)"},
      {"substeps", 1, "solver steps per model step (per data snapshot); the network runs once per model step"},
      {"steps", 1, "model steps unrolled per sample (kono train sets it from --train.unroll)"},
      {"learned", true, "false: the classical solver with linear (second-order central) stencils, no parameters"},
      {"stencil_size", 4, "S: S x (S-1) taps per interpolated face value (4: 12 taps)"},
      {"accuracy_order", 1, "stencil constraint: 1 reproduces constants, 2 also linear functions"},
      {"time_stepper", "rk3", "rk3 (SSP, projection after each stage) or euler"},
      {"domain_length", 2 * M_PI, "side of the periodic square (Kolmogorov flow: 2 pi)"},
      {"drag", 0.1, "linear drag coefficient (the force adds -drag u)"},
      {"forcing_wavenumber", 4, "Kolmogorov forcing (A sin(k y), 0): k"},
      {"hidden_channels", 32, "channels of the stencil network's hidden layers"},
      {"layers", 4, "hidden 3x3 convolutions of the stencil network (plus the output convolution)"},
      {"kernel", 3, "convolution kernel size (odd)"},
      {"activation", "gelu", "activation of the hidden layers"},
      {"attention", false, "CAPE: parameter-guided channel attention (nu, forcing amplitude) after every hidden layer"},
      {"attention_hidden", 32, "width of the channel-attention MLP"},
      {"cfl_limit", 0.0, "> 0: every model step checks for NaN/Inf and CFL above this (kono rollout sets 2)"},
  };
  if (tsm) {
    o.push_back({"hippo_order", 8, "HiPPO-LegT coefficients per velocity component of each cell's history"});
    o.push_back({"hippo_theta", 1.0, "HiPPO-LegT window (time units) of the history"});
  }
  return o;
}
}  // namespace

namespace Impl {
void register_stencil_models() {
  register_model(
      "learned_stencil", [](LayerConfig const& o) { return stencil_architecture(o, false); }, stencil_options(false),
      "finite-volume Navier-Stokes solver with CNN-predicted interpolation stencils (Kochkov et al. 2021)");
  register_model(
      "tsm", [](LayerConfig const& o) { return stencil_architecture(o, true); }, stencil_options(true),
      "temporal stencil modelling: learned stencils fed with HiPPO features of each cell's history (Sun et al. 2023)");
}
}  // namespace Impl

}  // namespace kono
