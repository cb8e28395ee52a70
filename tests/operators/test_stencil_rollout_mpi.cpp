// DecomposedStencilRollout at 1 and 2 ranks: a TSM model (random network, HiPPO features) and the
// classical solver rolled out on row blocks, gathered, against the serial StencilRollout on the
// same global input (computed on every rank alone): equal to round-off. EXPECT_* only.
#include <mpi.h>

#include <cmath>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layer_registry.hpp>
#include <kono/operators/stencil/decomposed_stencil_rollout.hpp>

#include "support/kono_test.hpp"

namespace {
using Space = kono::DefaultMemorySpace;
using kono::index_t;
using kono::LayerConfig;
using kono::Shape;
using TensorD = kono::Tensor<Space, double>;
using RolloutD = kono::StencilRollout<Space, double>;
using DecomposedD = kono::DecomposedStencilRollout<Space, double>;
auto const exec = Space::execution_space{};

LayerConfig model_config(bool learned, int hippo) {
  LayerConfig c = {{"type", "stencil_rollout"},
                   {"solver", {{"dt", 0.02}}},
                   {"steps", 1},
                   {"substeps", 2},
                   {"learned", learned},
                   {"hippo_order", hippo},
                   {"hippo_theta", 0.2}};
  if (learned)
    c["network"] = {{"type", "stencil_network"}, {"in_channels", 2 + 2 * hippo + 2}, {"parameters", 2}, {"hidden", 4},
                    {"layers", 2},               {"out_channels", 44},              {"attention", true},
                    {"attention_hidden", 3}};
  return c;
}

// The same smooth velocity, parameters and random HiPPO channels on every rank.
TensorD global_input(RolloutD const& r, index_t B, index_t n) {
  index_t const C = r.input_channels();
  kono::Tensor<Kokkos::HostSpace, double> h("x", Shape{B, C, n, n});
  double const dx = 2 * M_PI / n;
  for (index_t b = 0; b < B; ++b)
    for (index_t c = 0; c < C; ++c)
      for (index_t j = 0; j < n; ++j)
        for (index_t i = 0; i < n; ++i) {
          double const x = i * dx, y = j * dx;
          double v = 0;
          if (c == 0) v = (1 + b) * std::cos(y + 0.5 * dx) * std::sin(2 * x) + 0.3 * std::sin(3 * y);
          if (c == 1) v = -(1 + b) * 2 * std::cos(2 * (x + 0.5 * dx)) * std::sin(y) / 1.0 + 0.2 * std::cos(x);
          if (c == 2) v = 1e-3;
          if (c == 3) v = 1.0;
          if (c >= 4) v = 0.1 * std::sin(0.7 * c + 0.3 * i - 0.2 * j + b);
          h.data()(((b * C + c) * n + j) * n + i) = v;
        }
  return h.clone_to<Space>("x");
}

void compare(bool learned, int hippo, int n) {
  auto layer = kono::create_layer<Space, double>(model_config(learned, hippo));
  Kokkos::View<double*, Kokkos::LayoutRight, Space> p("p", layer->num_parameters()), g("g", layer->num_parameters());
  using PV = kono::Layer<Space, double>::param_view;
  layer->bind_parameters(PV(p.data(), p.extent(0)), PV(g.data(), g.extent(0)));
  kono::fill_uniform(p, -0.05, 0.05, 31);  // identical on every rank
  auto const& r = static_cast<RolloutD const&>(*layer);
  index_t const B = 2;
  int const steps = 5;
  TensorD const x = global_input(r, B, n);
  std::vector<TensorD> serial;
  r.rollout(exec, x, steps, [&](int, TensorD const& u) { serial.push_back(u.clone_to<Space>("serial")); });
  DecomposedD d(r, n, MPI_COMM_WORLD);
  EXPECT_EQ(d.network_halo(), learned ? 3 : 0);
  TensorD const xl = d.local_rows(exec, x);
  double worst = 0, scale = 0;
  int calls = 0;
  d.rollout(exec, xl, steps, [&](int k, TensorD const& u) {
    ++calls;
    TensorD const all = d.gather(exec, u);
    auto a = all.to_host(), s = serial[std::size_t(k - 1)].to_host();
    for (index_t q = 0; q < a.size(); ++q) {
      worst = std::max(worst, std::abs(a.data()(q) - s.data()(q)));
      scale = std::max(scale, std::abs(s.data()(q)));
    }
  });
  EXPECT_EQ(calls, steps);
  EXPECT_GT(scale, 0.5);
  EXPECT_LE(worst, 1e-12 * scale) << "learned " << learned << ", hippo " << hippo << ", n " << n;
}
}  // namespace

TEST(DecomposedStencilRollout, TsmWithAttentionMatchesTheSerialRollout) { compare(true, 2, 16); }
TEST(DecomposedStencilRollout, LearnedInterpolationMatchesTheSerialRollout) { compare(true, 0, 24); }
TEST(DecomposedStencilRollout, ClassicalSolverMatchesTheSerialRollout) { compare(false, 0, 16); }
