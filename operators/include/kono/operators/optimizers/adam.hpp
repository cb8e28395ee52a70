#pragma once
/// Adam and AdamW (PyTorch's torch.optim.Adam / AdamW) plus neuraloperator's AdamW
/// (neuralop/training/adamw.py, the Hugging Face transformers formulation) in one class.
#include <kono/operators/optimizers/optimizer.hpp>

namespace kono {

/// Which published AdamW update to reproduce; they differ in where eps and the decay sit.
enum class AdamVariant {
  /// PyTorch: p *= 1 - lr*wd (AdamW) first; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
  pytorch,
  /// neuralop: p -= lr*sqrt(bc2)/bc1 * m / (sqrt(v) + eps), THEN p -= lr*wd*p on the updated p.
  /// eps is added to the uncorrected sqrt(v), so it acts 1/sqrt(bc2) times larger than PyTorch's.
  neuralop
};

/// "pytorch" / "neuralop".
char const* to_string(AdamVariant variant) noexcept;

/// Hyper-parameters of Adam; the learning rate belongs to the schedule.
struct AdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;         ///< false: Adam (g += wd*p); true: AdamW (decay of p itself)
  AdamVariant variant = AdamVariant::pytorch;  ///< neuralop requires decoupled_weight_decay
  bool bias_correction = true;                 ///< bc1 = 1 - beta1^t, bc2 = 1 - beta2^t; off means bc = 1

  /// torch.optim.Adam defaults: eps 1e-8, weight decay 0 (L2).
  static AdamOptions pytorch_adam();
  /// torch.optim.AdamW defaults: eps 1e-8, weight decay 1e-2 (decoupled).
  static AdamOptions pytorch_adamw();
  /// neuralop.training.AdamW defaults: eps 1e-6, weight decay 0 (decoupled, applied after the step).
  static AdamOptions neuralop_adamw();
};

/// Adam with m = beta1*m + (1-beta1)*g and v = beta2*v + (1-beta2)*g^2 (t = steps_taken()+1);
/// the parameter update follows AdamOptions::variant. Math in double, state stored as Scalar.
template <class MemorySpace, class Scalar>
class Adam final : public Optimizer<MemorySpace, Scalar> {
 public:
  using base = Optimizer<MemorySpace, Scalar>;
  using typename base::execution_space;
  using typename base::state_type;
  using typename base::view_type;

  /// Throws Error{invalid_argument} for betas outside [0, 1), negative or non-finite eps or weight
  /// decay, and for the neuralop variant without decoupled weight decay.
  explicit Adam(std::size_t num_parameters, AdamOptions const& options = {});

  /// "adamw" with decoupled weight decay, else "adam".
  std::string type_name() const override;
  /// {"type", "betas": [b1, b2], "eps", "weight_decay", "bias_correction"} (+ "variant" for adamw).
  LayerConfig config() const override;
  /// {"exp_avg", "exp_avg_sq"}.
  state_type state() const override;
  AdamOptions const& options() const noexcept { return m_options; }

 protected:
  void step_impl(execution_space const& space, view_type const& params, view_type const& grads, double lr,
                 std::int64_t step_number) override;

 private:
  AdamOptions m_options;
  view_type m_exp_avg;     // "kono::Adam::exp_avg": first moment m
  view_type m_exp_avg_sq;  // "kono::Adam::exp_avg_sq": second moment v
};

}  // namespace kono
