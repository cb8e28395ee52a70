#pragma once
/// kono::MgnoLayer: one layer of the multigrid neural operator (He, Liu, Xu, ICLR 2024),
/// y = act(W_mg(x) + b(x)) with W_mg a learned multi-channel V-cycle and b a 1x1 convolution.
#include <cstdint>
#include <map>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/conv_common.hpp>
#include <kono/operators/layers/sequential.hpp>
#include <kono/operators/resolution/grid_transfer.hpp>

namespace kono {

/// Where a resolution-consistent MgNO layer applies b x and its activation to an input off its
/// training grid: on the input's grid (input), or on the training grid with the layer's output
/// interpolated to the input's grid (training: the layer is then exactly its training-grid self
/// between two grid transfers).
enum class MgnoPointwiseGrid { input, training };

/// Options of an MgNO layer; config keys are the member names. Per-level vectors hold one value
/// (every level) or `levels` values; normalized() expands them.
struct MgnoParams {
  int dim = 2;           ///< spatial dimensions, 1..3
  int in_channels = 0;   ///< channels of the right-hand side f (the layer input)
  int out_channels = 0;  ///< channels of the iterate u (the layer output)
  int levels = 4;        ///< grids: the input grid and levels-1 coarsenings by stride-2 convolutions
  std::vector<int> iterations;       ///< pre-smoothing steps per level (default 1); level 0 needs >= 1
  std::vector<int> post_iterations;  ///< post-smoothing steps per level after prolongation (default 0)
  std::vector<PaddingMode> padding_mode;  ///< per axis: zero (Dirichlet), periodic, reflect (Neumann)
  std::string activation = "gelu";        ///< gelu, relu, tanh, silu, or none
  bool restrict_residual = true;          ///< restrict f - A u (the paper); false: restrict f (its code's default)
  /// Store the V-cycle weights (A, S, Pi, R, RT) divided by their init bound 1/sqrt(fan) and
  /// multiply the outputs back: the same function and initial weights, but Adam's step moves
  /// each weight by lr relative to its scale ("equalized learning rate", Karras et al. 2018),
  /// which keeps training stable at lr 1e-2 where the plain parameterisation diverges.
  bool equalized_lr = false;
  /// The grid (points per axis) the V-cycle was trained on; empty: convolutions in grid units (the
  /// original MgNO; model files without the key load so). Set, the layer is resolution-consistent: a
  /// finer input gets more levels above this grid (fixed restriction of f, interpolation of u), and a
  /// coarser one is interpolated to it and the result restricted back.
  std::vector<int> reference_extents;
  /// With reference_extents: also post-smooth on the grids above the reference grid with level 0's
  /// post-smoothers, A_0 as a differential kernel and S scaled by (h/h0)^2 (off by default: see
  /// docs/resolution.md for what it measured).
  bool fine_smoothing = false;
  /// With reference_extents: where non-periodic axes put their points (nodes x_i = i/(n-1), kono's
  /// generators; half_open x_i = i/n, neuraloperator's datasets); periodic axes are periodic.
  GridPoints grid = GridPoints::nodes;
  /// With reference_extents: how f reaches the reference grid from a finer input.
  Coarsening restriction = Coarsening::average;
  /// With reference_extents: how the layer's result reaches a finer input grid. knots: through the
  /// points nearest coarsening reads, so that a next MgNO layer's nearest restriction undoes it
  /// exactly, nested grids or not; linear: interpolation at the true positions (for the last layer,
  /// whose output is not restricted again).
  bool linear_refinement = false;
  /// With reference_extents: see MgnoPointwiseGrid.
  MgnoPointwiseGrid pointwise_grid = MgnoPointwiseGrid::input;

  /// Throws Error{invalid_argument} naming the key, e.g. "kono::mgno_layer: iterations[0] must be >= 1".
  void validate() const;
  /// Validated copy with per-level vectors of `levels` entries and padding_mode of `dim`.
  MgnoParams normalized() const;
  /// From {"type": "mgno_layer", "dim": 2, "in_channels": 1, "out_channels": 16, "levels": 4,
  /// "iterations": [1, 1, 1, 1], "padding_mode": "zero", ...}. Throws Error{invalid_argument}.
  static MgnoParams from_config(LayerConfig const& cfg);
  /// Full configuration; from_config(to_config()) reproduces the layer.
  LayerConfig to_config() const;
};

/// One MgNO layer for x [N, in_channels, n...] -> y [N, out_channels, n...]:
///   level 0:  u = S_{0,0} f (f = x), then u <- u + S_{0,i}(f - A_0 u) for i = 1..nu_0-1
///   level l:  f_l = R_{l-1}(f_{l-1} - A_{l-1} u_{l-1}), u_l = Pi_{l-1} u_{l-1}, then nu_l steps
///             u <- u + S_{l,i}(f_l - A_l u) (A_l shared by the steps of a level)
///   upward:   u_l <- u_l + crop(RT_l u_{l+1}), then post_l steps as above
///   y = act(u_0 + b x)
/// A, S: 3x3 convolutions with the layer's padding; Pi, R: 3x3 stride-2 convolutions (coarse
/// extent ceil(n/2)); RT: kernel-4 stride-2 transposed convolution whose output (2 ceil(n/2))
/// is cropped at the high end to n, so odd and non-square grids work. No convolution in the
/// V-cycle has a bias (as in the reference code); b has one. RT pads with zeros whatever the
/// padding mode (the reference code's nn.ConvTranspose2d). With reference_extents the V-cycle above
/// runs on that grid only; see MgnoParams::reference_extents for other grids (docs/resolution.md).
/// Children are kono::Conv / kono::DiscretizedConv (A with reference_extents) /
/// kono::ConvTranspose / kono::Activation layers; intermediate tensors come from a workspace
/// per input shape, so steady-state calls allocate no device memory. Not collective.
template <class MemorySpace, class Scalar>
class MgnoLayer final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  /// Throws Error{invalid_argument} for invalid params (see MgnoParams::validate).
  explicit MgnoLayer(MgnoParams const& params);
  ~MgnoLayer() override;
  /// The layer for a "mgno_layer" configuration; for the registry.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg) {
    return std::make_unique<MgnoLayer>(MgnoParams::from_config(cfg));
  }
  MgnoParams const& params() const noexcept { return m_options; }  ///< normalized options

  std::string type_name() const override { return "mgno_layer"; }
  LayerConfig config() const override { return m_options.to_config(); }
  /// Throws Error{size_mismatch} for a wrong rank or channel count, or (reflect padding) a
  /// level whose grid has an axis of extent 1; names the level and its extents.
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  /// Children's slices, e.g. "b.weight", "level0.A.weight", "level1.S0.weight", "level0.Pi.weight",
  /// "level0.R.weight", "level0.RT.weight", "level0.post_S0.weight".
  std::vector<ParameterSlice> parameter_slices() const override;
  void initialize_parameters(std::uint64_t seed) const override;  ///< child i gets child_seed(seed, i)
  /// Spatial extents of every level for a fine grid `extents` (level 0 = extents).
  std::vector<std::vector<index_t>> level_extents(std::vector<index_t> const& extents) const;
  /// Grids above the reference grid for an input of spatial `extents` (finest first, the input's
  /// own grid included; empty on the reference grid or a coarser one). Throws Error{size_mismatch}
  /// when axes are refined unlike each other. Requires reference_extents.
  std::vector<std::vector<index_t>> fine_grids(std::vector<index_t> const& extents) const;

  /// Which child does what (for tests and parameter accounting); -1 where absent.
  struct Roles {
    int b = -1;
    std::vector<int> A, Pi, R, RT;              ///< per level (Pi, R, RT for levels 0..levels-2)
    std::vector<std::vector<int>> S, post_S;   ///< per level, per step
    int act = -1;
  };
  Roles const& roles() const noexcept { return m_roles; }
  base const& child(int i) const { return *m_children.at(static_cast<std::size_t>(i)); }

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  /// Reverse pass over the recorded V-cycle; A_l's gradient collects all its uses.
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override;

 private:
  int add_child(std::unique_ptr<base> layer, std::string name);

  MgnoParams m_options;
  std::vector<std::unique_ptr<base>> m_children;
  std::vector<std::string> m_names;
  std::vector<double> m_scale;  ///< output scale of each child (1, or 1/sqrt(fan) with equalized_lr)
  Roles m_roles;
  LayerWorkspace<MemorySpace, Scalar> m_workspace;
  /// Fixed grid transfers by (from, to) extents, made on first use.
  mutable std::map<std::pair<std::vector<index_t>, std::vector<index_t>>,
                   std::unique_ptr<GridTransfer<MemorySpace, Scalar>>> m_transfers;
  GridTransfer<MemorySpace, Scalar> const& transfer(std::vector<index_t> const& from,
                                                    std::vector<index_t> const& to) const;
  std::vector<GridPoints> grid_points() const;
};

extern template class MgnoLayer<DefaultMemorySpace, float>;
extern template class MgnoLayer<DefaultMemorySpace, double>;

namespace Impl {
/// Registers "mgno_layer" for float and double in DefaultMemorySpace.
void register_mgno_layers();
}  // namespace Impl

}  // namespace kono
