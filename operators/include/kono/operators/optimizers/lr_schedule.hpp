#pragma once
/// Learning-rate schedules indexed by epoch: lr(e) is the rate used throughout epoch e
/// (0-based), i.e. PyTorch's value after e calls of scheduler.step() made once per epoch.
#include <cstdint>
#include <kono/operators/layer_config.hpp>
#include <memory>
#include <string>

namespace kono {

/// A learning rate per epoch. Host only, stateless (lr(e) depends on e alone), not collective.
class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  /// Registry key: "constant", "step", "cosine".
  virtual std::string type_name() const = 0;
  /// create_lr_schedule(config()) rebuilds an equal schedule.
  virtual LayerConfig config() const = 0;
  /// Rate for epoch `epoch`; throws Error{invalid_argument} if epoch < 0.
  double lr(std::int64_t epoch) const;

 protected:
  virtual double lr_impl(std::int64_t epoch) const = 0;
};

/// lr(e) = lr.
class ConstantLr final : public LrSchedule {
 public:
  /// Throws Error{invalid_argument} for a negative or non-finite lr.
  explicit ConstantLr(double lr);
  std::string type_name() const override { return "constant"; }
  LayerConfig config() const override;  ///< {"type": "constant", "lr"}

 protected:
  double lr_impl(std::int64_t epoch) const override;

 private:
  double m_lr;
};

/// PyTorch StepLR: lr(e) = lr * gamma^floor(e / step_size) (closed form; PyTorch's recursive
/// product can differ from it in the last bit).
class StepLr final : public LrSchedule {
 public:
  /// Throws Error{invalid_argument} unless lr >= 0, step_size > 0 and gamma >= 0 (all finite).
  StepLr(double lr, std::int64_t step_size, double gamma = 0.1);
  std::string type_name() const override { return "step"; }
  LayerConfig config() const override;  ///< {"type": "step", "lr", "step_size", "gamma"}

 protected:
  double lr_impl(std::int64_t epoch) const override;

 private:
  double m_lr;
  std::int64_t m_step_size;
  double m_gamma;
};

/// PyTorch CosineAnnealingLR in closed form: lr(e) = eta_min + (lr - eta_min)(1 + cos(pi e / T_max))/2.
/// No clamp and no restart: past T_max the rate rises again along the cosine (back to lr at 2 T_max),
/// as PyTorch's recursive form does; values agree with PyTorch's to rounding (~1e-16 relative).
class CosineAnnealingLr final : public LrSchedule {
 public:
  /// Throws Error{invalid_argument} unless t_max > 0 and lr, eta_min are finite and >= 0.
  CosineAnnealingLr(double lr, std::int64_t t_max, double eta_min = 0.0);
  std::string type_name() const override { return "cosine"; }
  LayerConfig config() const override;  ///< {"type": "cosine", "lr", "T_max", "eta_min"}

 protected:
  double lr_impl(std::int64_t epoch) const override;

 private:
  double m_lr;
  std::int64_t m_t_max;
  double m_eta_min;
};

/// Linear warm-up over w epochs in front of any schedule S: lr(e) = S.lr(0) * (e+1)/w for e < w (the
/// last warm-up epoch already runs at the full rate), then lr(e) = S.lr(e - w): S starts after the
/// warm-up, like PyTorch's SequentialLR, so a cosine's T_max counts post-warm-up epochs.
class LinearWarmupLr final : public LrSchedule {
 public:
  /// Throws Error{invalid_argument} unless warmup_epochs > 0 and `after` is not null.
  LinearWarmupLr(std::int64_t warmup_epochs, std::unique_ptr<LrSchedule> after);
  std::string type_name() const override { return m_after->type_name(); }
  /// The wrapped schedule's config plus "warmup_epochs".
  LayerConfig config() const override;
  std::int64_t warmup_epochs() const noexcept { return m_warmup; }
  LrSchedule const& after() const noexcept { return *m_after; }

 protected:
  double lr_impl(std::int64_t epoch) const override;

 private:
  std::int64_t m_warmup;
  std::unique_ptr<LrSchedule> m_after;
};

}  // namespace kono
