#pragma once
/// kono::StencilRollout: a hybrid finite-volume Navier-Stokes solver on the coarse periodic MAC grid
/// whose advective interpolation stencils come from a CNN (learned interpolation, Kochkov et al.
/// 2021), optionally fed with HiPPO features of each cell's history (TSM, Sun et al. 2023), unrolled
/// for a fixed number of steps. With `learned` off it is the classical solver (linear stencils).
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <kono/operators/layer.hpp>
#include <kono/operators/layers/sequential.hpp>
#include <kono/operators/stencil/coarse_solver_options.hpp>

namespace kono {
namespace stencil {
template <class MemorySpace, class Scalar>
class CoarseNavierStokes;
}  // namespace stencil
template <class MemorySpace, class Scalar>
class HippoLegT;

/// Channels of a StencilRollout input: velocity (u, v), the PDE parameters (nu, forcing amplitude,
/// constant in space), then 2 * hippo_order HiPPO coefficients (channel c * M + m).
struct StencilInputLayout {
  static constexpr int velocity = 0, nu = 2, amplitude = 3, hippo = 4;
  static constexpr int parameters = 2;
};

/// Input [B, 4 + 2M, n, n] (StencilInputLayout), output [B, 2 * steps, n, n]: the velocity after
/// each of `steps` model steps of `substeps` solver steps. The network is evaluated once per model
/// step on its first state; its stencils hold for the substeps. Backward recomputes the network per
/// step from the stored states (checkpointing: memory is the states, not the activations). The
/// parameter channels are data: their gradient is zero.
template <class MemorySpace, class Scalar>
class StencilRollout final : public Layer<MemorySpace, Scalar> {
 public:
  using base = Layer<MemorySpace, Scalar>;
  using typename base::Context;
  using typename base::execution_space;
  using typename base::tensor_type;

  struct Options {
    stencil::CoarseSolverOptions solver;
    int steps = 1;             ///< model steps (outputs)
    int substeps = 1;          ///< solver steps of solver.dt per model step
    bool learned = true;       ///< false: the classical solver (no parameters)
    int accuracy_order = 1;    ///< stencil constraint: 1 constants, 2 linear functions exact
    int hippo_order = 0;       ///< M Legendre coefficients per velocity component (0: no history, LI)
    double hippo_theta = 1.0;  ///< HiPPO-LegT window in time units
    double cfl_limit = 0;      ///< > 0: every model step checks for NaN/Inf and CFL above this
  };
  /// `network` (a stencil_network configuration) is required when options.learned; its in/out
  /// channels must match (see network_channels()). Throws Error{invalid_argument}.
  StencilRollout(Options const& options, LayerConfig const& network);
  ~StencilRollout() override;
  /// From {"type": "stencil_rollout", "solver": {...}, "steps", "substeps", "learned",
  /// "accuracy_order", "hippo_order", "hippo_theta", "cfl_limit", "network": {...}}.
  static std::unique_ptr<base> from_config(LayerConfig const& cfg);
  std::string type_name() const override { return "stencil_rollout"; }
  LayerConfig config() const override;
  Shape output_shape(Shape const& in) const override;
  std::size_t num_parameters() const override;
  std::vector<ParameterSlice> parameter_slices() const override;  ///< "network.*"
  void initialize_parameters(std::uint64_t seed) const override;
  Options const& options() const noexcept { return m_options; }
  int input_channels() const noexcept { return StencilInputLayout::hippo + 2 * m_options.hippo_order; }
  /// (input, output) channels the network must have: [u, v, hippo..., log10(nu) + 3, amplitude] -> raw stencils.
  std::pair<int, int> network_channels() const;
  /// Model time step (substeps * solver.dt).
  double model_dt() const noexcept { return m_options.substeps * m_options.solver.dt; }

  /// Inference without storing anything for backward: `steps` model steps from x (input layout),
  /// calling `on_step(k, state)` with the velocity [B, 2, n, n] after model step k = 1..steps
  /// (valid during the call). HiPPO features are carried along. Throws Error naming the step
  /// and cell if options.cfl_limit > 0 and the state blows up.
  void rollout(execution_space const& space, tensor_type const& x, int steps,
               std::function<void(int, tensor_type const&)> const& on_step) const;
  /// The stencil network and constraint (null for the classical solver), for decomposed evaluation.
  base const* network() const noexcept { return m_network.get(); }
  base const* constraint() const noexcept { return m_constraint.get(); }
  /// Vorticity at the corners of velocity u [B, 2, n, n] into w [B, 1, n, n].
  void vorticity(execution_space const& space, tensor_type const& u, tensor_type const& w) const;

 protected:
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override;
  void backward_impl(execution_space const& space, Context const& ctx, tensor_type const& dy, tensor_type const* dx,
                     GradientMode mode) const override;
  void on_bind() override;

 private:
  using solver_type = stencil::CoarseNavierStokes<MemorySpace, Scalar>;
  solver_type const& solver(index_t n) const;
  // Stencil coefficients [B, 4T, n, n] of state u with HiPPO features c (empty when M = 0); keeps
  // the network and constraint contexts in `net_ctx`/`con_ctx` for a following backward.
  tensor_type coefficients(execution_space const& space, tensor_type const& u, tensor_type const& c,
                           tensor_type const& params, std::unique_ptr<Context>& net_ctx,
                           std::unique_ptr<Context>& con_ctx) const;
  void one_model_step(execution_space const& space, tensor_type const& u0, tensor_type const& c,
                      tensor_type const& params, tensor_type const& states, long step_index) const;

  Options m_options;
  std::unique_ptr<base> m_network, m_constraint;
  std::unique_ptr<HippoLegT<MemorySpace, Scalar>> m_hippo;
  mutable std::map<index_t, std::unique_ptr<solver_type>> m_solvers;
  LayerWorkspace<MemorySpace, Scalar> m_workspace;
};

namespace Impl {
/// Registers stencil_network and stencil_rollout (register_stencil_layers adds the layers they build on).
void register_stencil_model_layers();
}  // namespace Impl

}  // namespace kono
