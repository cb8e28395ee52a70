#pragma once
// Finite-difference gradient checks for layers: L(x, p) = <f(x; p), w> with a fixed random w;
// backward() with dy = w must give dL/dx and dL/dp, compared with central differences.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include <kono/operators/initialization.hpp>
#include <kono/operators/layer.hpp>

#include "support/kono_test.hpp"

namespace kono::test {

using GradSpace = kono::DefaultMemorySpace;
using GradLayer = kono::Layer<GradSpace, double>;
using GradTensor = kono::Tensor<GradSpace, double>;

/// Tensor of `shape` with values uniform in [low, high) from `seed`.
inline GradTensor random_tensor(kono::Shape const& shape, std::uint64_t seed, double low = -1.0, double high = 1.0) {
  GradTensor t("kono::test::random", shape);
  kono::fill_uniform(t.data(), low, high, seed);
  return t;
}

/// <f(x), w> computed with a fresh forward.
inline double layer_objective(GradLayer const& layer, GradTensor const& x, GradTensor const& w) {
  GradTensor y("kono::test::y", layer.output_shape(x.shape()));
  layer.forward(GradSpace::execution_space{}, x, y);
  auto const yh = y.to_host();
  auto const wh = w.to_host();
  double s = 0;
  for (kono::index_t i = 0; i < yh.size(); ++i) s += yh.data()(i) * wh.data()(i);
  return s;
}

/// Host snapshot of a view: always a copy, even where a host mirror would alias (Serial).
template <class View>
Kokkos::View<double*, Kokkos::HostSpace> snapshot(View const& v) {
  Kokkos::View<double*, Kokkos::HostSpace> h("kono::test::snapshot", v.extent(0));
  auto m = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v);
  for (std::size_t i = 0; i < v.extent(0); ++i) h(i) = m(i);
  return h;
}

struct GradcheckOptions {
  double eps = 1e-6;
  double rtol = 1e-6;   ///< relative to the largest gradient entry
  double atol = 1e-9;
  kono::index_t max_checks = 400;  ///< entries checked per tensor (spread evenly) to bound run time
};

/// Checks dx and every parameter gradient of `layer` at input `x`. The layer's parameters must
/// be bound. Also checks GradientMode::accumulate adds to, and ignore leaves, the gradients.
inline void gradcheck(GradLayer const& layer, GradTensor const& x, GradcheckOptions const& opt = {},
                      std::uint64_t seed = 4242) {
  auto const space = GradSpace::execution_space{};
  GradTensor const w = random_tensor(layer.output_shape(x.shape()), seed);
  GradTensor dx("kono::test::dx", x.shape());
  auto ctx = layer.forward(space, x, GradTensor("kono::test::y0", layer.output_shape(x.shape())));
  layer.backward(space, *ctx, w, &dx, kono::GradientMode::overwrite);
  auto const dxh = dx.to_host();
  auto check = [&](char const* what, kono::index_t n, auto&& analytic, auto&& perturb) {
    double scale = 0;
    for (kono::index_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(analytic(i)));
    kono::index_t const stride = std::max<kono::index_t>(1, n / opt.max_checks);
    int failures = 0;
    for (kono::index_t i = 0; i < n && failures < 5; i += stride) {
      double const fp = perturb(i, +opt.eps);
      double const fm = perturb(i, -opt.eps);
      double const fd = (fp - fm) / (2 * opt.eps);
      double const a = analytic(i);
      bool const ok = std::abs(fd - a) <= opt.atol + opt.rtol * std::max(scale, 1e-12) * 10;
      EXPECT_TRUE(ok) << layer.type_name() << ": d/d" << what << "[" << i << "] analytic " << a << " vs finite difference "
                      << fd << " (scale " << scale << ")";
      failures += !ok;
    }
  };
  // Input gradient.
  auto xh = x.to_host();
  check("x", x.size(), [&](kono::index_t i) { return dxh.data()(i); },
        [&](kono::index_t i, double h) {
          double const old = xh.data()(i);
          xh.data()(i) = old + h;
          GradTensor xp = xh.clone_to<GradSpace>("kono::test::xp");
          xh.data()(i) = old;
          return layer_objective(layer, xp, w);
        });
  // Parameter gradients.
  std::size_t const np = layer.num_parameters();
  if (np == 0) return;
  auto const grads = snapshot(layer.gradients());
  auto params = layer.parameters();
  auto ph = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, params);
  check("params", static_cast<kono::index_t>(np), [&](kono::index_t i) { return grads(i); },
        [&](kono::index_t i, double h) {
          double const old = ph(i);
          ph(i) = old + h;
          Kokkos::deep_copy(params, ph);
          double const f = layer_objective(layer, x, w);
          ph(i) = old;
          Kokkos::deep_copy(params, ph);
          return f;
        });
  // accumulate adds, ignore leaves gradients alone. A fresh forward: containers reuse their
  // activation buffers, so the first context is stale after the finite-difference forwards.
  GradTensor y1("kono::test::y1", layer.output_shape(x.shape()));
  ctx = layer.forward(space, x, y1);
  layer.backward(space, *ctx, w, nullptr, kono::GradientMode::overwrite);
  layer.backward(space, *ctx, w, nullptr, kono::GradientMode::accumulate);
  auto const twice = snapshot(layer.gradients());
  layer.backward(space, *ctx, w, nullptr, kono::GradientMode::ignore);
  auto const still = snapshot(layer.gradients());
  int bad = 0;
  for (std::size_t i = 0; i < np && bad < 3; ++i) {
    bool const ok = std::abs(twice(i) - 2 * grads(i)) <= 1e-12 * (1 + std::abs(grads(i))) && still(i) == twice(i);
    EXPECT_TRUE(ok) << layer.type_name() << ": accumulate/ignore wrong at parameter " << i;
    bad += !ok;
  }
}

/// Allocates and binds flat parameter/gradient buffers for a standalone layer and initialises
/// them from `seed`; keep the returned holder alive while the layer is used.
struct BoundParameters {
  Kokkos::View<double*, Kokkos::LayoutRight, GradSpace> params, grads;
};
inline BoundParameters bind_for_test(GradLayer& layer, std::uint64_t seed = 7) {
  BoundParameters b{Kokkos::View<double*, Kokkos::LayoutRight, GradSpace>("kono::test::params", layer.num_parameters()),
                    Kokkos::View<double*, Kokkos::LayoutRight, GradSpace>("kono::test::grads", layer.num_parameters())};
  layer.bind_parameters(GradLayer::param_view(b.params.data(), b.params.extent(0)),
                        GradLayer::param_view(b.grads.data(), b.grads.extent(0)));
  layer.initialize_parameters(seed);
  return b;
}

}  // namespace kono::test
