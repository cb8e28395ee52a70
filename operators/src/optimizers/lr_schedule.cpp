#include <cmath>
#include <kono/core/error.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <utility>

namespace kono {
namespace {
bool non_negative(double x) { return std::isfinite(x) && x >= 0; }
}  // namespace

double LrSchedule::lr(std::int64_t epoch) const {
  KONO_USER_REQUIRE(epoch >= 0, invalid_argument,
                    "kono::LrSchedule::lr (" << type_name() << "): epoch " << epoch << " is negative");
  return lr_impl(epoch);
}

ConstantLr::ConstantLr(double lr) : m_lr(lr) {
  KONO_USER_REQUIRE(non_negative(lr), invalid_argument, "kono::ConstantLr: lr=" << lr << " must be finite and >= 0");
}
LayerConfig ConstantLr::config() const { return {{"type", "constant"}, {"lr", m_lr}}; }
double ConstantLr::lr_impl(std::int64_t) const { return m_lr; }

StepLr::StepLr(double lr, std::int64_t step_size, double gamma) : m_lr(lr), m_step_size(step_size), m_gamma(gamma) {
  KONO_USER_REQUIRE(non_negative(lr) && step_size > 0 && non_negative(gamma), invalid_argument,
                    "kono::StepLr: lr=" << lr << ", step_size=" << step_size << ", gamma=" << gamma
                                        << ": need lr >= 0, step_size > 0, gamma >= 0");
}
LayerConfig StepLr::config() const {
  return {{"type", "step"}, {"lr", m_lr}, {"step_size", m_step_size}, {"gamma", m_gamma}};
}
double StepLr::lr_impl(std::int64_t epoch) const {
  return m_lr * std::pow(m_gamma, static_cast<double>(epoch / m_step_size));
}

CosineAnnealingLr::CosineAnnealingLr(double lr, std::int64_t t_max, double eta_min)
    : m_lr(lr), m_t_max(t_max), m_eta_min(eta_min) {
  KONO_USER_REQUIRE(non_negative(lr) && t_max > 0 && non_negative(eta_min), invalid_argument,
                    "kono::CosineAnnealingLr: lr=" << lr << ", T_max=" << t_max << ", eta_min=" << eta_min
                                                   << ": need lr >= 0, T_max > 0, eta_min >= 0");
}
LayerConfig CosineAnnealingLr::config() const {
  return {{"type", "cosine"}, {"lr", m_lr}, {"T_max", m_t_max}, {"eta_min", m_eta_min}};
}
double CosineAnnealingLr::lr_impl(std::int64_t epoch) const {
  // Closed form rather than PyTorch's per-step recursion: lr(e) needs no history, so a resumed
  // run gets the same rate, and the two agree to rounding.
  double const pi = 3.141592653589793238462643383279502884;
  double const phase = pi * static_cast<double>(epoch) / static_cast<double>(m_t_max);
  return m_eta_min + (m_lr - m_eta_min) * (1.0 + std::cos(phase)) / 2.0;
}

LinearWarmupLr::LinearWarmupLr(std::int64_t warmup_epochs, std::unique_ptr<LrSchedule> after)
    : m_warmup(warmup_epochs), m_after(std::move(after)) {
  KONO_USER_REQUIRE(m_after != nullptr, invalid_argument, "kono::LinearWarmupLr: no schedule to warm up into");
  KONO_USER_REQUIRE(warmup_epochs > 0, invalid_argument,
                    "kono::LinearWarmupLr: warmup_epochs=" << warmup_epochs << " must be > 0");
}
LayerConfig LinearWarmupLr::config() const {
  LayerConfig cfg = m_after->config();
  cfg["warmup_epochs"] = m_warmup;
  return cfg;
}
double LinearWarmupLr::lr_impl(std::int64_t epoch) const {
  if (epoch >= m_warmup) return m_after->lr(epoch - m_warmup);
  return m_after->lr(0) * static_cast<double>(epoch + 1) / static_cast<double>(m_warmup);
}

}  // namespace kono
