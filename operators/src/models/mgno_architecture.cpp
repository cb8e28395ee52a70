// MgNO (He, Liu, Xu, ICLR 2024) as the authors' Darcy script builds it (MgNO_DC):
//   x -> [mgno_layer: u = act(W_mg(u) + b(u))] x layers -> conv (hidden -> out, 3x3, padding mode)
// The first layer's V-cycle takes the input channels as its right-hand side f directly: no
// lifting. The final convolution is the reference code's `last_layer='conv'` (1 for the
// `'linear'` 1x1 variant); it is the only projection.
#include <kono/operators/layers/conv_common.hpp>
#include <kono/operators/model_registry.hpp>

namespace kono {
namespace Impl {
namespace {
LayerConfig as_list(LayerConfig const& v) {
  if (v.is_array()) return v;
  LayerConfig a = LayerConfig::array();
  a.push_back(v);
  return a;
}

LayerConfig mgno_architecture(LayerConfig const& o) {
  int const in = config_get<int>(o, "in_channels", "model.in_channels");
  int const out = config_get<int>(o, "out_channels", "model.out_channels");
  int const dim = config_get<int>(o, "dim", "model.dim");
  int const hidden = config_get<int>(o, "hidden_channels", "model.hidden_channels");
  int const layers = config_get<int>(o, "layers", "model.layers");
  int const levels = config_get<int>(o, "levels", "model.levels");
  int const projection = config_get<int>(o, "projection_kernel", "model.projection_kernel");
  std::string const act = config_get<std::string>(o, "activation", "model.activation");
  KONO_USER_REQUIRE(dim >= 1 && dim <= 3, invalid_argument, "model \"mgno\": model.dim=" << dim << " must be 1, 2 or 3");
  KONO_USER_REQUIRE(in >= 1 && out >= 1 && hidden >= 1 && layers >= 1 && levels >= 1, invalid_argument,
                    "model \"mgno\": in_channels, out_channels, hidden_channels, layers and levels must be positive");
  KONO_USER_REQUIRE(projection == 1 || projection == 3, invalid_argument,
                    "model \"mgno\": --model.projection_kernel must be 1 or 3, got " << projection);
  LayerConfig const iterations = as_list(o.at("iterations"));
  LayerConfig const post = as_list(o.at("post_iterations"));
  for (auto const* list : {&iterations, &post}) {
    char const* key = list == &iterations ? "iterations" : "post_iterations";
    for (auto const& v : *list)
      KONO_USER_REQUIRE(v.is_number_integer(), invalid_argument,
                        "model \"mgno\": --model." << key << " must be integers (one, or one per level), got "
                                                   << list->dump());
    KONO_USER_REQUIRE(list->size() == 1 || int(list->size()) == levels, invalid_argument,
                      "model \"mgno\": --model." << key << " has " << list->size() << " values for --model.levels="
                                                 << levels << " (give one, or one per level)");
  }
  LayerConfig padding = as_list(o.at("padding"));
  for (auto const& v : padding)
    KONO_USER_REQUIRE(v.is_string(), invalid_argument,
                      "model \"mgno\": --model.padding must be zero, periodic or reflect (one, or one per axis), got "
                          << padding.dump());
  KONO_USER_REQUIRE(padding.size() == 1 || int(padding.size()) == dim, invalid_argument,
                    "model \"mgno\": --model.padding has " << padding.size() << " values for a " << dim
                                                           << "D problem (give one, or one per axis)");
  LayerConfig modes = LayerConfig::array();
  for (auto const& v : padding) modes.push_back(to_string(padding_mode_from_string(v.get<std::string>(), "--model.padding")));

  // Resolution consistency: the training grid (kono train sets it from the data) anchors the
  // V-cycles and the projection kernel; "grid" keeps every kernel in grid units (the original MgNO).
  std::string const disc = config_get<std::string>(o, "discretization", "model.discretization");
  KONO_USER_REQUIRE(disc == "consistent" || disc == "grid", invalid_argument,
                    "model \"mgno\": --model.discretization must be consistent or grid, got \"" << disc << "\"");
  LayerConfig reference = LayerConfig::array();
  std::string const grid = config_get<std::string>(o, "grid", "model.grid");
  KONO_USER_REQUIRE(grid == "nodes" || grid == "half_open", invalid_argument,
                    "model \"mgno\": --model.grid must be nodes (x_i = i/(n-1), kono generate) or half_open (x_i = i/n, "
                    "neuraloperator's datasets such as darcy_16), got \"" << grid << "\"");
  if (disc == "consistent") {
    LayerConfig const r = as_list(o.at("reference_resolution"));
    bool ok = r.size() == 1 || int(r.size()) == dim;
    for (auto const& v : r) ok = ok && v.is_number_integer() && v.get<long long>() >= 2;
    KONO_USER_REQUIRE(ok, invalid_argument,
                      "model \"mgno\": --model.discretization=consistent needs --model.reference_resolution, the "
                      "training grid (points per axis, each >= 2; kono train sets it from the data), got "
                          << r.dump() << "; or use --model.discretization=grid");
    for (int a = 0; a < dim; ++a) reference.push_back(r.size() == 1 ? r[0] : r[std::size_t(a)]);
  }

  LayerConfig net = LayerConfig::array();
  // Grid coordinates as extra input channels (as FNO does): tells the V-cycles where the domain's
  // edges are when the data's boundary nodes are not where the padding puts them.
  bool const embed = config_get<bool>(o, "positional_embedding", "model.positional_embedding");
  if (embed) {
    net.push_back({{"type", "grid_embedding"}, {"in_channels", in}, {"dim", dim}});
    // A point keeps its coordinate on every grid only if the embedding uses the data's convention.
    if (!reference.empty() && grid == "nodes") net.back()["include_end"] = true;
  }
  int const first_in = embed ? in + dim : in;
  for (int l = 0; l < layers; ++l) {
    net.push_back({{"type", "mgno_layer"},
                   {"dim", dim},
                   {"in_channels", l == 0 ? first_in : hidden},
                   {"out_channels", hidden},
                   {"levels", levels},
                   {"iterations", iterations},
                   {"post_iterations", post},
                   {"padding_mode", modes},
                   {"activation", act},
                   {"restrict_residual", config_get<bool>(o, "restrict_residual", "model.restrict_residual")},
                   {"equalized_lr", config_get<bool>(o, "equalized_lr", "model.equalized_lr")}});
    if (!reference.empty()) {
      net.back()["reference_extents"] = reference;
      net.back()["fine_smoothing"] = config_get<bool>(o, "fine_smoothing", "model.fine_smoothing");
      net.back()["grid"] = grid;
      net.back()["restriction"] = config_get<std::string>(o, "restriction", "model.restriction");
      net.back()["pointwise_grid"] = config_get<std::string>(o, "pointwise_grid", "model.pointwise_grid");
      // Between MgNO layers the refinement goes through the knots the next layer's nearest
      // restriction reads (so it is undone exactly); the last layer's output is interpolated at the
      // true positions, as nothing restricts it again.
      net.back()["refinement"] = l + 1 == layers ? "linear" : "knots";
    }
  }
  LayerConfig projection_layer = {{"type", "conv"},          {"dim", dim},           {"in_channels", hidden},
                                  {"out_channels", out},     {"kernel", projection}, {"padding_mode", modes},
                                  {"bias", true}};
  if (!reference.empty() && projection > 1) {  // a kernel of fixed physical support (box quadrature)
    projection_layer["type"] = "discretized_conv";
    projection_layer["discretization"] = "integral";
    projection_layer["reference_extents"] = reference;
    projection_layer["grid"] = grid;
  }
  net.push_back(projection_layer);
  return {{"type", "sequential"}, {"layers", net}};
}
}  // namespace

void register_mgno_model() {
  register_model(
      "mgno", mgno_architecture,
      {{"in_channels", 1, "input channels (set from the data by kono train)"},
       {"out_channels", 1, "output channels (set from the data by kono train)"},
       {"dim", 2, "spatial dimension 1-3 (set from the data by kono train)"},
       {"hidden_channels", 13, "channels of the iterate u in every layer"},
       {"layers", 6, "number of MgNO layers u = act(W_mg u + b u)"},
       {"levels", 4, "multigrid levels per V-cycle (grid n, ceil(n/2), ...)"},
       {"iterations", 1, "pre-smoothing steps u += S(f - A u) per level: one value or one per level (1,1,1,1)"},
       {"post_iterations", 1, "post-smoothing steps per level after prolongation (coarsest: none)"},
       {"padding", "zero", "boundary condition via the convolution padding: zero (Dirichlet), periodic or reflect "
                           "(Neumann); one value or one per axis"},
       {"restrict_residual", false, "restrict the residual f - A u (the paper's formula) instead of f (the reference code's default)"},
       {"equalized_lr", true,
        "store V-cycle weights in units of their init scale (same function; stable with Adam at lr 1e-2)"},
       {"positional_embedding", true, "append grid coordinates on [0, 1] to the input (as FNO does)"},
       {"projection_kernel", 3, "kernel of the final hidden -> out convolution (3, or 1 for a pointwise one)"},
       {"activation", "gelu", "gelu, relu, tanh, silu, or none"},
       {"discretization", "consistent",
        "consistent: V-cycles and projection anchored to the training grid, so the model transfers to finer and "
        "coarser grids (docs/resolution.md); grid: kernels in grid units (the original MgNO)"},
       {"fine_smoothing", false,
        "with discretization=consistent and pointwise_grid=input: post-smooth on grids finer than the training "
        "grid with level 0's smoothers mapped to the grid (A differential, S scaled by h^2)"},
       {"grid", "nodes",
        "with discretization=consistent: where the data's points sit on non-periodic axes, nodes (x_i = i/(n-1), "
        "kono generate) or half_open (x_i = i/n, neuraloperator's datasets such as darcy_16)"},
       {"restriction", "nearest",
        "with discretization=consistent: how an input finer than the training grid reaches it, average (full "
        "weighting), sample (interpolation at the training grid's points) or nearest (the nearest point's value)"},
       {"pointwise_grid", "training",
        "with discretization=consistent, off the training grid: where b x and the activation act, input (the "
        "input's grid) or training (the whole layer on the training grid, its output interpolated)"},
       {"reference_resolution", 0,
        "training grid, points per axis (one value or one per axis; kono train sets it from the data)"}},
      "multigrid neural operator (MgNO, He-Liu-Xu 2024: learned V-cycles, boundary conditions via padding)");
}
}  // namespace Impl
}  // namespace kono
