#pragma once
/// Stochastic gradient descent with momentum, PyTorch torch.optim.SGD semantics.
#include <kono/operators/optimizers/optimizer.hpp>

namespace kono {

/// Hyper-parameters of Sgd (PyTorch's defaults; the learning rate belongs to the schedule).
struct SgdOptions {
  double momentum = 0.0;      ///< mu; 0 disables the momentum buffer
  double dampening = 0.0;     ///< tau: buf = mu*buf + (1-tau)*g after the first step
  double weight_decay = 0.0;  ///< L2 penalty: g += weight_decay * p
  bool nesterov = false;      ///< g += mu*buf instead of g = buf; needs momentum > 0, dampening 0
};

/// g = grad + wd*p; buf = g on the first step, else mu*buf + (1-tau)*g; d = nesterov ? g + mu*buf : buf
/// (d = g without momentum); p -= lr*d. Math in double, state stored as Scalar.
template <class MemorySpace, class Scalar>
class Sgd final : public Optimizer<MemorySpace, Scalar> {
 public:
  using base = Optimizer<MemorySpace, Scalar>;
  using typename base::execution_space;
  using typename base::state_type;
  using typename base::view_type;

  /// Throws Error{invalid_argument} for negative or non-finite options and for nesterov without
  /// momentum or with dampening (as PyTorch does).
  explicit Sgd(std::size_t num_parameters, SgdOptions const& options = {});

  std::string type_name() const override { return "sgd"; }
  /// {"type": "sgd", "momentum", "dampening", "weight_decay", "nesterov"}.
  LayerConfig config() const override;
  /// {"momentum_buffer"} with momentum, else empty.
  state_type state() const override;
  SgdOptions const& options() const noexcept { return m_options; }

 protected:
  void step_impl(execution_space const& space, view_type const& params, view_type const& grads, double lr,
                 std::int64_t step_number) override;

 private:
  SgdOptions m_options;
  view_type m_momentum_buffer;  // "kono::Sgd::momentum_buffer"; unallocated without momentum
};

}  // namespace kono
