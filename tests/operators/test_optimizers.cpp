// Optimizers, learning-rate schedules and gradient clipping: every update against an
// independent scalar reference loop (plus hand-computed first steps), schedules at chosen
// epochs, checkpoint state round trips, registry errors.
#include <cmath>
#include <cstdint>
#include <kono/operators/optimizers/adam.hpp>
#include <kono/operators/optimizers/gradient_clipping.hpp>
#include <kono/operators/optimizers/lr_schedule.hpp>
#include <kono/operators/optimizers/optimizer_registry.hpp>
#include <kono/operators/optimizers/sgd.hpp>
#include <string>
#include <vector>

#include "support/kono_test.hpp"

namespace {
using kono::AdamOptions;
using kono::AdamVariant;
using kono::LayerConfig;
using kono::SgdOptions;
using Space = kono::DefaultMemorySpace;
using Exec = kono::DefaultExecutionSpace;
template <class Scalar>
using View = Kokkos::View<Scalar*, Kokkos::LayoutRight, Space>;
using Vec = std::vector<double>;

template <class Scalar>
View<Scalar> to_device(Vec const& v, std::string const& label) {
  View<Scalar> d(label, v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = static_cast<Scalar>(v[i]);
  Kokkos::deep_copy(d, h);
  return d;
}

template <class Scalar>
Vec to_host(View<Scalar> const& d) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, d);
  Vec v(h.extent(0));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(h(i));
  return v;
}

// The fixed problem: 3 parameters, 3 steps with different gradients (one zero) and rates.
Vec const p0 = {1.0, -2.0, 0.5};
std::vector<Vec> const grad_steps = {{0.5, -0.25, 0.0}, {0.1, 0.3, -0.2}, {-0.4, 0.05, 1.0}};
Vec const lr_steps = {0.1, 0.05, 0.02};

// Rounds to Scalar: the reference keeps its state in Scalar exactly as the optimizers do.
template <class Scalar>
double rnd(double x) {
  return static_cast<double>(static_cast<Scalar>(x));
}

// torch.optim.SGD as documented: g += wd*p; b = g (t=1) or mu*b + (1-tau)*g; g = nesterov ? g + mu*b : b.
template <class Scalar>
Vec reference_sgd(SgdOptions const& o, Vec p, std::vector<Vec> const& grads, Vec const& lrs) {
  Vec b(p.size(), 0.0);
  for (std::size_t t = 0; t < grads.size(); ++t)
    for (std::size_t i = 0; i < p.size(); ++i) {
      double g = rnd<Scalar>(grads[t][i]) + o.weight_decay * p[i];
      if (o.momentum != 0) {
        double const bt = t == 0 ? g : o.momentum * b[i] + (1 - o.dampening) * g;
        b[i] = rnd<Scalar>(bt);
        g = o.nesterov ? g + o.momentum * bt : bt;
      }
      p[i] = rnd<Scalar>(p[i] - lrs[t] * g);
    }
  return p;
}

// Adam / AdamW in the textbook form of PyTorch's documentation (m_hat, v_hat), and neuralop's
// AdamW transcribed from neuralop/training/adamw.py (step_size, eps on sqrt(v), decay last).
template <class Scalar>
Vec reference_adam(AdamOptions const& o, Vec p, std::vector<Vec> const& grads, Vec const& lrs) {
  Vec m(p.size(), 0.0), v(p.size(), 0.0);
  for (std::size_t t = 0; t < grads.size(); ++t) {
    double const step = static_cast<double>(t + 1), lr = lrs[t];
    double const bc1 = o.bias_correction ? 1 - std::pow(o.beta1, step) : 1.0;
    double const bc2 = o.bias_correction ? 1 - std::pow(o.beta2, step) : 1.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      double g = rnd<Scalar>(grads[t][i]);
      double q = p[i];
      if (o.variant == AdamVariant::pytorch) {
        if (o.decoupled_weight_decay)
          q = q - lr * o.weight_decay * q;
        else
          g = g + o.weight_decay * q;
      }
      double const mt = o.beta1 * m[i] + (1 - o.beta1) * g;
      double const vt = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      if (o.variant == AdamVariant::pytorch) {
        double const m_hat = mt / bc1, v_hat = vt / bc2;
        q = q - lr * m_hat / (std::sqrt(v_hat) + o.eps);
      } else {
        double const step_size = lr * std::sqrt(bc2) / bc1;
        q = q + (-step_size) * (mt / (std::sqrt(vt) + o.eps));
        q = q + (-lr * o.weight_decay) * q;
      }
      m[i] = rnd<Scalar>(mt);
      v[i] = rnd<Scalar>(vt);
      p[i] = rnd<Scalar>(q);
    }
  }
  return p;
}

// Runs `opt` over the given steps from p0 and returns the host parameters after each step.
template <class Scalar>
std::vector<Vec> run(kono::Optimizer<Space, Scalar>& opt, Vec const& p_init, std::vector<Vec> const& grads,
                     Vec const& lrs) {
  auto p = to_device<Scalar>(p_init, "params");
  auto g = to_device<Scalar>(Vec(p_init.size(), 0.0), "grads");
  std::vector<Vec> out;
  for (std::size_t t = 0; t < grads.size(); ++t) {
    Kokkos::deep_copy(g, to_device<Scalar>(grads[t], "g"));
    opt.step(p, g, lrs[t]);
    out.push_back(to_host(p));
  }
  return out;
}

// Relative tolerance: a few ulps of Scalar (the reference orders double operations differently).
template <class Scalar>
double tolerance() {
  return std::is_same<Scalar, float>::value ? 5e-7 : 1e-14;
}

template <class Scalar>
void expect_close(Vec const& got, Vec const& want, std::string const& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance<Scalar>() * std::max(1.0, std::abs(want[i]))) << what << " [" << i << "]";
}

template <class Scalar>
class OptimizerTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(OptimizerTyped, Scalars);

SgdOptions sgd(double momentum, double dampening, double wd, bool nesterov) {
  SgdOptions o;
  o.momentum = momentum;
  o.dampening = dampening;
  o.weight_decay = wd;
  o.nesterov = nesterov;
  return o;
}

TYPED_TEST(OptimizerTyped, SgdMatchesReferenceOverThreeSteps) {
  using Scalar = TypeParam;
  struct Case {
    char const* name;
    SgdOptions o;
  };
  for (auto const& c : {Case{"plain", sgd(0, 0, 0, false)}, Case{"momentum", sgd(0.9, 0, 0, false)},
                        Case{"dampening", sgd(0.9, 0.5, 0, false)}, Case{"nesterov", sgd(0.9, 0, 0, true)},
                        Case{"weight_decay", sgd(0.9, 0, 0.1, false)}, Case{"nesterov_wd", sgd(0.8, 0, 0.05, true)}}) {
    kono::Sgd<Space, Scalar> opt(3, c.o);
    auto const got = run(opt, p0, grad_steps, lr_steps);
    for (std::size_t t = 1; t <= 3; ++t) {
      std::vector<Vec> const g(grad_steps.begin(), grad_steps.begin() + static_cast<std::ptrdiff_t>(t));
      expect_close<Scalar>(got[t - 1], reference_sgd<Scalar>(c.o, p0, g, lr_steps),
                           std::string(c.name) + " step " + std::to_string(t));
    }
    EXPECT_EQ(opt.steps_taken(), 3);
  }
}

TEST(Sgd, FirstStepsByHand) {
  auto first = [](SgdOptions const& o) {
    kono::Sgd<Space, double> opt(3, o);
    return run(opt, p0, {grad_steps[0]}, lr_steps)[0];
  };
  // p = 1, g = 0.5, lr = 0.1.
  EXPECT_NEAR(first(sgd(0, 0, 0, false))[0], 0.95, 1e-15);    // 1 - 0.1*0.5
  EXPECT_NEAR(first(sgd(0.9, 0, 0, false))[0], 0.95, 1e-15);  // buf = g on the first step
  EXPECT_NEAR(first(sgd(0.9, 0, 0, true))[0], 0.905, 1e-15);  // 1 - 0.1*(0.5 + 0.9*0.5)
  EXPECT_NEAR(first(sgd(0, 0, 0.1, false))[0], 0.94, 1e-15);  // 1 - 0.1*(0.5 + 0.1*1)
  // Second step with momentum 0.9: buf = 0.9*0.5 + 0.1 = 0.55; p = 0.95 - 0.05*0.55 = 0.9225.
  kono::Sgd<Space, double> opt(3, sgd(0.9, 0, 0, false));
  EXPECT_NEAR(run(opt, p0, {grad_steps[0], grad_steps[1]}, lr_steps)[1][0], 0.9225, 1e-15);
}

AdamOptions adam(double wd, bool decoupled, AdamVariant variant, double eps, bool bias_correction = true) {
  AdamOptions o;
  o.weight_decay = wd;
  o.decoupled_weight_decay = decoupled;
  o.variant = variant;
  o.eps = eps;
  o.bias_correction = bias_correction;
  return o;
}

TYPED_TEST(OptimizerTyped, AdamMatchesReferenceOverThreeSteps) {
  using Scalar = TypeParam;
  struct Case {
    char const* name;
    AdamOptions o;
  };
  auto const pt = AdamVariant::pytorch, nl = AdamVariant::neuralop;
  // eps = 1e-3 in some cases so that where eps sits (the variants' difference) is visible in float.
  for (auto const& c : {Case{"adam", adam(0, false, pt, 1e-8)}, Case{"adam_l2", adam(0.1, false, pt, 1e-8)},
                        Case{"adamw", adam(0.1, true, pt, 1e-8)}, Case{"adamw_eps", adam(0.1, true, pt, 1e-3)},
                        Case{"adam_no_bias_correction", adam(0.1, false, pt, 1e-3, false)},
                        Case{"neuralop", adam(0.1, true, nl, 1e-6)}, Case{"neuralop_eps", adam(0.1, true, nl, 1e-3)},
                        Case{"neuralop_no_bias_correction", adam(0.1, true, nl, 1e-3, false)},
                        Case{"neuralop_defaults", AdamOptions::neuralop_adamw()},
                        Case{"pytorch_adamw_defaults", AdamOptions::pytorch_adamw()}}) {
    kono::Adam<Space, Scalar> opt(3, c.o);
    auto const got = run(opt, p0, grad_steps, lr_steps);
    for (std::size_t t = 1; t <= 3; ++t) {
      std::vector<Vec> const g(grad_steps.begin(), grad_steps.begin() + static_cast<std::ptrdiff_t>(t));
      expect_close<Scalar>(got[t - 1], reference_adam<Scalar>(c.o, p0, g, lr_steps),
                           std::string(c.name) + " step " + std::to_string(t));
    }
  }
}

TEST(Adam, FirstStepsByHand) {
  auto first = [](AdamOptions const& o) {
    kono::Adam<Space, double> opt(3, o);
    return run(opt, p0, {grad_steps[0]}, lr_steps)[0];
  };
  // p = 1, g = 0.5, lr = 0.1: m_hat = g, v_hat = g^2, so p -= 0.1 * 0.5/(0.5 + eps).
  EXPECT_NEAR(first(adam(0, false, AdamVariant::pytorch, 1e-8))[0], 0.900000002, 1e-15);
  // AdamW: p = 1*(1 - 0.1*0.01) = 0.999 first, then the same step.
  EXPECT_NEAR(first(adam(0.01, true, AdamVariant::pytorch, 1e-8))[0], 0.899000002, 1e-15);
  // neuralop: step_size = 0.1*sqrt(0.001)/0.1 = 0.0316227766; m = 0.05; sqrt(v) = 0.0158113883;
  // p = 1 - 0.0316227766*0.05/(0.0158113883 + 1e-6) = 0.9000063242; then p *= 1 - 0.1*0.01 -> 0.8991063178.
  EXPECT_NEAR(first(adam(0.01, true, AdamVariant::neuralop, 1e-6))[0], 0.8991063178311903, 1e-15);
  // Zero gradient, no decay: the parameter does not move (m = v = 0).
  EXPECT_EQ(first(adam(0, false, AdamVariant::pytorch, 1e-8))[2], 0.5);
}

TEST(Adam, VariantsDiffer) {
  // Same hyper-parameters, different published algorithms: the option must take effect.
  kono::Adam<Space, double> a(3, adam(0.1, true, AdamVariant::pytorch, 1e-6));
  kono::Adam<Space, double> b(3, adam(0.1, true, AdamVariant::neuralop, 1e-6));
  auto const pa = run(a, p0, grad_steps, lr_steps).back();
  auto const pb = run(b, p0, grad_steps, lr_steps).back();
  EXPECT_GT(std::abs(pa[0] - pb[0]), 1e-4);
  EXPECT_EQ(a.type_name(), "adamw");
  EXPECT_EQ(b.config()["variant"], "neuralop");
}

TYPED_TEST(OptimizerTyped, SizesZeroOneOdd) {
  using Scalar = TypeParam;
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(13)}) {
    Vec p(n);
    std::vector<Vec> g(3, Vec(n));
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = std::sin(1.0 + double(i));
      for (std::size_t t = 0; t < 3; ++t) g[t][i] = std::cos(0.7 * double(i) + double(t));
    }
    auto const o = AdamOptions::neuralop_adamw();
    kono::Adam<Space, Scalar> opt(n, o);
    expect_close<Scalar>(run(opt, p, g, lr_steps).back(), reference_adam<Scalar>(o, p, g, lr_steps),
                         "n=" + std::to_string(n));
    kono::Sgd<Space, Scalar> s(n, sgd(0.9, 0, 0.01, true));
    expect_close<Scalar>(run(s, p, g, lr_steps).back(), reference_sgd<Scalar>(s.options(), p, g, lr_steps),
                         "sgd n=" + std::to_string(n));
  }
}

TEST(Optimizer, SizeMismatchAndBadArguments) {
  kono::Adam<Space, float> opt(3);
  auto p3 = to_device<float>(p0, "kono::test::params");
  auto g3 = to_device<float>(grad_steps[0], "kono::test::grads");
  auto p4 = to_device<float>({1, 2, 3, 4}, "kono::test::params4");
  EXPECT_KONO_ERROR(opt.step(p4, g3, 0.1), size_mismatch, "\"kono::test::params4\" holds 4 values");
  EXPECT_KONO_ERROR(opt.step(p3, p4, 0.1), size_mismatch, "built for 3 parameters");
  EXPECT_KONO_ERROR(opt.step(p3, g3, -0.1), invalid_argument, "learning rate -0.1");
  EXPECT_KONO_ERROR(opt.step(p3, p3, 0.1), invalid_argument, "same storage");
  EXPECT_EQ(opt.steps_taken(), 0);  // failed calls leave the optimizer unchanged
  EXPECT_EQ(to_host(p3), to_host(to_device<float>(p0, "x")));

  EXPECT_KONO_ERROR((kono::Sgd<Space, double>(3, sgd(0, 0, 0, true))), invalid_argument, "nesterov");
  EXPECT_KONO_ERROR((kono::Sgd<Space, double>(3, sgd(-1, 0, 0, false))), invalid_argument, "momentum=-1");
  AdamOptions bad;
  bad.beta2 = 1.0;
  EXPECT_KONO_ERROR((kono::Adam<Space, double>(3, bad)), invalid_argument, "betas (0.9, 1)");
  EXPECT_KONO_ERROR((kono::Adam<Space, double>(3, adam(0, false, AdamVariant::neuralop, 1e-6))), invalid_argument,
                    "only for AdamW");
  EXPECT_KONO_ERROR(opt.set_steps_taken(-1), invalid_argument, "negative");
}

TEST(Optimizer, StateNamesLabelsAndSizes) {
  kono::Adam<Space, float> a(5);
  auto s = a.state();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].first, "exp_avg");
  EXPECT_EQ(s[1].first, "exp_avg_sq");
  EXPECT_EQ(s[0].second.label(), "kono::Adam::exp_avg");
  EXPECT_EQ(s[1].second.label(), "kono::Adam::exp_avg_sq");
  EXPECT_EQ(s[0].second.extent(0), 5u);
  EXPECT_EQ(s[1].second.extent(0), 5u);

  kono::Sgd<Space, double> m(4, sgd(0.9, 0, 0, false));
  ASSERT_EQ(m.state().size(), 1u);
  EXPECT_EQ(m.state()[0].first, "momentum_buffer");
  EXPECT_EQ(m.state()[0].second.label(), "kono::Sgd::momentum_buffer");
  EXPECT_EQ(m.state()[0].second.extent(0), 4u);
  EXPECT_TRUE((kono::Sgd<Space, double>(4).state().empty()));  // no buffer without momentum

  EXPECT_KONO_ERROR(a.set_state("exp_avgsq", s[1].second), invalid_argument, "did you mean \"exp_avg_sq\"");
  EXPECT_KONO_ERROR(a.set_state("exp_avg", View<float>("short", 4)), size_mismatch, "holds 5 values");
  EXPECT_KONO_ERROR((kono::Sgd<Space, double>(4).set_state("momentum_buffer", View<double>("b", 4))), invalid_argument,
                    "no state buffers");
}

// Steps `a` twice, copies its state and step count into a fresh `b`, then steps both once more
// from equal parameters: the results must agree bit for bit.
template <class Scalar>
void expect_restore_continues(kono::Optimizer<Space, Scalar>& a, kono::Optimizer<Space, Scalar>& b,
                              std::string const& what, bool restore_steps = true) {
  auto p = to_device<Scalar>(p0, "p");
  auto g = to_device<Scalar>(grad_steps[0], "g");
  a.step(p, g, 0.1);
  Kokkos::deep_copy(g, to_device<Scalar>(grad_steps[1], "g"));
  a.step(p, g, 0.05);
  for (auto const& [name, buffer] : a.state()) b.set_state(name, buffer);
  if (restore_steps) b.set_steps_taken(a.steps_taken());
  auto q = View<Scalar>("q", 3);
  Kokkos::deep_copy(q, p);
  Kokkos::deep_copy(g, to_device<Scalar>(grad_steps[2], "g"));
  a.step(p, g, 0.02);
  b.step(q, g, 0.02);
  auto const pa = to_host(p), pb = to_host(q);
  for (std::size_t i = 0; i < 3; ++i) {
    if (restore_steps) {
      EXPECT_EQ(pa[i], pb[i]) << what << " [" << i << "]";
    } else if (i == 0) {
      EXPECT_NE(pa[i], pb[i]) << what << ": the step count must matter";
    }
  }
  if (restore_steps) {
    EXPECT_EQ(a.steps_taken(), 3);
    EXPECT_EQ(b.steps_taken(), 3);
  }
}

TYPED_TEST(OptimizerTyped, RestoredStateContinuesIdentically) {
  using Scalar = TypeParam;
  for (auto const& o : {AdamOptions::pytorch_adam(), AdamOptions::pytorch_adamw(), AdamOptions::neuralop_adamw()}) {
    kono::Adam<Space, Scalar> a(3, o), b(3, o);
    expect_restore_continues<Scalar>(a, b, "adam " + a.config().dump());
  }
  kono::Sgd<Space, Scalar> a(3, sgd(0.9, 0.1, 0.01, false)), b(3, sgd(0.9, 0.1, 0.01, false));
  expect_restore_continues<Scalar>(a, b, "sgd");
  // Without the step count, Adam's bias corrections restart at t = 1: the results differ.
  kono::Adam<Space, Scalar> c(3), d(3);
  expect_restore_continues<Scalar>(c, d, "adam without steps", false);
}

// --- learning-rate schedules ---

TEST(LrSchedule, Constant) {
  kono::ConstantLr s(0.01);
  EXPECT_EQ(s.lr(0), 0.01);
  EXPECT_EQ(s.lr(1000), 0.01);
  EXPECT_KONO_ERROR(s.lr(-1), invalid_argument, "epoch -1");
}

TEST(LrSchedule, StepBoundaries) {
  kono::StepLr s(5e-3, 60, 0.5);  // neuralop's darcy_config.py
  EXPECT_EQ(s.lr(0), 5e-3);
  EXPECT_EQ(s.lr(59), 5e-3);
  EXPECT_EQ(s.lr(60), 2.5e-3);
  EXPECT_EQ(s.lr(119), 2.5e-3);
  EXPECT_EQ(s.lr(120), 1.25e-3);
  EXPECT_DOUBLE_EQ(kono::StepLr(1.0, 1).lr(3), 1e-3);  // gamma defaults to 0.1
  EXPECT_KONO_ERROR(kono::StepLr(1.0, 0), invalid_argument, "step_size=0");
}

TEST(LrSchedule, CosineAnnealing) {
  kono::CosineAnnealingLr s(1e-2, 30);  // the FNO Darcy tutorial
  EXPECT_EQ(s.lr(0), 1e-2);
  EXPECT_NEAR(s.lr(1), 0.009972609476841367, 1e-18);  // 1e-2*(1 + cos(pi/30))/2
  EXPECT_NEAR(s.lr(15), 5e-3, 1e-18);
  EXPECT_NEAR(s.lr(30), 0.0, 1e-18);
  // Past T_max the rate follows the cosine back up, as PyTorch's does (no clamp, no restart).
  EXPECT_NEAR(s.lr(45), 5e-3, 1e-18);
  EXPECT_NEAR(s.lr(60), 1e-2, 1e-18);
  kono::CosineAnnealingLr e(1e-2, 30, 1e-4);
  EXPECT_NEAR(e.lr(15), 1e-4 + (1e-2 - 1e-4) / 2, 1e-18);
  EXPECT_NEAR(e.lr(30), 1e-4, 1e-18);
  EXPECT_KONO_ERROR(kono::CosineAnnealingLr(1e-2, 0), invalid_argument, "T_max=0");
}

TEST(LrSchedule, LinearWarmupThenSchedule) {
  kono::LinearWarmupLr s(4, std::make_unique<kono::CosineAnnealingLr>(1e-2, 30));
  EXPECT_NEAR(s.lr(0), 2.5e-3, 1e-18);  // 1e-2 * 1/4
  EXPECT_NEAR(s.lr(1), 5e-3, 1e-18);
  EXPECT_NEAR(s.lr(3), 1e-2, 1e-18);  // the last warm-up epoch runs at the full rate
  EXPECT_EQ(s.lr(4), 1e-2);           // the cosine's epoch 0
  EXPECT_NEAR(s.lr(4 + 15), 5e-3, 1e-18);
  EXPECT_NEAR(s.lr(4 + 30), 0.0, 1e-18);
  kono::LinearWarmupLr w(2, std::make_unique<kono::StepLr>(1.0, 3, 0.5));
  EXPECT_EQ(w.lr(0), 0.5);
  EXPECT_EQ(w.lr(1), 1.0);
  EXPECT_EQ(w.lr(2 + 2), 1.0);
  EXPECT_EQ(w.lr(2 + 3), 0.5);
  EXPECT_KONO_ERROR(kono::LinearWarmupLr(0, std::make_unique<kono::ConstantLr>(1.0)), invalid_argument,
                    "warmup_epochs=0");
}

// --- gradient clipping ---

TYPED_TEST(OptimizerTyped, ClipGradNorm) {
  using Scalar = TypeParam;
  Exec const space{};
  auto g = to_device<Scalar>({3, 4, 0}, "kono::test::grads");
  EXPECT_DOUBLE_EQ(kono::global_norm(space, g), 5.0);
  // Below the threshold: untouched.
  EXPECT_DOUBLE_EQ(kono::clip_grad_norm(space, g, 10.0), 5.0);
  EXPECT_EQ(to_host(g), (Vec{3, 4, 0}));
  // Above: scaled by max_norm/(norm + 1e-6), the pre-clip norm is returned.
  EXPECT_DOUBLE_EQ(kono::clip_grad_norm(space, g, 1.0), 5.0);
  double const scale = 1.0 / (5.0 + 1e-6);
  expect_close<Scalar>(to_host(g), {3 * scale, 4 * scale, 0}, "clipped");
  EXPECT_NEAR(kono::global_norm(space, g), 5.0 * scale, 10 * tolerance<Scalar>());  // just below max_norm
  // At the threshold PyTorch still scales by max_norm/(norm + 1e-6) < 1.
  auto h = to_device<Scalar>({3, 4, 0}, "kono::test::grads");
  EXPECT_DOUBLE_EQ(kono::clip_grad_norm(space, h, 5.0), 5.0);
  expect_close<Scalar>(to_host(h), {3 * 5 * scale, 4 * 5 * scale, 0}, "at threshold");
  EXPECT_LT(to_host(h)[1], 4.0);
  // Empty buffer: norm 0, nothing to do.
  EXPECT_EQ(kono::clip_grad_norm(space, View<Scalar>("empty", 0), 1.0), 0.0);
  EXPECT_KONO_ERROR(kono::clip_grad_norm(space, g, 0.0), invalid_argument, "kono::test::grads");
}

// --- registry ---

TEST(OptimizerRegistry, BuildsEachTypeAndRoundTrips) {
  auto sgd_opt = kono::create_optimizer<Space, float>({{"type", "sgd"}, {"momentum", 0.9}, {"nesterov", true}}, 7);
  EXPECT_EQ(sgd_opt->type_name(), "sgd");
  EXPECT_EQ(sgd_opt->num_parameters(), 7u);
  EXPECT_EQ(sgd_opt->config()["momentum"], 0.9);

  auto a = kono::create_optimizer<Space, float>({{"type", "adam"}}, 3);
  EXPECT_EQ(a->config()["eps"], 1e-8);
  EXPECT_EQ(a->config()["weight_decay"], 0.0);
  EXPECT_FALSE(a->config().contains("variant"));

  auto w = kono::create_optimizer<Space, float>({{"type", "adamw"}}, 3);  // torch.optim.AdamW defaults
  EXPECT_EQ(w->config()["variant"], "pytorch");
  EXPECT_EQ(w->config()["weight_decay"], 1e-2);
  EXPECT_EQ(w->config()["eps"], 1e-8);

  // The Darcy tutorial's optimizer: neuralop AdamW(lr=1e-2, weight_decay=1e-4), eps 1e-6 by default.
  LayerConfig const tutorial = {{"type", "adamw"}, {"variant", "neuralop"}, {"weight_decay", 1e-4}};
  auto n = kono::create_optimizer<Space, double>(tutorial, 3, "train.json: optimizer");
  LayerConfig const c = n->config();
  EXPECT_EQ(c["eps"], 1e-6);
  EXPECT_EQ(c["weight_decay"], 1e-4);
  EXPECT_EQ(c["betas"], LayerConfig({0.9, 0.999}));
  EXPECT_EQ(c["bias_correction"], true);
  for (auto const& opt : {sgd_opt->config(), a->config(), w->config(), c})
    EXPECT_EQ((kono::create_optimizer<Space, double>(opt, 3)->config()), opt) << opt.dump();
  EXPECT_EQ(kono::optimizer_types(), (std::vector<std::string>{"adam", "adamw", "sgd"}));
}

TEST(OptimizerRegistry, Errors) {
  auto make = [](LayerConfig const& cfg) { return kono::create_optimizer<Space, float>(cfg, 3, "train.json"); };
  EXPECT_KONO_ERROR(make({{"type", "adamx"}}), invalid_argument, "unknown optimizer type \"adamx\" (train.json)");
  EXPECT_KONO_ERROR(make({{"type", "adamx"}}), invalid_argument, "did you mean \"adam\"?");
  EXPECT_KONO_ERROR(make({{"type", "sgd"}, {"momentun", 0.9}}), invalid_argument,
                    "unknown key \"momentun\" for optimizer type \"sgd\"");
  EXPECT_KONO_ERROR(make({{"type", "sgd"}, {"momentun", 0.9}}), invalid_argument, "did you mean \"momentum\"?");
  EXPECT_KONO_ERROR(make({{"type", "adamw"}, {"variant", "neuralp"}}), invalid_argument, "did you mean \"neuralop\"?");
  EXPECT_KONO_ERROR(make({{"type", "adam"}, {"variant", "neuralop"}}), invalid_argument, "unknown key \"variant\"");
  EXPECT_KONO_ERROR(make({{"type", "adam"}, {"lr", 1e-3}}), invalid_argument, "belongs to the schedule");
  EXPECT_KONO_ERROR(make({{"type", "sgd"}, {"momentum", "high"}}), invalid_argument, "key \"momentum\"");
  EXPECT_KONO_ERROR(make({{"type", "adam"}, {"betas", {0.9}}}), invalid_argument, "key \"betas\"");
  EXPECT_KONO_ERROR(make({{"momentum", 0.9}}), invalid_argument, "missing key \"type\"");
  EXPECT_KONO_ERROR(make(LayerConfig::array()), invalid_argument, "must be a JSON object");
}

TEST(LrScheduleRegistry, BuildsEachTypeAndRoundTrips) {
  auto c = kono::create_lr_schedule({{"type", "cosine"}, {"lr", 1e-2}, {"T_max", 30}});
  EXPECT_EQ(c->lr(15), kono::CosineAnnealingLr(1e-2, 30).lr(15));
  auto s = kono::create_lr_schedule({{"type", "step"}, {"lr", 1.0}, {"step_size", 2}, {"gamma", 0.5}});
  EXPECT_EQ(s->lr(2), 0.5);
  auto k = kono::create_lr_schedule({{"type", "constant"}, {"lr", 0.3}});
  EXPECT_EQ(k->lr(9), 0.3);
  auto w = kono::create_lr_schedule({{"type", "cosine"}, {"lr", 1e-2}, {"T_max", 30}, {"warmup_epochs", 4}});
  EXPECT_NEAR(w->lr(0), 2.5e-3, 1e-18);
  EXPECT_EQ(w->lr(4), 1e-2);
  EXPECT_EQ(w->config()["warmup_epochs"], 4);
  for (auto const* sched : {c.get(), s.get(), k.get(), w.get()})
    EXPECT_EQ(kono::create_lr_schedule(sched->config())->config(), sched->config()) << sched->config().dump();
  EXPECT_EQ(kono::lr_schedule_types(), (std::vector<std::string>{"constant", "cosine", "step"}));
}

TEST(LrScheduleRegistry, Errors) {
  auto make = [](LayerConfig const& cfg) { return kono::create_lr_schedule(cfg, "train.json: schedule"); };
  EXPECT_KONO_ERROR(make({{"type", "cosin"}, {"lr", 1.0}}), invalid_argument, "did you mean \"cosine\"?");
  EXPECT_KONO_ERROR(make({{"type", "cosine"}, {"lr", 1.0}, {"Tmax", 30}}), invalid_argument,
                    "unknown key \"Tmax\" for schedule type \"cosine\" (train.json: schedule)");
  EXPECT_KONO_ERROR(make({{"type", "cosine"}, {"lr", 1.0}, {"Tmax", 30}}), invalid_argument, "did you mean \"T_max\"?");
  EXPECT_KONO_ERROR(make({{"type", "cosine"}, {"lr", 1.0}}), invalid_argument, "missing key \"T_max\"");
  EXPECT_KONO_ERROR(make({{"type", "step"}, {"step_size", 3}}), invalid_argument, "missing key \"lr\"");
  EXPECT_KONO_ERROR(make({{"type", "constant"}, {"lr", 1.0}, {"warmup_epochs", -2}}), invalid_argument,
                    "\"warmup_epochs\"");
  EXPECT_KONO_ERROR(make({{"type", "constant"}, {"lr", 1.0}, {"warmup_epoch", 2}}), invalid_argument,
                    "did you mean \"warmup_epochs\"?");
}

}  // namespace
