// Learned finite-volume solvers (issue 23): the stencil network (with and without CAPE attention),
// the unrolled StencilRollout (gradients through the solver, network and HiPPO recurrence; the
// untrained model is the classical solver; rollout() equals forward(); blow-ups name step and cell)
// and the learned_stencil / tsm model families.
#include <cmath>

#include <kono/operators/layer_registry.hpp>
#include <kono/operators/model_registry.hpp>
#include <kono/operators/stencil/stencil_network.hpp>
#include <kono/operators/stencil/stencil_rollout.hpp>

#include "support/gradcheck.hpp"
#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::index_t;
using kono::LayerConfig;
using kono::Shape;
using TensorD = kono::Tensor<Space, double>;
using RolloutD = kono::StencilRollout<Space, double>;
using LayerD = kono::Layer<Space, double>;
auto const exec = Space::execution_space{};

// A smooth divergence-free MAC velocity on n x n cells of [0, 2 pi)^2 (face averages of the
// stream function psi = sin(x) sin(2y) / 2 + cos(3x + 1) / 3 are its differences along the face).
void smooth_velocity(TensorD::host_tensor_type& h, index_t b, index_t channels, index_t n, double scale) {
  double const L = 2 * M_PI, dx = L / n;
  auto psi = [](double x, double y) { return 0.5 * std::sin(x) * std::sin(2 * y) + std::cos(3 * x + 1) / 3; };
  for (index_t j = 0; j < n; ++j)
    for (index_t i = 0; i < n; ++i) {
      double const x = i * dx, y = j * dx;
      // u = dpsi/dy averaged over the x-face [y, y + dx]; v = -dpsi/dx averaged over the y-face.
      h.data()(((b * channels + 0) * n + j) * n + i) = scale * (psi(x, y + dx) - psi(x, y)) / dx;
      h.data()(((b * channels + 1) * n + j) * n + i) = -scale * (psi(x + dx, y) - psi(x, y)) / dx;
    }
}

// Input of a rollout layer: smooth velocity, nu, amplitude, HiPPO channels small random values.
TensorD rollout_input(RolloutD const& layer, index_t B, index_t n, std::uint64_t seed) {
  index_t const C = layer.input_channels();
  TensorD x = kono::test::random_tensor(Shape{B, C, n, n}, seed, -0.2, 0.2);
  auto h = x.to_host();
  for (index_t b = 0; b < B; ++b) {
    smooth_velocity(h, b, C, n, 1.0 + 0.5 * b);
    for (index_t p = 0; p < n * n; ++p) {
      h.data()((b * C + 2) * n * n + p) = 1e-3 * (1 + b);  // nu
      h.data()((b * C + 3) * n * n + p) = 1.0;             // forcing amplitude
    }
  }
  TensorD out("x", x.shape());
  out.copy_from(h);
  return out;
}

LayerConfig network_config(int in, int out, bool attention) {
  return {{"type", "stencil_network"}, {"in_channels", in}, {"parameters", 2}, {"hidden", 4}, {"layers", 1},
          {"out_channels", out},       {"attention", attention}, {"attention_hidden", 3}};
}

LayerConfig rollout_config(int steps, int substeps, int hippo, bool attention, std::string const& stepper = "rk3") {
  int const raw = 4 * (12 - 1);
  LayerConfig c = {{"type", "stencil_rollout"},
                   {"solver", {{"dt", 0.02}, {"time_stepper", stepper}}},
                   {"steps", steps},
                   {"substeps", substeps},
                   {"hippo_order", hippo},
                   {"hippo_theta", 0.1},
                   {"network", network_config(2 + 2 * hippo + 2, raw, attention)}};
  return c;
}

// The rollout with its parameter channels fixed: the gradient check perturbs only what the layer
// differentiates (velocity and HiPPO channels; nu and the amplitude are data).
class FixedParameters final : public LayerD {
 public:
  FixedParameters(LayerD const& inner, index_t B, index_t n, std::uint64_t seed)
      : m_inner(inner), m_full(rollout_input(static_cast<RolloutD const&>(inner), B, n, seed)) {}
  std::string type_name() const override { return "fixed_parameters"; }
  LayerConfig config() const override { return {}; }
  Shape output_shape(Shape const& in) const override { return m_inner.output_shape(expand(in)); }
  std::size_t num_parameters() const override { return m_inner.num_parameters(); }

 protected:
  struct Ctx : Context {
    std::unique_ptr<Context> inner;
    TensorD full;
  };
  std::unique_ptr<Context> forward_impl(execution_space const& space, tensor_type const& x,
                                        tensor_type const& y) const override {
    auto ctx = std::make_unique<Ctx>();
    ctx->full = TensorD("full", expand(x.shape()));
    auto f = m_full.to_host();
    auto xh = x.to_host();
    index_t const B = x.extent(0), C = x.extent(1), n2 = x.extent(2) * x.extent(3), CF = C + 2;
    auto fh = TensorD::host_tensor_type("full", ctx->full.shape());
    for (index_t b = 0; b < B; ++b)
      for (index_t c = 0; c < CF; ++c)
        for (index_t p = 0; p < n2; ++p)
          fh.data()((b * CF + c) * n2 + p) = c == 2 || c == 3 ? f.data()((b * CF + c) * n2 + p)
                                                              : xh.data()((b * C + (c < 2 ? c : c - 2)) * n2 + p);
    ctx->full.copy_from(fh);
    ctx->inner = m_inner.forward(space, ctx->full, y);
    return ctx;
  }
  void backward_impl(execution_space const& space, Context const& base, tensor_type const& dy, tensor_type const* dx,
                     kono::GradientMode mode) const override {
    auto const& ctx = static_cast<Ctx const&>(base);
    TensorD dfull("dfull", ctx.full.shape());
    m_inner.backward(space, *ctx.inner, dy, &dfull, mode);
    if (!dx) return;
    auto dh = dfull.to_host();
    index_t const B = dx->extent(0), C = dx->extent(1), n2 = dx->extent(2) * dx->extent(3), CF = C + 2;
    auto out = TensorD::host_tensor_type("dx", dx->shape());
    for (index_t b = 0; b < B; ++b)
      for (index_t c = 0; c < C; ++c)
        for (index_t p = 0; p < n2; ++p) out.data()((b * C + c) * n2 + p) = dh.data()((b * CF + (c < 2 ? c : c + 2)) * n2 + p);
    dx->copy_from(out);
  }
  void on_bind() override {}

 private:
  static Shape expand(Shape const& s) { return s.with_extent(1, s[1] + 2); }
  LayerD const& m_inner;
  TensorD m_full;
};

// The state channels (velocity, HiPPO) of a rollout input.
TensorD state_channels(TensorD const& full) {
  index_t const B = full.extent(0), CF = full.extent(1), n2 = full.extent(2) * full.extent(3);
  TensorD::host_tensor_type out("state", full.shape().with_extent(1, CF - 2));
  auto f = full.to_host();
  for (index_t b = 0; b < B; ++b)
    for (index_t c = 0; c < CF - 2; ++c)
      for (index_t p = 0; p < n2; ++p) out.data()((b * (CF - 2) + c) * n2 + p) = f.data()((b * CF + (c < 2 ? c : c + 2)) * n2 + p);
  return out.clone_to<Space>("state");
}

std::unique_ptr<LayerD> make(LayerConfig const& cfg) { return kono::create_layer<Space, double>(cfg); }

// Random (not zero) network parameters so the learned stencils differ from the linear ones.
void perturb_parameters(LayerD const& layer, std::uint64_t seed, double amplitude) {
  kono::fill_uniform(layer.parameters(), -amplitude, amplitude, seed);
}
}  // namespace

TEST(StencilNetwork, GradientsWithoutAndWithAttention) {
  for (bool attention : {false, true}) {
    auto net = make(network_config(6, 5, attention));
    auto bound = kono::test::bind_for_test(*net, 3);
    TensorD x = kono::test::random_tensor(Shape{2, 6, 5, 5}, 11);
    kono::test::gradcheck(*net, x);
  }
}

TEST(StencilNetwork, ConfigRoundTripAndErrors) {
  auto net = make(network_config(6, 5, true));
  EXPECT_EQ(make(net->config())->config(), net->config());
  EXPECT_EQ(net->output_shape(Shape{3, 6, 8, 8}), (Shape{3, 5, 8, 8}));
  LayerConfig bad = network_config(6, 5, false);
  bad["kernel"] = 2;
  EXPECT_KONO_ERROR(make(bad), invalid_argument, "kernel must be odd");
  bad = network_config(6, 5, false);
  bad["hiden"] = 3;
  EXPECT_KONO_ERROR(make(bad), invalid_argument, "unknown key \"hiden\"");
  EXPECT_KONO_ERROR(net->output_shape(Shape{1, 5, 8, 8}), size_mismatch, "is not [B, 6, ny, nx]");
}

TEST(StencilRollout, GradientThroughUnrolledSolverNetworkAndHippo) {
  // Learned interpolation (no history) and TSM (HiPPO features), both steppers, 2 model steps of 2 substeps.
  for (int hippo : {0, 2})
    for (std::string stepper : {"rk3", "euler"}) {
      auto layer = make(rollout_config(2, 2, hippo, hippo > 0, stepper));
      auto bound = kono::test::bind_for_test(*layer, 5);
      perturb_parameters(*layer, 17, 0.05);
      index_t const B = 2, n = 8;
      FixedParameters fixed(*layer, B, n, 23);
      // Parameters are the inner layer's; the wrapper hands its buffers through.
      fixed.bind_parameters(LayerD::param_view(bound.params.data(), bound.params.extent(0)),
                            LayerD::param_view(bound.grads.data(), bound.grads.extent(0)));
      TensorD x = state_channels(rollout_input(static_cast<RolloutD const&>(*layer), B, n, 23));
      kono::test::GradcheckOptions o;
      o.max_checks = 60;
      o.rtol = 1e-5;
      SCOPED_TRACE("hippo " + std::to_string(hippo) + ", " + stepper);
      kono::test::gradcheck(fixed, x, o);
    }
}

TEST(StencilRollout, UntrainedModelIsTheClassicalSolver) {
  auto learned = make(rollout_config(3, 2, 0, false));
  auto bound = kono::test::bind_for_test(*learned, 9);
  LayerConfig classical = rollout_config(3, 2, 0, false);
  classical["learned"] = false;
  classical.erase("network");
  auto linear = make(classical);
  EXPECT_EQ(linear->num_parameters(), 0u);
  TensorD x = rollout_input(static_cast<RolloutD const&>(*learned), 2, 16, 1);
  TensorD a("a", learned->output_shape(x.shape())), b("b", linear->output_shape(x.shape()));
  learned->forward(exec, x, a);
  linear->forward(exec, x, b);
  auto ah = a.to_host(), bh = b.to_host();
  double diff = 0, scale = 0;
  for (index_t i = 0; i < ah.size(); ++i) {
    diff = std::max(diff, std::abs(ah.data()(i) - bh.data()(i)));
    scale = std::max(scale, std::abs(bh.data()(i)));
  }
  EXPECT_GT(scale, 0.1);
  EXPECT_LE(diff, 1e-13 * scale);  // the zero output convolution gives exactly the linear stencils
}

TEST(StencilRollout, RolloutEqualsForwardAndCarriesHippo) {
  auto layer = make(rollout_config(4, 1, 2, false));
  auto bound = kono::test::bind_for_test(*layer, 13);
  perturb_parameters(*layer, 3, 0.05);
  auto const& r = static_cast<RolloutD const&>(*layer);
  TensorD x = rollout_input(r, 2, 8, 2);
  TensorD y("y", layer->output_shape(x.shape()));
  layer->forward(exec, x, y);
  auto yh = y.to_host();
  int calls = 0;
  double diff = 0;
  r.rollout(exec, x, 4, [&](int k, TensorD const& u) {
    ++calls;
    auto uh = u.to_host();
    index_t const n2 = 64;
    for (index_t b = 0; b < 2; ++b)
      for (index_t c = 0; c < 2; ++c)
        for (index_t p = 0; p < n2; ++p)
          diff = std::max(diff, std::abs(uh.data()((b * 2 + c) * n2 + p) - yh.data()((b * 8 + 2 * (k - 1) + c) * n2 + p)));
  });
  EXPECT_EQ(calls, 4);
  EXPECT_LE(diff, 1e-14);
}

TEST(StencilRollout, BlowUpNamesStepAndCell) {
  LayerConfig cfg = rollout_config(1, 1, 0, false);
  cfg["learned"] = false;
  cfg.erase("network");
  cfg["cfl_limit"] = 1.0;
  auto layer = make(cfg);
  auto const& r = static_cast<RolloutD const&>(*layer);
  TensorD x = rollout_input(r, 1, 8, 4);
  auto h = x.to_host();
  h.data()((0 * 8 + 3) * 8 + 5) = 1e3;  // u at cell (3, 5): CFL 1e3 * 0.02 / (2 pi / 8) = 25
  TensorD bad("bad", x.shape());
  bad.copy_from(h);
  EXPECT_KONO_ERROR(r.rollout(exec, bad, 3, [](int, TensorD const&) {}), invalid_argument, "step 1");
}

kono::Model<Space, float> make_model(std::string const& type, LayerConfig const& options) {
  return kono::create_model<Space, float>(type, options, 0);
}

TEST(StencilModels, FamiliesBuildAndCheckOptions) {
  using RolloutF = kono::StencilRollout<Space, float>;
  LayerConfig o = {{"dt", 0.01}, {"hidden_channels", 4}, {"layers", 1}};
  auto li = make_model("learned_stencil", o);
  EXPECT_EQ(li.root().type_name(), "stencil_rollout");
  EXPECT_GT(li.num_parameters(), 0u);
  auto tsm = make_model("tsm", o);
  EXPECT_EQ(static_cast<RolloutF const&>(tsm.root()).input_channels(), 4 + 2 * 8);
  LayerConfig classical = {{"dt", 0.01}, {"learned", false}};
  EXPECT_EQ(make_model("learned_stencil", classical).num_parameters(), 0u);
  LayerConfig bad = o;
  bad["stencil_size"] = 3;
  EXPECT_KONO_ERROR(make_model("learned_stencil", bad), invalid_argument, "stencil_size");
  bad = o;
  bad["hippo_order"] = 0;
  EXPECT_KONO_ERROR(make_model("tsm", bad), invalid_argument, "hippo_order must be >= 1");
  EXPECT_KONO_ERROR(make_model("learned_stencil", LayerConfig::object()), invalid_argument, "--model.dt must be > 0");
}
